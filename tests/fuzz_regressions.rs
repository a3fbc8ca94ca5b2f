//! Replays every input under `fuzz/regressions/<target>/` through the same harness the
//! cargo-fuzz target `<target>` runs (`fuzz/harness.rs`), on the stable toolchain and
//! without libFuzzer. A file there is an input that once crashed (or hung) a target, or an
//! input worth keeping; `fuzz/README.md` says how to add one.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases_dir() -> PathBuf {
    root().join("tests/fixtures/conformance/cases")
}

fn replay(target: &str) {
    let dir = root().join("fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let start = std::time::Instant::now();
        let result = std::panic::catch_unwind(|| harness::run(target, &cases_dir(), &data));
        assert!(
            result.is_ok(),
            "{target}: {} crashes the harness",
            f.display()
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{target}: {} takes {:?}",
            f.display(),
            start.elapsed()
        );
    }
}

#[test]
fn every_target_has_a_regression_folder() {
    for t in harness::TARGETS {
        let d = root().join("fuzz/regressions").join(t);
        assert!(d.is_dir(), "{} is missing", d.display());
        assert!(
            root()
                .join("fuzz/fuzz_targets")
                .join(format!("{t}.rs"))
                .is_file(),
            "fuzz target {t} is missing"
        );
    }
}

#[test]
fn metadata() {
    replay("metadata");
}

#[test]
fn canonical_json() {
    replay("canonical_json");
}

#[test]
fn rule_parse() {
    replay("rule_parse");
}

#[test]
fn fnmatch() {
    replay("fnmatch");
}

#[test]
fn verify_link() {
    replay("verify_link");
}

#[test]
fn verify_layout() {
    replay("verify_layout");
}

/// The seeds' shape: a few hand-picked inputs run through every harness (so the harnesses
/// themselves stay correct even while the regression folders are small).
#[test]
fn harnesses_accept_the_corpus_files() {
    let link = std::fs::read(cases_dir().join("pass-demo-chain-legacy/links/clone.2f898e60.link"))
        .unwrap();
    let layout = std::fs::read(cases_dir().join("pass-demo-chain-legacy/root.layout")).unwrap();
    for t in harness::TARGETS {
        for data in [&link[..], &layout[..], b"", b"\0", b"[]", b"{}"] {
            harness::run(t, &cases_dir(), data);
        }
    }
}
