//! Every case of the differential corpus (tests/fixtures/differential, generated and judged
//! by the reference in-toto 3.1.0 with tests/fixtures/gen_differential.py) must get the same
//! verdict, error class, failing item, rule set, rule, artifacts, sublayout path and warnings
//! from `intoto-studio verify`, compared exactly as tests/conformance.rs compares the shared
//! corpus. The expected.json files are committed data: this test never calls Python.

mod common;

#[test]
fn every_differential_case_agrees() {
    common::every_case_agrees(
        &std::path::Path::new(common::MANIFEST).join("tests/fixtures/differential"),
        150,
    );
}
