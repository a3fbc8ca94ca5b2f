//! Interoperability of the toolbox (`keygen`, `sign`, `run`, `record`) with the reference
//! implementation (in-toto 3.1.0 / securesystemslib 1.6.0), both ways, for both metadata
//! formats and all three key types:
//!
//! 1. ours → reference: keys from our `keygen`, the layout signed by our `sign`, links from
//!    our `run` and `record`; `in-toto-verify` passes, and fails with
//!    `RuleVerificationError` after an artifact changed between two steps;
//! 2. reference → ours: links from `in-toto-run`/`in-toto-record`, the layout signed by
//!    `in-toto-sign` (with our keygen's keys); our `verify` agrees;
//! 3. `run` and `record` write byte-identical files to the reference's for the same tree,
//!    options and (deterministic ed25519) key.
//!
//! The reference is installed by `tests/support/ensure-reference.sh`. If that fails (no
//! Python or network), each test says it skipped and why; under `.ci/run`
//! (`INTOTO_STUDIO_REQUIRE_REFERENCE=1`) it fails instead.

mod common;
use common::*;

use base64::Engine;
use intoto_studio::crypto::PublicKey;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn output(mut cmd: Command, dir: &Path) -> Out {
    let out = cmd
        .current_dir(dir)
        .env_remove("INTOTO_STUDIO_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .expect("spawn");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Which implementation runs a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Ours,
    Reference,
}

/// Run `tool` (`run`, `record`, `sign`, `verify`) with in-toto's flags.
fn invoke(who: Tool, refbin: &Path, dir: &Path, tool: &str, args: &[&str]) -> Out {
    let cmd = match who {
        Tool::Ours => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_intoto-studio"));
            c.arg(tool).args(args);
            c
        }
        Tool::Reference => {
            let mut c = Command::new(refbin.join(format!("in-toto-{tool}")));
            c.args(args);
            c
        }
    };
    output(cmd, dir)
}

fn ours(dir: &Path, args: &[&str]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intoto-studio"));
    c.args(args);
    output(c, dir)
}

/// Our keygen: `<dir>/<name>` and `<name>.pub`; returns the printed keyid.
fn keygen(dir: &Path, kind: &str, name: &str, password: Option<&str>) -> String {
    let mut args = vec!["keygen", "--type", kind, name];
    if let Some(pw) = password {
        args.extend(["-P", pw]);
    }
    let out = ours(dir, &args);
    assert_eq!(out.code, 0, "keygen {kind}: {out:?}");
    let keyid = out.stdout.trim().to_string();
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap())
            .unwrap();
    assert_eq!(public.keyid, keyid, "printed keyid is the .pub's keyid");
    keyid
}

fn key_dict(pub_path: &Path) -> (String, Value) {
    let key = PublicKey::from_pem(&std::fs::read_to_string(pub_path).unwrap()).unwrap();
    (key.keyid.clone(), Value::Object(key.to_key_dict()))
}

fn rule(tokens: &[&str]) -> Value {
    json!(tokens)
}

/// The `signed` part of a three-step layout (write → edit → package) for one functionary.
fn layout_signed(func_pub: &Path) -> Value {
    let (kid, dict) = key_dict(func_pub);
    let mut keys = serde_json::Map::new();
    keys.insert(kid.clone(), dict);
    let step = |name: &str, cmd: Value, materials: Vec<Value>, products: Vec<Value>| {
        json!({
            "_type": "step",
            "name": name,
            "threshold": 1,
            "pubkeys": [kid],
            "expected_command": cmd,
            "expected_materials": materials,
            "expected_products": products,
        })
    };
    json!({
        "_type": "layout",
        "expires": "2099-12-31T23:59:59Z",
        "readme": "interop chain",
        "keys": keys,
        "inspect": [],
        "steps": [
            step(
                "write",
                json!([]),
                vec![rule(&["DISALLOW", "*"])],
                vec![rule(&["CREATE", "src/foo.py"]), rule(&["DISALLOW", "*"])],
            ),
            step(
                "edit",
                json!(EDIT_CMD),
                vec![
                    rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "write"]),
                    rule(&["DISALLOW", "*"]),
                ],
                vec![rule(&["MODIFY", "src/foo.py"]), rule(&["DISALLOW", "*"])],
            ),
            step(
                "package",
                json!(PACKAGE_CMD),
                vec![
                    rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "edit"]),
                    rule(&["DISALLOW", "*"]),
                ],
                vec![
                    rule(&["CREATE", "dist/foo.py"]),
                    rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "edit"]),
                    rule(&["DISALLOW", "*"]),
                ],
            ),
        ],
    })
}

