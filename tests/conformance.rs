//! Every case of the shared conformance corpus (produced and judged by the reference,
//! in-toto 3.1.0) must get the same verdict, error class, failing item, rule set, rule,
//! artifacts, sublayout path and warnings from `intoto-studio verify`.
//!
//! Each case runs on a fresh copy (inspections write into the working directory).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run one case; returns the list of disagreements.
fn run_case(name: &str) -> Vec<String> {
    let case_dir = corpus().join("cases").join(name);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(case_dir.join("expected.json")).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("case");
    copy_dir(&case_dir, &copy);
    let cwd = copy.join(expected["cwd"].as_str().unwrap());
    let argv: Vec<&str> = expected["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(argv[0], "in-toto-verify");
    let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .arg("verify")
        .args(&argv[1..])
        .args(["--format", "json"])
        .current_dir(&cwd)
        .output()
        .unwrap();
    let mut wrong = Vec::new();
    let code = out.status.code().unwrap_or(-1);
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            return vec![format!(
                "{name}: no JSON report ({e}); exit {code}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )];
        }
    };
    let exp_code = expected["exit_code"].as_i64().unwrap();
    if (code == 0) != (exp_code == 0) || !(code == 0 || code == 1) {
        wrong.push(format!("exit code {code}, reference {exp_code}"));
    }
    if report["passed"] != expected["passed"] {
        wrong.push(format!(
            "passed {}, reference {}",
            report["passed"], expected["passed"]
        ));
    }
    let f = &report["failure"];
    let field = |ours: &Value, theirs: &Value, what: &str, wrong: &mut Vec<String>| {
        if ours != theirs {
            wrong.push(format!("{what}: ours {ours}, reference {theirs}"));
        }
    };
    if expected["passed"] == Value::Bool(false) {
        field(
            &f["reference_error"],
            &expected["error_class"],
            "error class",
            &mut wrong,
        );
        field(
            &f["item"],
            &expected["failing_item"],
            "failing item",
            &mut wrong,
        );
        field(
            &f["rule_set"],
            &expected["failing_rule_set"],
            "rule set",
            &mut wrong,
        );
        field(&f["rule"], &expected["failing_rule"], "rule", &mut wrong);
        field(
            &f["artifacts"],
            &expected["failing_artifacts"],
            "artifacts",
            &mut wrong,
        );
        field(
            &f["sublayout_path"],
            &expected["sublayout_path"],
            "sublayout path",
            &mut wrong,
        );
        let first = f["artifacts"]
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or(Value::Null);
        field(
            &first,
            &expected["failing_artifact"],
            "first artifact",
            &mut wrong,
        );
    } else {
        field(f, &Value::Null, "failure", &mut wrong);
    }
    field(
        &report["warnings"],
        &expected["warnings"],
        "warnings",
        &mut wrong,
    );
    wrong.into_iter().map(|w| format!("{name}: {w}")).collect()
}

#[test]
fn every_reference_case_agrees() {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("index.json")).unwrap())
            .unwrap();
    let cases: Vec<String> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap().to_string())
        .collect();
    assert!(cases.len() >= 56, "the corpus has all its cases");
    // Every case folder is in the index and vice versa.
    let mut folders: Vec<String> = std::fs::read_dir(corpus().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    folders.sort();
    let mut sorted = cases.clone();
    sorted.sort();
    assert_eq!(folders, sorted);
    let wrong: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|c| s.spawn(move || run_case(c))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        wrong.is_empty(),
        "{} disagreement(s):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
