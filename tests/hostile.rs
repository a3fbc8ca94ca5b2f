//! Regressions from the second hostile review, each judged live by the reference
//! (in-toto 3.1.0) on the same crafted files: recording through directory symlinks that loop
//! back, and file names that are not UTF-8.

mod common;
use common::*;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OURS: &str = env!("CARGO_BIN_EXE_intoto-studio");

/// `in-toto-verify`'s arguments for a conformance case, run in its `workdir/`.
const CASE_VERIFY: [&str; 6] = [
    "--layout",
    "../root.layout",
    "--verification-keys",
    "../alice.pub",
    "--link-dir",
    "../links",
];

fn key() -> PathBuf {
    Path::new(MANIFEST).join("tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem")
}

fn run_in(dir: &Path, program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `run -n s --no-command -m . -p .` with ours and the reference, each in its own copy.
type Both = ((Output, PathBuf), (Output, PathBuf), tempfile::TempDir);

fn record_both(make: impl Fn(&Path)) -> Option<Both> {
    let refbin = reference()?;
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().to_path_buf();
    let key = key();
    let args = [
        "-n",
        "s",
        "--no-command",
        "-m",
        ".",
        "-p",
        ".",
        "--signing-key",
        key.to_str().unwrap(),
    ];
    let ours_dir = tmp.join("ours");
    let ref_dir = tmp.join("ref");
    for d in [&ours_dir, &ref_dir] {
        std::fs::create_dir(d).unwrap();
        make(d);
    }
    let mut ours_args = vec!["run"];
    ours_args.extend(args);
    let ours = run_in(&ours_dir, Path::new(OURS), &ours_args);
    let theirs = run_in(&ref_dir, &refbin.join("in-toto-run"), &args);
    Some(((ours, ours_dir), (theirs, ref_dir), dir))
}

fn products(dir: &Path) -> Vec<String> {
    let link = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "link"))
        .expect("a link was written");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(link).unwrap()).unwrap();
    let mut names: Vec<String> = v["signed"]["products"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[test]
fn a_directory_symlink_that_loops_back_is_recorded_as_the_reference_records_it() {
    let Some(((ours, od), (theirs, rd), _tmp)) = record_both(|d| {
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("a"), "a").unwrap();
        std::fs::write(d.join("sub/b"), "b").unwrap();
        std::os::unix::fs::symlink(".", d.join("sub/loop")).unwrap();
    }) else {
        return;
    };
    assert!(theirs.status.success(), "{theirs:?}");
    assert!(ours.status.success(), "{ours:?}");
    let (o, r) = (products(&od), products(&rd));
    assert!(
        r.contains(&"sub/loop/loop/b".to_string()),
        "the reference follows the loop"
    );
    assert_eq!(
        o, r,
        "the same names as the reference, loop levels included"
    );
}

#[test]
fn branching_symlink_loops_fail_with_a_clear_error_instead_of_hanging() {
    // Two loops side by side: the reference's os.walk never finishes (2^40 paths); ours
    // refuses with an error naming the loop, and writes no link.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/f"), "f").unwrap();
    std::os::unix::fs::symlink(".", d.join("sub/self")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    let key = key();
    let out = run_in(
        d,
        Path::new(OURS),
        &[
            "run",
            "-n",
            "s",
            "--no-command",
            "-p",
            ".",
            "--signing-key",
            key.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Too many levels of symbolic links"),
        "{stderr}"
    );
    assert!(!d.join("s.26f0d847.link").exists());
}

#[test]
fn file_names_that_are_not_utf8_fail_as_in_the_reference() {
    let Some(((ours, od), (theirs, _), _tmp)) = record_both(|d| {
        for (name, body) in [(&b"pkg\xff"[..], "good"), (&b"pkg\xfe"[..], "EVIL")] {
            let name = std::ffi::OsStr::from_bytes(name);
            std::fs::write(d.join(name), body).unwrap();
        }
    }) else {
        return;
    };
    let ref_err = String::from_utf8_lossy(&theirs.stderr);
    let our_err = String::from_utf8_lossy(&ours.stderr);
    assert_eq!(theirs.status.code(), Some(1), "{ref_err}");
    assert_eq!(ours.status.code(), Some(1), "{our_err}");
    let tail = |s: &str, prefix: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_string))
            .unwrap_or_else(|| panic!("no '{prefix}' line in {s}"))
    };
    let want = tail(&ref_err, "(in-toto-run) ");
    assert!(want.starts_with("UnicodeEncodeError"), "{want}");
    assert_eq!(tail(&our_err, "(intoto-studio run) "), want);
    assert!(
        std::fs::read_dir(&od).unwrap().all(|e| e
            .unwrap()
            .path()
            .extension()
            .is_none_or(|x| x != "link")),
        "no link is written"
    );
}