const EDIT_CMD: [&str; 3] = ["sh", "-c", "echo '# reviewed' >> src/foo.py"];
const PACKAGE_CMD: [&str; 3] = ["sh", "-c", "mkdir -p dist && cp src/foo.py dist/foo.py"];

/// Write the unsigned layout: legacy `{"signatures": [], "signed": ..}` or a DSSE envelope.
fn write_unsigned_layout(path: &Path, signed: &Value, dsse: bool) {
    let doc = if dsse {
        let payload = serde_json::to_vec(signed).unwrap();
        json!({
            "payload": base64::engine::general_purpose::STANDARD.encode(payload),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [],
        })
    } else {
        json!({"signatures": [], "signed": signed})
    };
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

fn with_dsse(mut args: Vec<&str>, dsse: bool) -> Vec<&str> {
    if dsse {
        args.push("--use-dsse");
    }
    args
}

/// Carry out the chain in `work` with `who`'s tools, keys in the parent directory.
fn run_chain(who: Tool, refbin: &Path, work: &Path, dsse: bool) {
    let ok = |out: Out, what: &str| assert_eq!(out.code, 0, "{who:?} {what}: {out:?}");
    ok(
        invoke(
            who,
            refbin,
            work,
            "record",
            &with_dsse(
                vec!["start", "-n", "write", "--signing-key", "../func"],
                dsse,
            ),
        ),
        "record start",
    );
    std::fs::create_dir_all(work.join("src")).unwrap();
    std::fs::write(work.join("src/foo.py"), "print('hello')\n").unwrap();
    ok(
        invoke(
            who,
            refbin,
            work,
            "record",
            // --use-dsse is ignored by stop (the format of start is kept).
            &[
                "stop",
                "-n",
                "write",
                "--signing-key",
                "../func",
                "-p",
                "src",
            ],
        ),
        "record stop",
    );
    let mut edit = with_dsse(
        vec![
            "-n",
            "edit",
            "--signing-key",
            "../func",
            "-m",
            "src",
            "-p",
            "src",
        ],
        dsse,
    );
    edit.push("--");
    edit.extend(EDIT_CMD);
    ok(invoke(who, refbin, work, "run", &edit), "run edit");
    package(who, refbin, work, dsse);
}

fn package(who: Tool, refbin: &Path, work: &Path, dsse: bool) {
    let mut args = with_dsse(
        vec![
            "-n",
            "package",
            "--signing-key",
            "../func",
            "-m",
            "src",
            "-p",
            "src",
            "dist",
        ],
        dsse,
    );
    args.push("--");
    args.extend(PACKAGE_CMD);
    let out = invoke(who, refbin, work, "run", &args);
    assert_eq!(out.code, 0, "{who:?} run package: {out:?}");
}

fn reference_verify(refbin: &Path, work: &Path) -> Out {
    invoke(
        Tool::Reference,
        refbin,
        work,
        "verify",
        &[
            "-l",
            "../root.layout",
            "--verification-keys",
            "../owner.pub",
        ],
    )
}

fn our_verify(work: &Path) -> Value {
    let out = ours(
        work,
        &[
            "verify",
            "-l",
            "../root.layout",
            "--verification-keys",
            "../owner.pub",
            "--format",
            "json",
            "--no-inspection-links",
        ],
    );
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("verify --format json: {e}: {out:?}"));
    assert_eq!(
        out.code,
        if report["passed"] == json!(true) {
            0
        } else {
            1
        },
        "{out:?}"
    );
    report
}

