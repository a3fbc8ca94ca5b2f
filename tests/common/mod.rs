//! Helpers shared by the integration tests (each test file includes this module with
//! `mod common;`; not every file uses every helper).
#![allow(dead_code)]

use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod admission;
pub mod load;
pub mod proxy;
pub mod registry;
pub mod server;

pub const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// `in-toto-verify`'s arguments for a chain folder laid out as the conformance cases are
/// (`root.layout`, `alice.pub`, `links/`), run in that folder.
pub const VERIFY_HERE: [&str; 6] = [
    "--layout",
    "root.layout",
    "--verification-keys",
    "alice.pub",
    "--link-dir",
    "links",
];

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// Copy the TEST-ONLY ed25519 key pair of `person` (alice, bob, carl) into `dir`: the
/// private key as `private_name`, the public key as `<person>.pub`.
pub fn copy_fixture_key(dir: &Path, person: &str, private_name: &str) {
    let keys = Path::new(MANIFEST).join("tests/fixtures/keys");
    for (from, to) in [
        (
            format!("TEST-ONLY-{person}-ed25519.private.pem"),
            private_name.to_string(),
        ),
        (
            format!("TEST-ONLY-{person}-ed25519.pub.pem"),
            format!("{person}.pub"),
        ),
    ] {
        std::fs::copy(keys.join(from), dir.join(to)).unwrap();
    }
}

/// The reference implementation's bin directory (installed on first use by
/// `tests/support/ensure-reference.sh`), or `None` when it cannot be installed (no Python, no
/// network): the calling test then says that it skipped and why, and returns. `.ci/run` sets
/// `INTOTO_STUDIO_REQUIRE_REFERENCE=1`, which turns a missing reference into a failure.
pub fn reference() -> Option<&'static Path> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let out = Command::new("bash")
            .arg(Path::new(MANIFEST).join("tests/support/ensure-reference.sh"))
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(out) if out.status.success() => {
                let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if bin.join("in-toto-verify").exists() {
                    Ok(bin)
                } else {
                    Err(format!("no in-toto-verify in {}", bin.display()))
                }
            }
            Ok(out) => Err(format!(
                "exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Err(e.to_string()),
        }
    });
    match bin {
        Ok(bin) => Some(bin),
        Err(failure) => {
            let test = std::thread::current()
                .name()
                .unwrap_or("a test")
                .to_string();
            if std::env::var("INTOTO_STUDIO_REQUIRE_REFERENCE").as_deref() == Ok("1") {
                panic!(
                    "{test}: the reference implementation could not be installed by \
                     tests/support/ensure-reference.sh ({failure})"
                );
            }
            // Straight to the stderr stream: the test harness hides what `eprintln!` writes
            // in a passing test, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: it compares with the reference implementation, which could \
                 not be installed ({failure}); .ci/run installs it and never skips"
            );
            None
        }
    }
}

/// Run one case; returns the list of disagreements.
pub fn run_case(corpus: &Path, name: &str) -> Vec<String> {
    let case_dir = corpus.join("cases").join(name);
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
    judge(name, &expected, &out)
}

/// How `verify --format json`'s run `out` disagrees with the reference's verdict on case
/// `name` (its `expected.json`): verdict, error class, item, rule set, rule, artifacts,
/// sublayout path and warnings.
pub fn judge(name: &str, expected: &Value, out: &std::process::Output) -> Vec<String> {
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

/// Run every case of a reference-judged corpus (`<corpus>/index.json`, `<corpus>/cases/`) on
/// a bounded pool of workers; panics listing every disagreement.
pub fn every_case_agrees(corpus: &Path, min_cases: usize) {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("index.json")).unwrap()).unwrap();
    let cases: Vec<String> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap().to_string())
        .collect();
    assert!(
        cases.len() >= min_cases,
        "the corpus has all its cases ({} found)",
        cases.len()
    );
    // Every case folder is in the index and vice versa.
    let mut folders: Vec<String> = std::fs::read_dir(corpus.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    folders.sort();
    let mut sorted = cases.clone();
    sorted.sort();
    assert_eq!(folders, sorted);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(4)
        .clamp(2, 16);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(c) = cases.get(i) else { break };
                        out.push((i, run_case(corpus, c)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let disagreeing = results.iter().filter(|(_, w)| !w.is_empty()).count();
    let wrong: Vec<String> = results.into_iter().flat_map(|(_, w)| w).collect();
    assert!(
        wrong.is_empty(),
        "{disagreeing} of {} case(s) disagree with the reference; {} disagreement(s):\n{}",
        cases.len(),
        wrong.len(),
        wrong.join("\n")
    );
}

/// Write a chain of `depth` nested sublayouts into `dir`: `root.layout` (signed by alice,
/// whose public key is `alice.pub`) has one step `s` done by alice, whose link is a layout
/// of the same shape, and so on; the innermost level is a plain link. Each level's links
/// sit in `<links>/s.<keyid:8>/`, as the reference looks for them.
pub fn write_sublayout_chain(dir: &Path, depth: usize) {
    use intoto_studio::crypto::PrivateKey;
    use intoto_studio::model::envelope::{Format, Metadata, Payload};
    use intoto_studio::model::layout::{Layout, Step};
    use intoto_studio::model::link::Link;
    use std::sync::Arc;
    copy_fixture_key(dir, "alice", "alice");
    let pem = std::fs::read_to_string(dir.join("alice")).unwrap();
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    let kid8 = key.public_key().keyid[..8].to_string();
    let layout = || {
        let mut l = Layout {
            expires: "2100-01-01T00:00:00Z".into(),
            ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
        };
        let id = l.add_key(key.public_key().clone());
        let mut step = Step::new("s");
        step.pubkeys = vec![id];
        l.steps.push(step);
        l
    };
    let write = |payload: Payload, path: &Path| {
        let mut md = Metadata::new(payload, Format::Legacy);
        md.sign(&key).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, md.to_bytes()).unwrap();
    };
    write(
        Payload::Layout(Box::new(layout())),
        &dir.join("root.layout"),
    );
    let mut links = dir.join("links");
    for level in 1..=depth {
        let file = links.join(format!("s.{kid8}.link"));
        if level == depth {
            let link = Link {
                name: "s".into(),
                ..Link::default()
            };
            write(Payload::Link(Arc::new(link)), &file);
        } else {
            write(Payload::Layout(Box::new(layout())), &file);
        }
        links = links.join(format!("s.{kid8}"));
    }
}
