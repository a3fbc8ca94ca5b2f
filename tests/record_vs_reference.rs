//! The artifact recorder against answers recorded from the reference (in-toto 3.1.0,
//! pathspec 1.1.1); regenerate them with `tests/fixtures/gen_record_table.py`.

use base64::Engine;
use intoto_studio::record::{ExcludeSpec, RecordOptions, normpath, record_artifacts};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn exclude_table() -> Value {
    serde_json::from_str(include_str!("fixtures/exclude_table.json")).unwrap()
}

#[test]
fn exclude_patterns_agree_with_pathspec() {
    let table = exclude_table();
    let paths = strings(&table["paths"]);
    let matches = table["matches"].as_array().unwrap();
    assert!(matches.len() > 150);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for m in matches {
        let patterns = strings(&m[0]);
        let expected = m[1].as_str().unwrap().as_bytes();
        assert_eq!(expected.len(), paths.len());
        let spec = match ExcludeSpec::new(&patterns) {
            Ok(s) => s,
            Err(e) => {
                wrong.push(format!("patterns {patterns:?}: unexpected error {e}"));
                continue;
            }
        };
        for (path, want) in paths.iter().zip(expected) {
            checked += 1;
            let want = *want == b'1';
            if spec.is_excluded(path) != want {
                wrong.push(format!(
                    "patterns {patterns:?} path {path:?}: pathspec says {want}"
                ));
            }
        }
    }
    assert!(checked > 15000);
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn invalid_patterns_fail_like_pathspec() {
    let table = exclude_table();
    let errors = table["errors"].as_array().unwrap();
    assert!(errors.len() >= 8);
    for e in errors {
        let patterns = strings(&e[0]);
        let got = ExcludeSpec::new(&patterns).expect_err(&format!("{patterns:?} should fail"));
        assert_eq!(got.class, e[1].as_str().unwrap(), "{patterns:?}");
        assert_eq!(got.message, e[2].as_str().unwrap(), "{patterns:?}");
    }
}

#[test]
fn normpath_agrees_with_python() {
    let table = exclude_table();
    for case in table["normpath"].as_array().unwrap() {
        let (input, want) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
        assert_eq!(normpath(input), want, "normpath({input:?})");
    }
}

/// Rebuild the reference's tree under `root`.
fn build_tree(root: &Path, entries: &[Value]) {
    for e in entries {
        let path = root.join(e["path"].as_str().unwrap());
        match e["kind"].as_str().unwrap() {
            "dir" => std::fs::create_dir(&path).unwrap(),
            "file" => {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(e["base64"].as_str().unwrap())
                    .unwrap();
                std::fs::write(&path, data).unwrap();
            }
            "symlink" => {
                #[cfg(unix)]
                std::os::unix::fs::symlink(e["target"].as_str().unwrap(), &path).unwrap();
            }
            other => panic!("unknown entry kind {other}"),
        }
    }
}

fn options(o: &Value) -> RecordOptions {
    RecordOptions {
        exclude: o["exclude"].as_array().map(|_| strings(&o["exclude"])),
        base_path: o["base_path"].as_str().map(PathBuf::from),
        lstrip_paths: strings(&o["lstrip_paths"]),
        follow_symlink_dirs: o["follow_symlink_dirs"].as_bool().unwrap(),
        normalize_line_endings: o["normalize_line_endings"].as_bool().unwrap(),
    }
}

/// The only test in this binary that depends on the working directory (`dir:` URIs are
/// relative to it, as in the reference, which the table was recorded with).
#[cfg(unix)]
#[test]
fn recording_agrees_with_reference() {
    let table: Value = serde_json::from_str(include_str!("fixtures/record_table.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    build_tree(dir.path(), table["tree"].as_array().unwrap());
    let old_cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();

    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut wrong = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let paths = strings(&case["paths"]);
        let opts = options(&case["options"]);
        let got = record_artifacts(&paths, &opts, None);
        let expected = &case["expected"];
        match (got, expected.get("artifacts")) {
            (Ok(got), Some(want)) => {
                let got: BTreeMap<String, String> = got
                    .iter()
                    .map(|(p, h)| (p.to_string(), h.get("sha256").unwrap().to_string()))
                    .collect();
                let want: BTreeMap<String, String> = want
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(p, h)| (p.clone(), h["sha256"].as_str().unwrap().to_string()))
                    .collect();
                if got != want {
                    wrong.push(format!("{name}: got {got:#?}\nreference {want:#?}"));
                }
            }
            (Err(e), None) => {
                let err = &expected["error"];
                if e.class != err["class"].as_str().unwrap()
                    || e.message != err["message"].as_str().unwrap()
                {
                    wrong.push(format!("{name}: got error {e}, reference {err}"));
                }
            }
            (Ok(got), None) => wrong.push(format!(
                "{name}: got {got:?}, reference raised {}",
                expected["error"]
            )),
            (Err(e), Some(_)) => wrong.push(format!("{name}: got error {e}, reference succeeded")),
        }
    }
    std::env::set_current_dir(old_cwd).unwrap();
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