/// One key type, both formats, both directions.
fn chain_interop(kind: &str) {
    let Some(refbin) = reference() else { return };
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = keys.path();
    std::thread::scope(|s| {
        for name in ["owner", "func"] {
            s.spawn(move || keygen(keys_dir, kind, name, None));
        }
    });
    for dsse in [false, true] {
        let label = format!("{kind} {}", if dsse { "dsse" } else { "legacy" });
        for who in [Tool::Ours, Tool::Reference] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            for f in ["owner", "owner.pub", "func", "func.pub"] {
                std::fs::copy(keys.path().join(f), d.join(f)).unwrap();
            }
            let work = d.join("work");
            std::fs::create_dir(&work).unwrap();

            // The layout, signed by `who` (ours converts a legacy file with --use-dsse, the
            // reference keeps the format of the unsigned DSSE file).
            let signed = layout_signed(&d.join("func.pub"));
            let sign_out = match who {
                Tool::Ours => {
                    write_unsigned_layout(&d.join("layout.unsigned"), &signed, false);
                    invoke(
                        who,
                        refbin,
                        d,
                        "sign",
                        &with_dsse(
                            vec!["-f", "layout.unsigned", "-k", "owner", "-o", "root.layout"],
                            dsse,
                        ),
                    )
                }
                Tool::Reference => {
                    write_unsigned_layout(&d.join("layout.unsigned"), &signed, dsse);
                    invoke(
                        who,
                        refbin,
                        d,
                        "sign",
                        &["-f", "layout.unsigned", "-k", "owner", "-o", "root.layout"],
                    )
                }
            };
            assert_eq!(sign_out.code, 0, "{label} {who:?} sign: {sign_out:?}");
            let text = std::fs::read_to_string(d.join("root.layout")).unwrap();
            assert_eq!(text.starts_with("{\"payload\""), dsse, "{label} {who:?}");
            // Each side checks the other's layout signature.
            let other = if who == Tool::Ours {
                Tool::Reference
            } else {
                Tool::Ours
            };
            let out = invoke(
                other,
                refbin,
                d,
                "sign",
                &["-f", "root.layout", "-k", "owner.pub", "--verify"],
            );
            assert_eq!(out.code, 0, "{label}: {other:?} sign --verify: {out:?}");
            let out = invoke(
                other,
                refbin,
                d,
                "sign",
                &["-f", "root.layout", "-k", "func.pub", "--verify"],
            );
            assert_eq!(
                out.code, 1,
                "{label}: {other:?} sign --verify (wrong key): {out:?}"
            );

            run_chain(who, refbin, &work, dsse);
            for name in ["write", "edit", "package"] {
                let kid = &key_dict(&d.join("func.pub")).0[..8];
                let text = std::fs::read_to_string(work.join(format!("{name}.{kid}.link")))
                    .unwrap_or_else(|e| panic!("{label} {who:?}: link {name}: {e}"));
                assert_eq!(
                    text.starts_with("{\"payload\""),
                    dsse,
                    "{label} {who:?} {name}"
                );
            }

            let out = reference_verify(refbin, &work);
            assert_eq!(
                out.code, 0,
                "{label}: in-toto-verify on {who:?} chain: {out:?}"
            );
            let report = our_verify(&work);
            assert_eq!(
                report["passed"],
                json!(true),
                "{label}: our verify on {who:?} chain"
            );

            // The file changes between `edit` and `package`; `package` runs again.
            std::fs::write(work.join("src/foo.py"), "print('evil')\n").unwrap();
            package(who, refbin, &work, dsse);
            let out = reference_verify(refbin, &work);
            assert_eq!(
                out.code, 1,
                "{label}: in-toto-verify on tampered {who:?} chain"
            );
            assert!(
                out.text().contains("RuleVerificationError"),
                "{label}: {who:?}: {out:?}"
            );
            let report = our_verify(&work);
            assert_eq!(report["passed"], json!(false), "{label}");
            assert_eq!(
                report["failure"]["reference_error"],
                json!("RuleVerificationError"),
                "{label}: {who:?}: {report:#}"
            );
            assert_eq!(report["failure"]["item"], json!("package"), "{label}");
        }
    }
}

#[test]
fn chain_interop_ed25519() {
    chain_interop("ed25519");
}

#[test]
fn chain_interop_rsa() {
    chain_interop("rsa");
}

#[test]
fn chain_interop_ecdsa() {
    chain_interop("ecdsa");
}

