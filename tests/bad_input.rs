//! Bad input: every case of `tests/bad_input/cases.json` (one file or folder per case, see
//! `tests/bad_input/gen_cases.py`) is put into an otherwise valid chain and run through
//! `intoto-studio verify` (and `sign --verify`, `lint`, `key id` where they apply).
//!
//! For every case:
//! * the exit code and the failure's `reference_error` are the reference's (recorded by the
//!   generator from `in-toto-verify`), or the documented `divergence` where intoto-studio
//!   deliberately answers differently;
//! * the text report starts with `Verification FAILED (<Class>)` and has a `message:` line;
//! * no panic (exit code 101, "panicked", "RUST_BACKTRACE"), no death by signal;
//! * no hang: every child is killed after [`TIMEOUT`];
//! * bounded memory: every child runs under `ulimit -v` and its peak RSS (VmHWM) must stay
//!   under [`MAX_RSS_KIB`], also for the 64 MiB inputs that are generated at test time.
//!
//! Cases are separate tests so that a known bug can be `#[ignore]`d on its own (the list is
//! `tests/bad_input/cases.rs`, written by the generator, which keeps the `#[ignore]`s).
//! At the end: inputs that need a signed layout plus an option (`--param`), and usage errors
//! (exit 2).

mod common;
use common::copy_dir;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Peak resident memory allowed to any child (the biggest inputs are 64 MiB).
const MAX_RSS_KIB: u64 = 1024 * 1024;
/// Virtual memory limit of every child (a runaway allocation fails instead of eating the
/// machine).
const ULIMIT_V_KIB: u64 = 8 * 1024 * 1024;
const BOB_LINK: &str = "links/build.2f898e60.link";
/// `verify` of the base chain (`tests/bad_input/base`) with the owner key.
const VERIFY_BASE: [&str; 7] = [
    "verify",
    "--layout",
    "root.layout",
    "--verification-keys",
    "alice.pub",
    "--link-dir",
    "links",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

fn manifest() -> &'static Value {
    static M: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        serde_json::from_str(&std::fs::read_to_string(dir().join("cases.json")).unwrap()).unwrap()
    })
}

fn entry(name: &str) -> &'static Value {
    manifest()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in cases.json"))
}

/// What a child did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub peak_rss_kib: u64,
}

