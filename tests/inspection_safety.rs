//! Inspections run arbitrary commands from the layout, so they must only ever run for a
//! layout whose signature verified (and whose earlier stages all passed), and they must
//! never outlive `--inspection-timeout`.
//!
//! Each test writes a layout whose inspection would leave a marker file in the working
//! directory, signs it (with `intoto-studio sign` and the TEST-ONLY owner key) or breaks it,
//! and checks for the marker after `intoto-studio verify`.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_intoto-studio")
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/keys")
}

fn key(name: &str, private: bool) -> PathBuf {
    keys().join(format!(
        "TEST-ONLY-{name}-ed25519.{}.pem",
        if private { "private" } else { "pub" }
    ))
}

const BOB: &str = "2f898e60e4f4e9f099281979b4bcbbc6922757f96c5771ee4f15a04dd2c70ca4";

fn bob_key_dict() -> Value {
    let out = Command::new(bin())
        .args(["key", "layout"])
        .arg(key("bob", false))
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A layout body with one inspection running `run` (and optionally a step `build` by bob).
fn layout(run: &[&str], expires: &str, step_rules: Option<Value>) -> Value {
    let mut body = json!({
        "_type": "layout",
        "expires": expires,
        "inspect": [{
            "_type": "inspection", "name": "check", "run": run,
            "expected_materials": [], "expected_products": [],
        }],
        "keys": {},
        "readme": "",
        "steps": [],
    });
    if let Some(rules) = step_rules {
        body["keys"] = json!({ BOB: bob_key_dict() });
        body["steps"] = json!([{
            "_type": "step", "name": "build", "threshold": 1, "pubkeys": [BOB],
            "expected_command": [], "expected_materials": [], "expected_products": rules,
        }]);
    }
    body
}

fn write_unsigned(dir: &Path, body: &Value) -> PathBuf {
    let p = dir.join("root.layout");
    std::fs::write(
        &p,
        serde_json::to_vec_pretty(&json!({"signatures": [], "signed": body})).unwrap(),
    )
    .unwrap();
    p
}

fn sign(dir: &Path, who: &str, dsse: bool) {
    let mut cmd = Command::new(bin());
    cmd.args(["sign", "-f", "root.layout", "-k"])
        .arg(key(who, true))
        .current_dir(dir);
    if dsse {
        cmd.arg("--use-dsse");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "sign: {out:?}");
}

fn verify(dir: &Path, extra: &[&str]) -> (Output, Value, Duration) {
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(["verify", "--layout", "root.layout", "--verification-keys"])
        .arg(key("alice", false))
        .args(["--link-dir", "links", "--format", "json"])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read its output while it runs (a big report would fill the pipe), and kill a hung
    // verifier instead of hanging the test suite.
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = pipe.read_to_end(&mut b);
            b
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("verify did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    let elapsed = start.elapsed();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {out:?}"));
    (out, report, elapsed)
}

const MARK: &[&str] = &["sh", "-c", "touch marker"];

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("links")).unwrap();
    dir
}

fn assert_failed_without_marker(dir: &Path, class: &str) {
    let (out, report, _) = verify(dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["failure"]["reference_error"], class, "{report}");
    assert!(
        !dir.join("marker").exists(),
        "the inspection ran although verification failed with {class}"
    );
    assert!(
        !dir.join("check.link").exists(),
        "an inspection link was written although the inspection must not run"
    );
}

#[test]
fn control_inspection_runs_for_a_valid_layout() {
    let dir = setup();
    write_unsigned(dir.path(), &layout(MARK, "2099-12-31T23:59:59Z", None));
    sign(dir.path(), "alice", false);
    let (out, report, _) = verify(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        dir.path().join("marker").exists(),
        "the control inspection ran"
    );
}

#[test]
fn unsigned_layout_runs_no_inspection() {
    let dir = setup();
    write_unsigned(dir.path(), &layout(MARK, "2099-12-31T23:59:59Z", None));
    assert_failed_without_marker(dir.path(), "SignatureVerificationError");
}

#[test]
fn layout_signed_by_another_key_runs_no_inspection() {
    let dir = setup();
    write_unsigned(dir.path(), &layout(MARK, "2099-12-31T23:59:59Z", None));
    sign(dir.path(), "mallory", false);
    assert_failed_without_marker(dir.path(), "SignatureVerificationError");
}

