//! Every case of the shared conformance corpus (produced and judged by the reference,
//! in-toto 3.1.0) must get the same verdict, error class, failing item, rule set, rule,
//! artifacts, sublayout path and warnings from `intoto-studio verify`.
//!
//! Each case runs on a fresh copy (inspections write into the working directory).

mod common;

#[test]
fn every_reference_case_agrees() {
    common::every_case_agrees(
        &std::path::Path::new(common::MANIFEST).join("tests/fixtures/conformance"),
        56,
    );
}