impl Outcome {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// No panic, no signal, no hang (checked by [`run`]), bounded memory.
    fn assert_sane(&self, what: &str) {
        let all = self.all();
        assert!(self.code.is_some(), "{what}: killed by a signal ({self:?})");
        assert_ne!(self.code, Some(101), "{what}: panicked:\n{all}");
        assert!(
            !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
            "{what}: panicked:\n{}",
            &all[..all.len().min(4000)]
        );
        assert!(
            self.peak_rss_kib < MAX_RSS_KIB,
            "{what}: peak RSS {} KiB",
            self.peak_rss_kib
        );
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Run `intoto-studio ARGS` in `cwd` under `ulimit -v`, killing it after [`TIMEOUT`].
pub fn run(args: &[&str], cwd: &Path) -> Outcome {
    let out_dir = tempfile::tempdir().unwrap();
    let (o, e) = (out_dir.path().join("out"), out_dir.path().join("err"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_V_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(h) = vm_hwm_kib(pid) {
            peak = peak.max(h);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("intoto-studio {args:?} did not finish within {TIMEOUT:?} (hang)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).to_string();
    Outcome {
        code: status.code(),
        stdout: read(&o),
        stderr: read(&e),
        peak_rss_kib: peak,
    }
}

const MIB: usize = 1024 * 1024;
const DEPTH: usize = 200_000;

/// The inputs too big to commit; the same recipes as `generate` in gen_cases.py.
fn generate(kind: &str) -> Vec<u8> {
    let rep = |s: &[u8], n: usize| s.repeat(n);
    let cat = |parts: &[&[u8]]| parts.concat();
    match kind {
        "deep-array-signed" => cat(&[
            b"{\"signatures\": [], \"signed\": ",
            &rep(b"[", DEPTH),
            &rep(b"]", DEPTH),
            b"}",
        ]),
        "deep-object" => cat(&[&rep(b"{\"a\": ", DEPTH), b"1", &rep(b"}", DEPTH)]),
        "deep-array-in-readme" => cat(&[
            b"{\"signatures\": [], \"signed\": {\"_type\": \"layout\", \"readme\": ",
            &rep(b"[", DEPTH),
            &rep(b"]", DEPTH),
            b"}}",
        ]),
        "huge-readme" => cat(&[
            b"{\"signatures\": [], \"signed\": {\"_type\": \"layout\", \"expires\": \"2099-12-31T23:59:59Z\", \"inspect\": [], \"keys\": {}, \"readme\": \"",
            &rep(b"a", 64 * MIB),
            b"\", \"steps\": []}}",
        ]),
        "huge-stdout" => cat(&[
            b"{\"signatures\": [], \"signed\": {\"_type\": \"link\", \"name\": \"build\", \"byproducts\": {\"stdout\": \"",
            &rep(b"a", 64 * MIB),
            b"\"}}}",
        ]),
        "huge-artifact-path" => cat(&[
            b"{\"signatures\": [], \"signed\": {\"_type\": \"link\", \"materials\": {\"",
            &rep(b"p", 64 * MIB),
            b"\": {\"sha256\": \"00\"}}}}",
        ]),
        "huge-key-armor" => cat(&[
            b"-----BEGIN PUBLIC KEY-----\n",
            &rep(&[&rep(b"A", 64)[..], b"\n"].concat(), MIB),
            b"-----END PUBLIC KEY-----\n",
        ]),
        "huge-dsse-payload" => {
            use base64::Engine as _;
            let body = cat(&[
                b"{\"_type\": \"link\", \"byproducts\": {\"stdout\": \"",
                &rep(b"a", 48 * MIB),
                b"\"}}",
            ]);
            let b64 = base64::engine::general_purpose::STANDARD.encode(body);
            cat(&[
                b"{\"payload\": \"",
                b64.as_bytes(),
                b"\", \"payloadType\": \"application/vnd.in-toto+json\", \"signatures\": []}",
            ])
        }
        "many-signatures" => {
            let sig: &[u8] = b"{\"keyid\": \"00\", \"sig\": \"00\"}";
            let sigs = vec![sig; 500_000].join(&b", "[..]);
            cat(&[
                b"{\"signatures\": [",
                &sigs,
                b"], \"signed\": {\"_type\": \"link\"}}",
            ])
        }
        other => panic!("unknown generator {other}"),
    }
}

/// Lay out the case in a fresh folder; returns (folder, --verification-keys, the file
/// under test and the key that checks it with `sign --verify`).
fn setup(case: &Value, tmp: &Path) -> (Vec<String>, Option<(String, String)>) {
    let role = case["role"].as_str().unwrap();
    if role == "chain" {
        copy_dir(
            &dir().join("cases").join(case["path"].as_str().unwrap()),
            tmp,
        );
        std::fs::create_dir_all(tmp.join("links")).unwrap();
        let keys = case["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        return (keys, None);
    }
    copy_dir(&dir().join("base"), tmp);
    if let Some(target) = role.strip_suffix("-entry") {
        let target = match target {
            "link" => BOB_LINK,
            "layout" => "root.layout",
            "key" => "alice.pub",
            other => panic!("unknown entry target {other}"),
        };
        make_entry(tmp, case["entry"].as_str().unwrap(), target);
        return (vec!["alice.pub".into()], None);
    }
    let data = match case["generate"].as_str() {
        Some(kind) => generate(kind),
        None => std::fs::read(dir().join("cases").join(case["path"].as_str().unwrap())).unwrap(),
    };
    let (target, key) = match role {
        "layout" => ("root.layout", "alice.pub"),
        "link" => (BOB_LINK, "bob.pub"),
        "key" => ("case.key", ""),
        other => panic!("unknown role {other}"),
    };
    std::fs::write(tmp.join(target), data).unwrap();
    if role == "key" {
        (vec!["case.key".into()], None)
    } else {
        (
            vec!["alice.pub".into()],
            Some((target.to_string(), key.to_string())),
        )
    }
}

/// Replace a file of the chain (bob's link, the layout or the key) by something that is not
/// a regular file (as `make_entry` in gen_cases.py).
fn make_entry(tmp: &Path, kind: &str, target: &str) {
    let path = tmp.join(target);
    let link = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    match kind {
        "directory" => std::fs::create_dir(&path).unwrap(),
        "fifo" => {
            let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        }
        "symlink-dev-zero" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
        "symlink-loop" => std::os::unix::fs::symlink(path.file_name().unwrap(), &path).unwrap(),
        "symlink-outside" => {
            std::fs::write(tmp.join("outside.link"), link).unwrap();
            std::os::unix::fs::symlink("../outside.link", &path).unwrap();
        }
        other => panic!("unknown entry {other}"),
    }
}

fn run_case(name: &str) {
    let case = entry(name);
    let role = case["role"].as_str().unwrap();
    let reference = &case["reference"]["verify"];
    let (want_code, want_class) = match case.get("divergence") {
        Some(d) => (d["exit_code"].as_i64().unwrap(), d["error_class"].clone()),
        None => (
            reference["exit_code"].as_i64().unwrap(),
            reference["error_class"].clone(),
        ),
    };
    let tmp = tempfile::tempdir().unwrap();
    let (keys, signed_file) = setup(case, tmp.path());
    let mut args = vec!["verify", "--layout", "root.layout", "--verification-keys"];
    args.extend(keys.iter().map(String::as_str));
    args.extend(["--link-dir", "links", "--inspection-timeout", "5"]);

    // JSON report: verdict and class.
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"]);
    let out = run(&json_args, tmp.path());
    out.assert_sane(&format!("{name}: verify --format json"));
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: no JSON report ({e}), exit {:?}, stderr {}",
            out.code, out.stderr
        )
    });
    let ours_class = report["failure"]["reference_error"].clone();
    assert_eq!(
        (out.code, &ours_class),
        (Some(want_code as i32), &want_class),
        "{name} ({role}: {}): exit code and class differ from the reference's {} — our message: {}",
        case["description"],
        reference,
        report["failure"]["message"]
    );
    assert_eq!(report["passed"], Value::Bool(want_code == 0), "{name}");
    // Errors of the JSON text read as Python's `json` reports them, position included.
    if case.get("divergence").is_none()
        && matches!(
            want_class.as_str(),
            Some("JSONDecodeError" | "RecursionError" | "UnicodeDecodeError")
        )
    {
        let want = reference["error_message"].as_str().unwrap();
        let ours = report["failure"]["message"].as_str().unwrap_or_default();
        assert!(
            ours.ends_with(want),
            "{name}: our message {ours:?} is not the reference's {want:?}"
        );
    }

    // Text report: one clear failure line.
    let out = run(&args, tmp.path());
    out.assert_sane(&format!("{name}: verify"));
    assert_eq!(out.code, Some(want_code as i32), "{name}: text exit code");
    if want_code != 0 {
        let first = out.stdout.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("Verification FAILED ({})", want_class.as_str().unwrap()),
            "{name}: first line of the text report:\n{}",
            out.stdout
        );
        // The message line (the reference's message may be empty, e.g. for DSSE
        // signature failures; then the first line says it all).
        let message = report["failure"]["message"].as_str().unwrap_or_default();
        if !message.is_empty() {
            assert!(
                out.stdout.lines().any(|l| l.starts_with("  message:")),
                "{name}: no message line:\n{}",
                out.stdout
            );
        }
    } else {
        assert!(
            out.stdout.starts_with("Verification PASSED"),
            "{name}: {}",
            out.stdout
        );
    }

    // The other commands that read the same file.
    if let Some((file, key)) = signed_file {
        let out = run(&["sign", "-f", &file, "-k", &key, "--verify"], tmp.path());
        out.assert_sane(&format!("{name}: sign --verify"));
        let want = case["reference"]["sign_verify"]["exit_code"]
            .as_i64()
            .unwrap();
        assert_eq!(
            out.code,
            Some(want as i32),
            "{name}: sign --verify exit code (in-toto-sign --verify exits {want}): {}",
            out.all()
        );
        if role == "layout" {
            let out = run(&["lint", &file], tmp.path());
            out.assert_sane(&format!("{name}: lint"));
            assert!(matches!(out.code, Some(0 | 1)), "{name}: lint {out:?}");
        }
    }
    if role == "key" {
        let out = run(&["key", "id", "case.key"], tmp.path());
        out.assert_sane(&format!("{name}: key id"));
        // `key id` fails exactly when the reference could not load the key.
        let loads =
            reference["exit_code"] == 0 || reference["error_class"] == "SignatureVerificationError";
        assert_eq!(
            out.code,
            Some(if loads { 0 } else { 1 }),
            "{name}: key id {out:?}"
        );
        if !loads {
            assert!(
                out.stderr.starts_with("(intoto-studio key) "),
                "{name}: {}",
                out.stderr
            );
            assert_eq!(out.stderr.trim_end().lines().count(), 1, "{name}: one line");
        }
    }
}

// ---------------------------------------------------------------------------------------
// One test per case (generated list; `manifest_lists_every_case` keeps it complete).

macro_rules! cases {
    ($($(#[$attr:meta])* $test:ident => $name:literal,)*) => {
        const ALL_CASES: &[&str] = &[$($name),*];
        $(
            $(#[$attr])*
            #[test]
            fn $test() {
                run_case($name);
            }
        )*
    };
}

include!("bad_input/cases.rs");

#[test]
fn manifest_lists_every_case() {
    let mut in_manifest: Vec<String> = manifest()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    in_manifest.sort();
    let mut tested: Vec<String> = ALL_CASES.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(
        in_manifest, tested,
        "tests/bad_input/cases.rs and cases.json disagree (rerun gen_cases.py)"
    );
    // Every committed case file belongs to a case.
    for e in std::fs::read_dir(dir().join("cases")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            manifest()["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["path"] == n.as_str()),
            "{n} is in tests/bad_input/cases but not in cases.json"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Inputs that need a signed layout and a command-line option.

/// A signed layout whose rule asks `--param` substitution for a format width of 10^15
/// characters (Python's `str.format` mini-language, which the reference answers with
/// `MemoryError`): verification must fail with exit 1, not abort or exhaust memory.
#[test]
fn param_huge_format_width_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&dir().join("base"), tmp.path());
    let p = tmp.path().join("root.layout");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    v["signatures"] = serde_json::json!([]);
    v["signed"]["steps"][0]["expected_products"] =
        serde_json::json!([["ALLOW", "{N:>1000000000000000}"]]);
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let key = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/keys/TEST-ONLY-alice-ed25519.private.pem");
    let out = run(
        &["sign", "-f", "root.layout", "-k", key.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = run(
        &[&VERIFY_BASE[..], &["--param", "N=x", "--format", "json"]].concat(),
        tmp.path(),
    );
    out.assert_sane("verify --param with a huge format width");
    assert_eq!(out.code, Some(1), "{out:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    // The reference: `'{N:>1000000000000000}'.format(N='x')` raises MemoryError.
    assert_eq!(report["failure"]["reference_error"], "MemoryError");
}

/// Usage errors exit 2 with an error line first (in-toto-verify's argparse errors exit 2).
#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&dir().join("base"), tmp.path());
    for args in [
        &["verify"][..],
        &["verify", "--layout", "root.layout"],
        &["verify", "--verification-keys", "alice.pub"],
        &["verify", "-l", "root.layout", "--verification-keys"],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--gpg",
            "x",
        ],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--inspection-timeout",
            "-1",
        ],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--inspection-timeout",
            "ten",
        ],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--param",
            "novalue",
        ],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--format",
            "xml",
        ],
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "-v",
            "-q",
        ],
        &["sign", "-f", "root.layout"],
        &[
            "sign",
            "-f",
            "root.layout",
            "-k",
            "alice.pub",
            "--verify",
            "-a",
        ],
        &["key", "id"],
        &["key", "nothing", "alice.pub"],
        &["lint"],
    ] {
        let out = run(args, tmp.path());
        out.assert_sane(&format!("{args:?}"));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error:")
                || (first.starts_with("intoto-studio") && first.contains(" error: ")),
            "{args:?}: first stderr line {first:?}"
        );
    }
}

/// Tampered links that once verified: text Python's `json` refuses (`-NaN`) must not be
/// rewritten into a valid number, and an object keyed by serde_json's number token must
/// not be read as the number it replaced — not even when the document uses every marker
/// character the parser could rename that key to.
#[test]
fn tampered_links_that_once_passed_fail() {
    let original =
        std::fs::read_to_string(dir().join("base").join(BOB_LINK)).expect("the base link");
    // `verify` of the base chain with bob's link replaced by `text`.
    let verify_with_link = |what: &str, text: &str| {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&dir().join("base"), tmp.path());
        std::fs::write(tmp.path().join(BOB_LINK), text).unwrap();
        let out = run(&VERIFY_BASE, tmp.path());
        out.assert_sane(what);
        out
    };
    let append = |text: &str, member: &str| {
        let cut = text.trim_end().strip_suffix('}').unwrap();
        format!("{cut}, {member}}}")
    };
    let all_markers: String = (0xFDD1..=0xFDEF).filter_map(char::from_u32).collect();
    let token_dict = original.replace(
        "\"return-value\": 0",
        "\"return-value\": {\"$serde_json::private::Number\": \"0\"}",
    );
    let tampered = [
        (
            "-NaN in an unsigned field",
            append(&original, "\"x\": -NaN"),
        ),
        ("return-value as a number-token dict", token_dict.clone()),
        (
            "the same with every marker character in use",
            append(&token_dict, &format!("\"x\": \"{all_markers}\"")),
        ),
    ];
    for (what, text) in tampered {
        assert_ne!(text, original, "{what}: the mutation applies");
        let out = verify_with_link(what, &text);
        assert_eq!(out.code, Some(1), "{what}: {}", out.stdout);
        assert!(out.stdout.starts_with("Verification FAILED"), "{what}");
    }
    // The untouched chain passes, so the failures above are the mutations' doing.
    let out = verify_with_link("the original link", &original);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}