#[test]
fn layout_changed_after_signing_runs_no_inspection() {
    for dsse in [false, true] {
        let dir = setup();
        // Signed with a harmless inspection, then the command is swapped for the marker.
        write_unsigned(dir.path(), &layout(&["true"], "2099-12-31T23:59:59Z", None));
        sign(dir.path(), "alice", dsse);
        let p = dir.path().join("root.layout");
        let mut v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        if dsse {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut payload: Value =
                serde_json::from_slice(&b64.decode(v["payload"].as_str().unwrap()).unwrap())
                    .unwrap();
            payload["inspect"][0]["run"] = json!(MARK);
            v["payload"] = json!(b64.encode(serde_json::to_vec(&payload).unwrap()));
        } else {
            v["signed"]["inspect"][0]["run"] = json!(MARK);
        }
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        assert_failed_without_marker(dir.path(), "SignatureVerificationError");
    }
}

#[test]
fn layout_with_a_second_unverified_owner_runs_no_inspection() {
    let dir = setup();
    write_unsigned(dir.path(), &layout(MARK, "2099-12-31T23:59:59Z", None));
    sign(dir.path(), "alice", false);
    let out = Command::new(bin())
        .args(["verify", "--layout", "root.layout", "--verification-keys"])
        .arg(key("alice", false))
        .arg(key("bob", false))
        .args(["--link-dir", "links"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("marker").exists());
}

#[test]
fn expired_layout_runs_no_inspection() {
    let dir = setup();
    write_unsigned(dir.path(), &layout(MARK, "2001-01-01T00:00:00Z", None));
    sign(dir.path(), "alice", false);
    assert_failed_without_marker(dir.path(), "LayoutExpiredError");
}

#[test]
fn missing_link_runs_no_inspection() {
    let dir = setup();
    write_unsigned(
        dir.path(),
        &layout(MARK, "2099-12-31T23:59:59Z", Some(json!([]))),
    );
    sign(dir.path(), "alice", false);
    assert_failed_without_marker(dir.path(), "LinkNotFoundError");
}

#[test]
fn failed_step_rule_runs_no_inspection() {
    let dir = setup();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/bad_input/base/links/build.2f898e60.link"),
        dir.path().join("links/build.2f898e60.link"),
    )
    .unwrap();
    write_unsigned(
        dir.path(),
        &layout(
            MARK,
            "2099-12-31T23:59:59Z",
            Some(json!([["DISALLOW", "*"]])),
        ),
    );
    sign(dir.path(), "alice", false);
    assert_failed_without_marker(dir.path(), "RuleVerificationError");
}

#[test]
fn inspection_timeout_kills_the_process_group() {
    let dir = setup();
    // The inspection starts a grandchild that would write `late` after the timeout, and
    // then blocks.
    write_unsigned(
        dir.path(),
        &layout(
            &["sh", "-c", "(sleep 3; touch late) & sleep 30"],
            "2099-12-31T23:59:59Z",
            None,
        ),
    );
    sign(dir.path(), "alice", false);
    let (out, report, elapsed) = verify(dir.path(), &["--inspection-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["failure"]["reference_error"], "TimeoutExpired");
    assert_eq!(
        report["failure"]["message"],
        "Command '['sh', '-c', '(sleep 3; touch late) & sleep 30']' timed out after 1 seconds"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "the timeout was not enforced: {elapsed:?}"
    );
    std::thread::sleep(Duration::from_millis(4000));
    assert!(
        !dir.path().join("late").exists(),
        "a grandchild of the inspection outlived the timeout"
    );
}

#[test]
fn inspection_output_cannot_flood_the_verifier() {
    // A command that prints forever is only stopped by the timeout, with bounded memory:
    // the report keeps the first 64 KiB of what it printed (the reference keeps nothing).
    let dir = setup();
    write_unsigned(
        dir.path(),
        &layout(&["sh", "-c", "yes flood"], "2099-12-31T23:59:59Z", None),
    );
    sign(dir.path(), "alice", false);
    let (out, report, elapsed) = verify(dir.path(), &["--inspection-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["failure"]["reference_error"], "TimeoutExpired");
    assert!(elapsed < Duration::from_secs(10));
    assert!(out.stdout.len() < 1 << 20 && out.stderr.len() < 1 << 20);
    let kept = report["inspections"][0]["stdout"]
        .as_str()
        .unwrap_or_default();
    assert!(
        kept.starts_with("flood\nflood\n") && kept.len() < 1 << 17,
        "{kept:.100}"
    );
}