/// The reference signs with our keygen's password-protected keys.
#[test]
fn reference_reads_encrypted_keygen_keys() {
    let Some(refbin) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("f"), "f").unwrap();
    // Encrypting is slow in debug builds (PBKDF2): make the keys in parallel.
    let keyids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = ["ed25519", "rsa", "ecdsa"]
            .into_iter()
            .map(|kind| s.spawn(move || keygen(d, kind, &format!("k-{kind}"), Some("pa55"))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (kind, keyid) in ["ed25519", "rsa", "ecdsa"].into_iter().zip(keyids) {
        let name = format!("k-{kind}");
        let text = std::fs::read_to_string(d.join(&name)).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let out = invoke(
            Tool::Reference,
            refbin,
            d,
            "run",
            &[
                "-n",
                kind,
                "--signing-key",
                &name,
                "-P",
                "pa55",
                "-x",
                "-m",
                "f",
            ],
        );
        assert_eq!(out.code, 0, "{kind}: {out:?}");
        let link = format!("{kind}.{}.link", &keyid[..8]);
        let out = invoke(
            Tool::Reference,
            refbin,
            d,
            "sign",
            &["-f", &link, "-k", &format!("{name}.pub"), "--verify"],
        );
        assert_eq!(out.code, 0, "{kind}: {out:?}");
        let out = invoke(
            Tool::Reference,
            refbin,
            d,
            "run",
            &["-n", kind, "--signing-key", &name, "-P", "wrong", "-x"],
        );
        assert_eq!(out.code, 1);
        // A wrong password decrypts the key (AES-CBC) to garbage. Mostly its padding is
        // then invalid ("Incorrect password"); about once in 256 keys the padding happens
        // to be valid and `cryptography` fails on the garbage DER instead.
        assert!(
            out.stderr.contains("ValueError: Incorrect password")
                || out
                    .stderr
                    .contains("ValueError: Could not deserialize key data"),
            "{kind}: {out:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Byte-identical recording

const BOB_KEY: &str = "tests/fixtures/keys/TEST-ONLY-bob-ed25519.private.pem";
const BOB_KID8: &str = "2f898e60";

/// A tree with the cases the recorder must get right.
fn build_tree(root: &Path) {
    let files = [
        "a.txt",
        "with space.txt",
        "ünïcödé.txt",
        "日本/文書.md",
        "sub/s.txt",
        "sub/deep/d.txt",
        "sub/deep/x.pyc",
        ".git/HEAD",
        "b~",
        "old.link",
        "s.txt",
        "tab\there.txt",
    ];
    for f in files {
        let p = root.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("content of {f}\n")).unwrap();
    }
    std::os::unix::fs::symlink("a.txt", root.join("link-to-a")).unwrap();
    std::os::unix::fs::symlink("sub", root.join("dirlink")).unwrap();
    std::os::unix::fs::symlink("missing", root.join("broken")).unwrap();
    std::os::unix::fs::symlink(root.join("sub/s.txt"), root.join("abs-link")).unwrap();
}

/// Compare two link files byte for byte; on a difference, show the payloads.
fn assert_same_file(ours_path: &Path, ref_path: &Path, what: &str) {
    let a = std::fs::read(ours_path).unwrap_or_else(|e| panic!("{what}: ours: {e}"));
    let b = std::fs::read(ref_path).unwrap_or_else(|e| panic!("{what}: reference: {e}"));
    if a != b {
        let show = |p: &Path| {
            intoto_studio::model::envelope::Metadata::load(p)
                .map(|m| format!("{:#}", m.payload().unwrap().to_value()))
                .unwrap_or_else(|e| e.to_string())
        };
        panic!(
            "{what}: files differ\n--- ours ({})\n{}\n--- reference\n{}",
            ours_path.display(),
            show(ours_path),
            show(ref_path)
        );
    }
}

#[test]
fn run_and_record_write_byte_identical_files() {
    let Some(refbin) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("tree");
    build_tree(&tree);
    std::fs::copy(Path::new(MANIFEST).join(BOB_KEY), d.join("bob")).unwrap();
    let option_sets: &[&[&str]] = &[
        &["-m", ".", "-p", "."],
        &["-m", ".", "--exclude", "*.txt", "sub/deep/"],
        &["-m", ".", "--exclude", "*", "!*.txt"],
        &["-m", ".", "--exclude", "/s.txt", "**/deep", "日本"],
        &[
            "-m",
            "sub/deep",
            "dirlink/s.txt",
            "--lstrip-paths",
            "sub/",
            "dirlink/",
        ],
        &["-m", ".", "--base-path", "sub"],
        &[
            "-p",
            "deep",
            "s.txt",
            "missing",
            "--base-path",
            "sub",
            "--lstrip-paths",
            "deep/",
        ],
        &[
            "-m",
            "a.txt",
            "link-to-a",
            "abs-link",
            "with space.txt",
            "ünïcödé.txt",
            "tab\there.txt",
            "日本",
            "missing",
            "broken",
            "./sub/../a.txt",
            "dirlink/deep",
        ],
    ];
    let mut n = 0;
    for dsse in [false, true] {
        for opts in option_sets {
            n += 1;
            let what = format!("run -x {opts:?} dsse={dsse}");
            let (out_ours, out_ref) = (d.join(format!("ours{n}")), d.join(format!("ref{n}")));
            std::fs::create_dir(&out_ours).unwrap();
            std::fs::create_dir(&out_ref).unwrap();
            for (who, out_dir) in [(Tool::Ours, &out_ours), (Tool::Reference, &out_ref)] {
                let out_dir = out_dir.to_str().unwrap();
                let mut args = vec!["-n", "m", "--signing-key", "../bob", "-x", "-d", out_dir];
                args.extend_from_slice(opts);
                if dsse {
                    args.push("--use-dsse");
                }
                let out = invoke(who, refbin, &tree, "run", &args);
                assert_eq!(out.code, 0, "{what}: {who:?}: {out:?}");
            }
            let name = format!("m.{BOB_KID8}.link");
            assert_same_file(&out_ours.join(&name), &out_ref.join(&name), &what);
        }
    }

    // With a command: same byproducts (streams with universal newlines), same exit code.
    for dsse in [false, true] {
        n += 1;
        let what = format!("run -s dsse={dsse}");
        let (out_ours, out_ref) = (d.join(format!("ours{n}")), d.join(format!("ref{n}")));
        let mut codes = Vec::new();
        for (who, out_dir) in [(Tool::Ours, &out_ours), (Tool::Reference, &out_ref)] {
            std::fs::create_dir(out_dir).unwrap();
            let out_dir = out_dir.to_str().unwrap();
            let mut args = vec![
                "-n",
                "c",
                "--signing-key",
                "../bob",
                "-d",
                out_dir,
                "-s",
                "-m",
                "a.txt",
                "-p",
                "a.txt",
            ];
            if dsse {
                args.push("--use-dsse");
            }
            args.extend([
                "--",
                "sh",
                "-c",
                "printf 'out\\r\\nü\\rend'; echo err >&2; exit 3",
            ]);
            let out = invoke(who, refbin, &tree, "run", &args);
            assert_eq!(
                out.stdout.replace("\r\n", "\n").replace('\r', "\n"),
                "out\nü\nend"
            );
            codes.push(out.code);
        }
        assert_eq!(codes, vec![3, 3], "{what}");
        let name = format!("c.{BOB_KID8}.link");
        assert_same_file(&out_ours.join(&name), &out_ref.join(&name), &what);
    }

    // A killed command: the same return value and exit code.
    n += 1;
    let (out_ours, out_ref) = (d.join(format!("ours{n}")), d.join(format!("ref{n}")));
    let mut codes = Vec::new();
    for (who, out_dir) in [(Tool::Ours, &out_ours), (Tool::Reference, &out_ref)] {
        std::fs::create_dir(out_dir).unwrap();
        let args = [
            "-n",
            "k",
            "--signing-key",
            "../bob",
            "-d",
            out_dir.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "kill -9 $$",
        ];
        codes.push(invoke(who, refbin, &tree, "run", &args).code);
    }
    assert_eq!(codes, vec![247, 247]);
    let name = format!("k.{BOB_KID8}.link");
    assert_same_file(
        &out_ours.join(&name),
        &out_ref.join(&name),
        "killed command",
    );

    // record start/stop.
    for dsse in [false, true] {
        n += 1;
        let what = format!("record dsse={dsse}");
        let (out_ours, out_ref) = (d.join(format!("ours{n}")), d.join(format!("ref{n}")));
        for (who, out_dir) in [(Tool::Ours, &out_ours), (Tool::Reference, &out_ref)] {
            std::fs::create_dir(out_dir).unwrap();
            let start = with_dsse(
                vec![
                    "start",
                    "-n",
                    "r",
                    "--signing-key",
                    "../bob",
                    "-m",
                    "sub",
                    "--lstrip-paths",
                    "sub/",
                ],
                dsse,
            );
            let out = invoke(who, refbin, &tree, "record", &start);
            assert_eq!(out.code, 0, "{what}: {who:?}: {out:?}");
            let unfinished = tree.join(format!(".r.{BOB_KID8}.link-unfinished"));
            std::fs::copy(&unfinished, out_dir.join("unfinished")).unwrap();
            let stop = [
                "stop",
                "-n",
                "r",
                "--signing-key",
                "../bob",
                "-p",
                ".",
                "--exclude",
                "*.link*",
                "sub",
                "-d",
                out_dir.to_str().unwrap(),
            ];
            let out = invoke(who, refbin, &tree, "record", &stop);
            assert_eq!(out.code, 0, "{what}: {who:?}: {out:?}");
            assert!(!unfinished.exists());
        }
        assert_same_file(
            &out_ours.join("unfinished"),
            &out_ref.join("unfinished"),
            &format!("{what} (unfinished)"),
        );
        let name = format!("r.{BOB_KID8}.link");
        assert_same_file(&out_ours.join(&name), &out_ref.join(&name), &what);
    }

    // The same error lines (but for the program name) for recording errors.
    let errors: &[&[&str]] = &[
        &["-m", "sub/s.txt", "s.txt", "--lstrip-paths", "sub/"],
        &["-m", "sub", "dirlink", "--lstrip-paths", "sub/", "dirlink/"],
        &["-m", ".", "--lstrip-paths", "sub", "sub/deep"],
        &["-m", ".", "--base-path", "nowhere"],
        &["-m", ".", "--base-path", "a.txt"],
    ];
    for opts in errors {
        let mut lines = Vec::new();
        for who in [Tool::Ours, Tool::Reference] {
            let mut args = vec!["-n", "e", "--signing-key", "../bob", "-x", "-d", ".."];
            args.extend_from_slice(opts);
            let out = invoke(who, refbin, &tree, "run", &args);
            assert_eq!(out.code, 1, "{opts:?}: {who:?}: {out:?}");
            lines.push(
                out.stderr
                    .replace("(intoto-studio run)", "(run)")
                    .replace("(in-toto-run)", "(run)"),
            );
        }
        assert_eq!(lines[0], lines[1], "{opts:?}");
    }
}

/// A step with two functionaries and threshold 1, where the first candidate link is not
/// signed by its keyid (and its products would break the step's rules) and the second
/// one verifies: the rules must be judged on the link that verifies, not on the first one
/// read (the verifier evaluates rules ahead on the first loaded links and must notice
/// when those are not the links in scope). Both formats; our verdict is the reference's.
#[test]
fn rules_are_judged_on_the_link_that_verifies() {
    let Some(refbin) = reference() else { return };
    let keys = tempfile::tempdir().unwrap();
    for name in ["owner", "bob", "carl"] {
        keygen(keys.path(), "ed25519", name, None);
    }
    let (bob, bob_dict) = key_dict(&keys.path().join("bob.pub"));
    let (carl, carl_dict) = key_dict(&keys.path().join("carl.pub"));
    let signed = json!({
        "_type": "layout",
        "expires": "2099-12-31T23:59:59Z",
        "readme": "",
        "keys": {bob.clone(): bob_dict, carl.clone(): carl_dict},
        "inspect": [],
        "steps": [{
            "_type": "step",
            "name": "s",
            "threshold": 1,
            "pubkeys": [bob, carl],
            "expected_command": [],
            "expected_materials": [],
            "expected_products": [rule(&["ALLOW", "good"]), rule(&["DISALLOW", "*"])],
        }],
    });
    for dsse in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in ["owner", "owner.pub", "carl"] {
            std::fs::copy(keys.path().join(f), d.join(f)).unwrap();
        }
        write_unsigned_layout(&d.join("layout.unsigned"), &signed, false);
        let out = ours(
            d,
            &with_dsse(
                vec![
                    "sign",
                    "-f",
                    "layout.unsigned",
                    "-k",
                    "owner",
                    "-o",
                    "root.layout",
                ],
                dsse,
            ),
        );
        assert_eq!(out.code, 0, "sign: {out:?}");
        let work = d.join("work");
        std::fs::create_dir(&work).unwrap();
        let run = |product: &str| {
            std::fs::write(work.join(product), product).unwrap();
            let out = ours(
                &work,
                &with_dsse(
                    vec![
                        "run",
                        "-n",
                        "s",
                        "--signing-key",
                        "../carl",
                        "-x",
                        "-p",
                        product,
                    ],
                    dsse,
                ),
            );
            assert_eq!(out.code, 0, "run: {out:?}");
            std::fs::remove_file(work.join(product)).unwrap();
        };
        // Carl's link with a disallowed product, under Bob's file name (no signature by
        // Bob): read first (Bob is listed first), never verified.
        run("evil");
        std::fs::rename(
            work.join(format!("s.{}.link", &carl[..8])),
            work.join(format!("s.{}.link", &bob[..8])),
        )
        .unwrap();
        run("good");
        let reference = reference_verify(refbin, &work);
        let report = our_verify(&work);
        assert_eq!(
            reference.code, 0,
            "the reference accepts the chain (Carl's link verifies and passes): {reference:?}"
        );
        assert_eq!(
            report["passed"],
            json!(reference.code == 0),
            "dsse {dsse}: our verdict differs from the reference's: {report}"
        );
    }
}