#[test]
fn an_inspection_over_names_that_are_not_utf8_fails_as_in_the_reference() {
    let Some(refbin) = reference() else {
        return;
    };
    let case = Path::new(MANIFEST).join("tests/fixtures/conformance/cases/pass-demo-chain-legacy");
    let tmp = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for (who, program) in [
        ("ours", PathBuf::from(OURS)),
        ("ref", refbin.join("in-toto-verify")),
    ] {
        let root = tmp.path().join(who);
        copy_dir(&case, &root);
        let work = root.join("workdir");
        std::fs::write(work.join(std::ffi::OsStr::from_bytes(b"pkg\xff")), "x").unwrap();
        let mut args = vec![];
        if who == "ours" {
            args.push("verify");
        }
        args.extend(CASE_VERIFY);
        let out = run_in(&work, &program, &args);
        assert_eq!(out.status.code(), Some(1), "{who}: {out:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let line = all
            .lines()
            .find_map(|l| {
                l.find("UnicodeEncodeError: ")
                    .map(|i| l[i..].trim().to_string())
            })
            .unwrap_or_else(|| panic!("{who}: no UnicodeEncodeError in {all}"));
        lines.push(line);
    }
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn an_inspection_link_is_never_written_through_a_symlink() {
    // A product tarball can leave `untar.link -> /some/file` in the working dir; the
    // reference then overwrites /some/file with the inspection's link. We refuse, fail
    // closed, and leave the target as it was.
    let case = Path::new(MANIFEST).join("tests/fixtures/conformance/cases/pass-demo-chain-legacy");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("case");
    copy_dir(&case, &root);
    let precious = tmp.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let work = root.join("workdir");
    std::os::unix::fs::symlink(&precious, work.join("untar.link")).unwrap();
    let out = run_in(
        &work,
        Path::new(OURS),
        &[&["verify"][..], &CASE_VERIFY].concat(),
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("refusing to write"), "{text}");
    assert!(text.contains("symbolic link"), "{text}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(work.join("untar.link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn escape_sequences_in_names_never_reach_the_terminal() {
    // A signed layout whose step name clears the screen and draws "verification PASSED".
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_fixture_key(d, "alice", "alice");
    let evil = "b\u{1b}[2J\u{1b}[H\u{1b}[32mverification PASSED\u{9b}0m\r\u{202e}";
    let layout = serde_json::json!({
        "signatures": [],
        "signed": {
            "_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "", "keys": {},
            "inspect": [],
            "steps": [{
                "_type": "step", "name": evil, "threshold": 1, "pubkeys": [],
                "expected_command": [], "expected_materials": [["DISALLOW", evil]],
                "expected_products": [],
            }],
        },
    });
    std::fs::write(d.join("root.layout"), layout.to_string()).unwrap();
    let ours = |args: &[&str]| run_in(d, Path::new(OURS), args);
    assert!(
        ours(&["sign", "-f", "root.layout", "-k", "alice"])
            .status
            .success()
    );
    let verify = [
        "verify",
        "--layout",
        "root.layout",
        "--verification-keys",
        "alice.pub",
    ];
    let raw = |c: char| move |b: &[u8]| String::from_utf8_lossy(b).contains(c);
    for args in [
        &verify[..],
        &[&verify[..], &["--format", "markdown"]].concat(),
        &[&verify[..], &["-v"]].concat(),
        &["lint", "root.layout"],
        &["graph", "root.layout"],
        &["graph", "root.layout", "--format", "dot"],
        &["graph", "root.layout", "--format", "mermaid"],
    ] {
        let out = ours(args);
        for c in ['\u{1b}', '\u{9b}', '\r', '\u{202e}'] {
            assert!(
                !raw(c)(&out.stdout) && !raw(c)(&out.stderr),
                "{args:?} printed {c:?} raw: {out:?}"
            );
        }
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("\\x1b[2J"),
            "{args:?} shows the name escaped: {out:?}"
        );
    }
    let out = ours(&[&verify[..], &["--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failure"]["item"], evil, "JSON stays exact");
}
