//! The fuzz harnesses (shared with the stable replay test `tests/fuzz_regressions.rs`).

#[path = "../harness.rs"]
pub mod harness;

/// `tests/fixtures/conformance/cases` of the repository.
pub fn cases_dir() -> &'static std::path::Path {
    std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/conformance/cases"
    ))
}
