//! The toolbox subcommands (`keygen`, `sign`, `run`, `record start|stop`) through the
//! binary, in temporary directories: files written, exit codes, argument rules, messages.

use intoto_studio::crypto::{PrivateKey, PublicKey};
use intoto_studio::model::envelope::{Format, Metadata, Payload};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FIXTURE_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
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

/// The base64 lines of every private key file in `dir` (and the fixture keys).
fn secret_lines(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut scan = |d: &Path| {
        for entry in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            if text.contains("PRIVATE KEY-----") {
                lines.extend(
                    text.lines()
                        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                        .map(str::to_string),
                );
            }
        }
    };
    scan(dir);
    scan(Path::new(FIXTURE_KEYS));
    lines
}

/// Run the binary in `dir` (no password in the environment, stdin closed) and check that
/// no private key material appears in its output.
fn studio_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intoto-studio"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("INTOTO_STUDIO_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run intoto-studio");
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains("-----BEGIN"), "PEM text in output: {out:?}");
        for line in secret_lines(dir) {
            assert!(
                !text.contains(&line),
                "private key material in output: {out:?}"
            );
        }
    }
    out
}

fn studio(dir: &Path, args: &[&str]) -> Out {
    studio_env(dir, args, &[])
}

/// Copy a TEST-ONLY fixture key pair into `dir` as `<name>` and `<name>.pub`.
fn fixture_key(dir: &Path, person: &str, name: &str) {
    let base = Path::new(FIXTURE_KEYS);
    let private = std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.starts_with(&format!("TEST-ONLY-{person}-")) && n.ends_with(".private.pem")
        })
        .unwrap();
    let public = PathBuf::from(
        private
            .to_string_lossy()
            .replace(".private.pem", ".pub.pem"),
    );
    std::fs::write(dir.join(name), std::fs::read(&private).unwrap()).unwrap();
    std::fs::write(
        dir.join(format!("{name}.pub")),
        std::fs::read(&public).unwrap(),
    )
    .unwrap();
}

fn keyid_of_pub(path: &Path) -> String {
    PublicKey::from_pem(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .keyid
}

const BOB: &str = "2f898e60e4f4e9f099281979b4bcbbc6922757f96c5771ee4f15a04dd2c70ca4";
const ALICE: &str = "26f0d847d73c321a5a26ca990546a5c23295e2b9e88008c50d740f9a4b77b0d7";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixture_key(dir.path(), "bob", "bob");
    fixture_key(dir.path(), "alice", "alice");
    dir
}

fn load(path: &Path) -> Metadata {
    Metadata::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn link_value(path: &Path) -> Value {
    load(path).payload().unwrap().to_value()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------------------
// keygen

#[test]
fn keygen_writes_pkcs8_and_spki_and_prints_the_keyid() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, header) in [
        ("ed25519", "-----BEGIN PRIVATE KEY-----"),
        ("rsa", "-----BEGIN PRIVATE KEY-----"),
        ("ecdsa", "-----BEGIN PRIVATE KEY-----"),
    ] {
        let name = format!("k-{kind}");
        let out = studio(dir.path(), &["keygen", "--type", kind, &name]);
        assert_eq!(out.code, 0, "{out:?}");
        let private = dir.path().join(&name);
        let public = dir.path().join(format!("{name}.pub"));
        assert_eq!(mode(&private), 0o600);
        let text = std::fs::read_to_string(&private).unwrap();
        assert!(text.starts_with(header), "{kind}: {text:.40}");
        let keyid = keyid_of_pub(&public);
        assert_eq!(out.stdout, format!("{keyid}\n"), "{kind}");
        let key = PrivateKey::from_pem(&text, None).unwrap();
        assert_eq!(key.public_key().keyid, keyid);
        let label = key.public_key().kind_label();
        assert!(label.to_lowercase().contains(kind), "{kind}: {label}");
    }
    // The default type is ed25519.
    let out = studio(dir.path(), &["keygen", "default"]);
    assert_eq!(out.code, 0, "{out:?}");
    let key =
        PublicKey::from_pem(&std::fs::read_to_string(dir.path().join("default.pub")).unwrap())
            .unwrap();
    assert!(key.kind_label().to_lowercase().contains("ed25519"));
}

#[test]
fn keygen_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = studio(dir.path(), &["keygen", "k"]);
    assert_eq!(out.code, 0, "{out:?}");
    let before = std::fs::read(dir.path().join("k")).unwrap();
    let before_pub = std::fs::read(dir.path().join("k.pub")).unwrap();

    let out = studio(dir.path(), &["keygen", "k"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("(intoto-studio keygen) FileExistsError: "),
        "{out:?}"
    );
    assert_eq!(std::fs::read(dir.path().join("k")).unwrap(), before);
    assert_eq!(std::fs::read(dir.path().join("k.pub")).unwrap(), before_pub);

    // Only the .pub exists: refused as well, and nothing is written.
    std::fs::write(dir.path().join("lonely.pub"), "keep").unwrap();
    let out = studio(dir.path(), &["keygen", "lonely"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!dir.path().join("lonely").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lonely.pub")).unwrap(),
        "keep"
    );

    let out = studio(dir.path(), &["keygen", "--force", "k"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_ne!(std::fs::read(dir.path().join("k")).unwrap(), before);
    assert_eq!(mode(&dir.path().join("k")), 0o600);
    assert_eq!(
        out.stdout.trim(),
        keyid_of_pub(&dir.path().join("k.pub")),
        "the new keyid"
    );
}

#[test]
fn keygen_encrypts_with_a_password() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), "x").unwrap();
    // Encrypting is slow in debug builds (PBKDF2): make both keys at once.
    let (out, out2) = std::thread::scope(|s| {
        let a = s.spawn(|| studio(dir.path(), &["keygen", "-P", "s3cret", "enc"]));
        // `-P` alone takes the password from the environment instead of prompting.
        let b = s.spawn(|| {
            studio_env(
                dir.path(),
                &["keygen", "enc2", "-P"],
                &[("INTOTO_STUDIO_PASSWORD", "from-env")],
            )
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out2.code, 0, "{out2:?}");
    let text = std::fs::read_to_string(dir.path().join("enc")).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(!out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"));
    let text2 = std::fs::read_to_string(dir.path().join("enc2")).unwrap();
    assert!(text2.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // The encrypted key signs with its password; without it, the reference's errors.
    let keyid = keyid_of_pub(&dir.path().join("enc.pub"));
    let out = studio(
        dir.path(),
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "enc",
            "-P",
            "s3cret",
            "-x",
            "-m",
            "f",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(dir.path().join(format!("s.{}.link", &keyid[..8])).exists());
    let out = studio(
        dir.path(),
        &["run", "-n", "s", "--signing-key", "enc", "-x"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "(intoto-studio run) TypeError: Password was not given but private key is encrypted\n"
    );
}

// ---------------------------------------------------------------------------------------
// sign

/// An unsigned legacy layout with one step for bob.
fn write_layout(dir: &Path, name: &str) {
    let bob = PublicKey::from_pem(&std::fs::read_to_string(dir.join("bob.pub")).unwrap()).unwrap();
    let mut keys = serde_json::Map::new();
    keys.insert(bob.keyid.clone(), Value::Object(bob.to_key_dict()));
    let layout = serde_json::json!({
        "signatures": [],
        "signed": {
            "_type": "layout",
            "expires": "2099-01-01T00:00:00Z",
            "inspect": [],
            "keys": keys,
            "readme": "",
            "steps": [{
                "_type": "step",
                "name": "s",
                "threshold": 1,
                "pubkeys": [bob.keyid],
                "expected_command": [],
                "expected_materials": [],
                "expected_products": [],
            }],
        }
    });
    std::fs::write(dir.join(name), serde_json::to_vec(&layout).unwrap()).unwrap();
}

#[test]
fn sign_argument_rules_exit_2() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("a"), "a").unwrap();
    assert_eq!(
        studio(
            d,
            &["run", "-n", "s", "--signing-key", "bob", "-x", "-m", "a"]
        )
        .code,
        0
    );
    let link = format!("s.{}.link", &BOB[..8]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["sign", "-f", &link],
            "error: wrong arguments: specify '--key PATH [PATH ...]' (GPG keys, in-toto-sign's other choice, are not supported yet)",
        ),
        (
            &["sign", "-f", &link, "-k", "bob.pub", "--verify", "-o", "x"],
            "error: conflicting arguments: don't specify any of 'append' or 'output' when verifying signatures",
        ),
        (
            &["sign", "-f", &link, "-k", "bob.pub", "--verify", "-a"],
            "error: conflicting arguments",
        ),
        (
            &["sign", "-f", &link, "-k", "bob", "alice"],
            "error: too many arguments: link metadata is associated with a single functionary",
        ),
        (
            &["sign", "-f", &link, "-k", "bob", "-a"],
            "Hence adding signatures to existing signatures on link metadata is not allowed.",
        ),
        (&["sign", "-k", "bob"], "--file"),
        (&["sign", "-f", &link, "-g", "ABCD"], "GPG"),
    ];
    for (args, needle) in cases {
        let out = studio(d, args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
    }
    // A file that is not metadata, or missing: exit 2, with the error line every
    // subcommand writes: (prog) Class: message.
    std::fs::write(d.join("junk"), "not json").unwrap();
    let out = studio(d, &["sign", "-f", "junk", "-k", "bob"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("(intoto-studio sign) JSONDecodeError: junk: "),
        "{out:?}"
    );
    let out = studio(d, &["sign", "-f", "missing", "-k", "bob"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "(intoto-studio sign) FileNotFoundError: missing: [Errno 2] No such file or directory: 'missing'\n"
    );
    // Signing errors: exit 2.
    let out = studio(d, &["sign", "-f", &link, "-k", "nokey"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "(intoto-studio sign) FileNotFoundError: [Errno 2] No such file or directory: 'nokey'\n"
    );
    let out = studio(d, &["sign", "-f", &link, "-k", "bob.pub"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("(intoto-studio sign) "));
    // -q hides the error but not the exit status.
    let out = studio(d, &["sign", "-q", "-f", &link, "-k", "nokey"]);
    assert_eq!((out.code, out.stderr.as_str()), (2, ""));
}

#[test]
fn sign_links_and_verify_exit_codes() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("a"), "a").unwrap();
    assert_eq!(
        studio(
            d,
            &["run", "-n", "s", "--signing-key", "bob", "-x", "-m", "a"]
        )
        .code,
        0
    );
    let bob_link = format!("s.{}.link", &BOB[..8]);
    let alice_link = format!("s.{}.link", &ALICE[..8]);

    // Verify: 0 when the signature verifies, 1 when not, 2 on bad keys.
    let out = studio(d, &["sign", "-f", &bob_link, "-k", "bob.pub", "--verify"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out:?}");
    let out = studio(
        d,
        &["sign", "-f", &bob_link, "-k", "bob.pub", "--verify", "-v"],
    );
    assert_eq!(
        out.stderr,
        format!("Signature verification passed for keyid '{BOB}'\n")
    );
    let out = studio(d, &["sign", "-f", &bob_link, "-k", "alice.pub", "--verify"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!("Signature verification failed: No signature found for key '{ALICE}'\n")
    );
    let out = studio(
        d,
        &[
            "sign",
            "-f",
            &bob_link,
            "-k",
            "bob.pub",
            "alice.pub",
            "--verify",
        ],
    );
    assert_eq!(
        out.code, 2,
        "links take one key, also with --verify (as the reference)"
    );
    let out = studio(d, &["sign", "-f", &bob_link, "-k", "bob", "--verify"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.starts_with("(intoto-studio sign) "));

    // Re-sign with alice: the signature is replaced, the output named after the link's
    // name and the new keyid; the input stays as it was.
    let before = std::fs::read(d.join(&bob_link)).unwrap();
    let out = studio(d, &["sign", "-f", &bob_link, "-k", "alice"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    assert_eq!(std::fs::read(d.join(&bob_link)).unwrap(), before);
    let md = load(&d.join(&alice_link));
    assert_eq!(md.signature_keyids(), vec![ALICE.to_string()]);
    assert_eq!(md.format(), Format::Legacy);
    assert_eq!(
        studio(
            d,
            &["sign", "-f", &alice_link, "-k", "alice.pub", "--verify"]
        )
        .code,
        0
    );
    assert_eq!(
        studio(d, &["sign", "-f", &alice_link, "-k", "bob.pub", "--verify"]).code,
        1
    );
    // A tampered signature: "Invalid signature".
    let text = std::fs::read_to_string(d.join(&alice_link)).unwrap();
    let sig_at = text.find("\"sig\": \"").unwrap() + 8;
    let mut tampered = text.into_bytes();
    tampered[sig_at] = if tampered[sig_at] == b'0' { b'1' } else { b'0' };
    std::fs::write(d.join("tampered.link"), tampered).unwrap();
    let out = studio(
        d,
        &["sign", "-f", "tampered.link", "-k", "alice.pub", "--verify"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!("Signature verification failed: Invalid signature for keyid '{ALICE}'\n")
    );

    // -o, and --use-dsse converts to a DSSE envelope.
    let out = studio(
        d,
        &[
            "sign",
            "-f",
            &bob_link,
            "-k",
            "bob",
            "--use-dsse",
            "-o",
            "d.link",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let md = load(&d.join("d.link"));
    assert_eq!(md.format(), Format::Dsse);
    assert_eq!(md.signature_keyids(), vec![BOB.to_string()]);
    assert_eq!(
        md.payload().unwrap().to_value(),
        link_value(&d.join(&bob_link))
    );
    assert!(!std::fs::read(d.join("d.link")).unwrap().contains(&b'\n'));
    // A DSSE input stays DSSE.
    let out = studio(d, &["sign", "-f", "d.link", "-k", "alice", "-o", "d2.link"]);
    assert_eq!(out.code, 0, "{out:?}");
    let md = load(&d.join("d2.link"));
    assert_eq!(md.format(), Format::Dsse);
    assert_eq!(md.signature_keyids(), vec![ALICE.to_string()]);
    let out = studio(d, &["sign", "-f", "d2.link", "-k", "bob.pub", "--verify"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr, "Signature verification failed: \n",
        "as the reference"
    );
    assert_eq!(
        studio(d, &["sign", "-f", "d2.link", "-k", "alice.pub", "--verify"]).code,
        0
    );
}

#[test]
fn sign_layouts_replace_append_and_overwrite_the_input() {
    let dir = setup();
    let d = dir.path();
    write_layout(d, "root.layout");
    let out = studio(d, &["sign", "-f", "root.layout", "-k", "alice", "bob"]);
    assert_eq!(out.code, 0, "{out:?}");
    let md = load(&d.join("root.layout"));
    assert_eq!(
        md.signature_keyids(),
        vec![ALICE.to_string(), BOB.to_string()]
    );
    let bytes = std::fs::read(d.join("root.layout")).unwrap();
    assert!(
        bytes.starts_with(b"{\n \"signatures\": [\n  {\n"),
        "indent 1"
    );
    assert_ne!(
        bytes.last(),
        Some(&b'\n'),
        "no trailing newline, like json.dumps"
    );
    for key in ["alice.pub", "bob.pub"] {
        assert_eq!(
            studio(d, &["sign", "-f", "root.layout", "-k", key, "--verify"]).code,
            0
        );
    }
    // Without -a the signatures are replaced.
    assert_eq!(
        studio(d, &["sign", "-f", "root.layout", "-k", "bob"]).code,
        0
    );
    assert_eq!(
        load(&d.join("root.layout")).signature_keyids(),
        vec![BOB.to_string()]
    );
    // Every given key must verify.
    let out = studio(
        d,
        &[
            "sign",
            "-f",
            "root.layout",
            "-k",
            "bob.pub",
            "alice.pub",
            "--verify",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!("Signature verification failed: No signature found for key '{ALICE}'\n")
    );
    // With -a they are added.
    assert_eq!(
        studio(d, &["sign", "-f", "root.layout", "-k", "alice", "-a"]).code,
        0
    );
    assert_eq!(
        load(&d.join("root.layout")).signature_keyids(),
        vec![BOB.to_string(), ALICE.to_string()]
    );
    // -a cannot keep legacy signatures in a DSSE envelope.
    let out = studio(
        d,
        &[
            "sign",
            "-f",
            "root.layout",
            "-k",
            "alice",
            "-a",
            "--use-dsse",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    // To DSSE and -a on the envelope.
    assert_eq!(
        studio(
            d,
            &["sign", "-f", "root.layout", "-k", "alice", "--use-dsse"]
        )
        .code,
        0
    );
    assert_eq!(
        studio(d, &["sign", "-f", "root.layout", "-k", "bob", "-a"]).code,
        0
    );
    let md = load(&d.join("root.layout"));
    assert_eq!(md.format(), Format::Dsse);
    assert_eq!(
        md.signature_keyids(),
        vec![ALICE.to_string(), BOB.to_string()]
    );
    assert!(matches!(md.payload().unwrap(), Payload::Layout(_)));
    // Our verify accepts the owner signature.
    let out = studio(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    // No links: the verification fails at the step, after the signature checks passed.
    assert_eq!(
        report["failure"]["reference_error"], "LinkNotFoundError",
        "{out:?}"
    );
}

// ---------------------------------------------------------------------------------------
// run

#[test]
fn run_records_and_propagates_the_exit_code() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "in").unwrap();
    let link = d.join(format!("step.{}.link", &BOB[..8]));

    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "-m",
            "in.txt",
            "-p",
            "in.txt",
            "out.txt",
            "--",
            "sh",
            "-c",
            "echo hello > out.txt; echo noise; echo more >&2; exit 3",
        ],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", ""),
        "no -s: discarded"
    );
    let v = link_value(&link);
    assert_eq!(v["name"], "step");
    assert_eq!(
        v["byproducts"],
        serde_json::json!({"return-value": 3, "stderr": "", "stdout": ""})
    );
    assert_eq!(v["environment"], serde_json::json!({}));
    assert_eq!(v["command"][0], "sh");
    assert_eq!(
        v["materials"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["in.txt"]
    );
    assert_eq!(
        v["products"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["in.txt", "out.txt"]
    );
    assert_eq!(
        v["products"]["out.txt"]["sha256"],
        // sha256("hello\n")
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    );
    assert_eq!(
        studio(
            d,
            &[
                "sign",
                "-f",
                link.to_str().unwrap(),
                "-k",
                "bob.pub",
                "--verify"
            ]
        )
        .code,
        0
    );

    // A signal: return-value -9, exit 247 (as `sys.exit(-9)`).
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "--",
            "sh",
            "-c",
            "kill -9 $$",
        ],
    );
    assert_eq!(out.code, 247, "{out:?}");
    assert_eq!(link_value(&link)["byproducts"]["return-value"], -9);

    // -s: streams echoed and recorded (universal newlines, as the reference's text mode).
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "-s",
            "--",
            "sh",
            "-c",
            "printf 'out\\r\\nline'; printf 'err\\n' >&2",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "out\r\nline");
    assert_eq!(out.stderr, "err\n");
    assert_eq!(
        link_value(&link)["byproducts"],
        serde_json::json!({"return-value": 0, "stderr": "err\n", "stdout": "out\nline"})
    );
    // Output that is not UTF-8 fails as Python's decoding does.
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "-s",
            "--",
            "sh",
            "-c",
            "printf 'ab\\377'",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.ends_with(
        "(intoto-studio run) UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 2: invalid start byte\n"
    ));

    // -x: no command, empty byproducts; extra words are ignored.
    std::fs::remove_file(&link).unwrap();
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "-x",
            "-m",
            "in.txt",
            "--",
            "ignored",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = link_value(&link);
    assert_eq!(v["byproducts"], serde_json::json!({}));
    assert_eq!(v["command"], serde_json::json!([]));

    // -d and --use-dsse.
    std::fs::create_dir(d.join("links")).unwrap();
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "step",
            "--signing-key",
            "bob",
            "-x",
            "-d",
            "links",
            "--use-dsse",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let md = load(&d.join("links").join(format!("step.{}.link", &BOB[..8])));
    assert_eq!(md.format(), Format::Dsse);
}

#[test]
fn run_errors() {
    let dir = setup();
    let d = dir.path();
    let out = studio(d, &["run", "-n", "s", "--signing-key", "bob"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "error: No command specified. Please specify (or use the --no-command option)"
        )
    );
    let out = studio(d, &["run", "-n", "s", "-x"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("Specify '--signing-key <path>' (GPG signing, in-toto-run's other choice, is not supported yet)")
    );
    let out = studio(d, &["run", "--signing-key", "bob", "-x"]);
    assert_eq!(out.code, 2, "-n is required");

    let out = studio(
        d,
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "bob",
            "--",
            "no-such-program-xyz",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "(intoto-studio run) FileNotFoundError: [Errno 2] No such file or directory: 'no-such-program-xyz'\n"
    );
    let start = std::time::Instant::now();
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "bob",
            "--run-timeout",
            "1",
            "--",
            "sleep",
            "30",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "(intoto-studio run) TimeoutExpired: Command '['sleep', '30']' timed out after 1 seconds\n"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(15));
    assert!(!d.join(format!("s.{}.link", &BOB[..8])).exists());

    let out = studio(
        d,
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "bob",
            "-x",
            "-d",
            "nodir",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!(
            "(intoto-studio run) FileNotFoundError: [Errno 2] No such file or directory: 'nodir/s.{}.link'\n",
            &BOB[..8]
        )
    );
    let out = studio(
        d,
        &["run", "-n", "s", "--signing-key", "bob", "-P", "pw", "-x"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "(intoto-studio run) TypeError: Password was given but private key is not encrypted.\n"
        )
    );
    let out = studio(
        d,
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "bob",
            "-x",
            "-m",
            ".",
            "--lstrip-paths",
            "a",
            "ab",
        ],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "(intoto-studio run) PrefixError: 'a' and 'ab' triggered a left substring error\n"
        )
    );
    // -q silences the error line.
    let out = studio(d, &["run", "-q", "-n", "s", "--signing-key", "nokey", "-x"]);
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
}

#[test]
fn run_excludes_lstrip_and_base_path() {
    let dir = setup();
    let d = dir.path();
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("sub/deep")).unwrap();
    std::fs::create_dir_all(tree.join(".git")).unwrap();
    for f in [
        "a.txt",
        "b.pyc",
        "c~",
        "x.link",
        ".git/HEAD",
        "sub/s.txt",
        "sub/deep/d.txt",
    ] {
        std::fs::write(tree.join(f), f).unwrap();
    }
    std::os::unix::fs::symlink("sub", tree.join("sub-link")).unwrap();
    std::os::unix::fs::symlink("a.txt", tree.join("a-link")).unwrap();
    std::os::unix::fs::symlink("missing", tree.join("broken")).unwrap();
    let kid = &BOB[..8];
    let materials = |args: &[&str]| -> Vec<String> {
        let mut full = vec![
            "run",
            "-n",
            "m",
            "--signing-key",
            "../bob",
            "-x",
            "-d",
            "..",
        ];
        full.extend_from_slice(args);
        let out = studio(&tree, &full);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        let v = link_value(&d.join(format!("m.{kid}.link")));
        v["materials"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    // Defaults exclude *.link*, .git, *.pyc, *~; symlinks followed, broken ones skipped.
    assert_eq!(
        materials(&["-m", "."]),
        vec![
            "a-link",
            "a.txt",
            "sub-link/deep/d.txt",
            "sub-link/s.txt",
            "sub/deep/d.txt",
            "sub/s.txt"
        ]
    );
    // --exclude replaces the defaults.
    assert_eq!(
        materials(&["-m", ".", "--exclude", "*.txt", "*link*"]),
        vec![".git/HEAD", "b.pyc", "c~"]
    );
    assert_eq!(
        materials(&[
            "-m",
            ".",
            "--exclude",
            "sub/",
            "*link*",
            ".git",
            "*.pyc",
            "*~"
        ]),
        vec!["a.txt"]
    );
    // --lstrip-paths and --base-path.
    assert_eq!(
        materials(&["-m", "sub", "--lstrip-paths", "sub/"]),
        vec!["deep/d.txt", "s.txt"]
    );
    assert_eq!(
        materials(&["-m", ".", "--base-path", "sub"]),
        vec!["deep/d.txt", "s.txt"]
    );
    assert_eq!(
        materials(&["-m", "s.txt", "nothing", "--base-path", "sub"]),
        vec!["s.txt"]
    );
    // Repeated options: the last one wins, as with argparse.
    assert_eq!(
        materials(&["-m", "a.txt", "-m", "sub/s.txt"]),
        vec!["sub/s.txt"]
    );
}

// ---------------------------------------------------------------------------------------
// record

#[test]
fn record_start_stop() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("src.txt"), "v1").unwrap();
    let kid = &BOB[..8];
    let unfinished = d.join(format!(".edit.{kid}.link-unfinished"));

    let out = studio(
        d,
        &[
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "bob",
            "-m",
            "src.txt",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let v = link_value(&unfinished);
    assert_eq!(v["products"], serde_json::json!({}));
    assert_eq!(v["command"], serde_json::json!([]));
    assert_eq!(v["byproducts"], serde_json::json!({}));
    assert!(v["materials"]["src.txt"].is_object());

    // Another key's stop looks for its own preliminary file.
    let out = studio(
        d,
        &[
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "alice",
            "-p",
            "src.txt",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!(
            "(intoto-studio record stop) FileNotFoundError: [Errno 2] No such file or directory: '.edit.{}.link-unfinished'\n",
            &ALICE[..8]
        )
    );

    std::fs::write(d.join("src.txt"), "v2").unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    let out = studio(
        d,
        &[
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "bob",
            "-p",
            "src.txt",
            "-d",
            "out",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!unfinished.exists(), "the preliminary link is removed");
    let final_link = d.join("out").join(format!("edit.{kid}.link"));
    let md = load(&final_link);
    assert_eq!(md.format(), Format::Legacy);
    let v = md.payload().unwrap().to_value();
    assert_ne!(
        v["materials"]["src.txt"], v["products"]["src.txt"],
        "materials from start, products from stop"
    );
    assert_eq!(
        studio(
            d,
            &[
                "sign",
                "-f",
                final_link.to_str().unwrap(),
                "-k",
                "bob.pub",
                "--verify"
            ]
        )
        .code,
        0
    );

    // DSSE is kept from start to stop; a tampered preliminary link is refused.
    let out = studio(
        d,
        &[
            "record",
            "start",
            "-n",
            "d",
            "--signing-key",
            "bob",
            "-m",
            "src.txt",
            "--use-dsse",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = studio(
        d,
        &[
            "record",
            "stop",
            "-n",
            "d",
            "--signing-key",
            "bob",
            "-p",
            "src.txt",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        load(&d.join(format!("d.{kid}.link"))).format(),
        Format::Dsse
    );

    let out = studio(
        d,
        &[
            "record",
            "start",
            "-n",
            "t",
            "--signing-key",
            "bob",
            "-m",
            "src.txt",
        ],
    );
    assert_eq!(out.code, 0);
    let path = d.join(format!(".t.{kid}.link-unfinished"));
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["signed"]["name"] = Value::String("other".into());
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = studio(d, &["record", "stop", "-n", "t", "--signing-key", "bob"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!(
            "(intoto-studio record stop) SignatureVerificationError: Invalid signature for keyid '{BOB}'\n"
        )
    );
    assert!(path.exists());

    // Usage errors.
    let out = studio(
        d,
        &[
            "record",
            "stop",
            "-n",
            "t",
            "--signing-key",
            "bob",
            "-m",
            "x",
        ],
    );
    assert_eq!(out.code, 2, "-m is a start flag");
    let out = studio(d, &["record", "-n", "t"]);
    assert_eq!(out.code, 2);
    let out = studio(d, &["record", "start", "-n", "t"]);
    assert_eq!(out.code, 2);
}

#[test]
fn sign_never_writes_outside_the_current_dir_for_a_hostile_link_name() {
    let dir = setup();
    let d = dir.path().to_path_buf();
    std::fs::write(d.join("a"), "a").unwrap();
    assert_eq!(
        studio(
            &d,
            &["run", "-n", "s", "--signing-key", "bob", "-x", "-m", "a"]
        )
        .code,
        0
    );
    let link = d.join(format!("s.{}.link", &BOB[..8]));
    for hostile in ["../escape", "/tmp/intoto-studio-escape"] {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&link).unwrap()).unwrap();
        v["signed"]["name"] = hostile.into();
        std::fs::write(d.join("hostile.link"), v.to_string()).unwrap();
        let out = studio(&d, &["sign", "-f", "hostile.link", "-k", "bob"]);
        // Exit 2, as every error the reference's in-toto-sign reports while signing.
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("path separator"), "{out:?}");
        let written = d.join(format!("{hostile}.{}.link", &BOB[..8]));
        assert!(!written.exists(), "{} was written", written.display());
        // With -o the user chose the file: signed as asked.
        let out = studio(
            &d,
            &["sign", "-f", "hostile.link", "-k", "bob", "-o", "ok.link"],
        );
        assert_eq!(out.code, 0, "{out:?}");
        assert!(d.join("ok.link").exists());
    }
}

#[test]
fn lint_of_an_unreadable_file_is_a_usage_error_and_help_states_exit_statuses() {
    let tmp = setup();
    let d = tmp.path();
    let out = studio(d, &["lint", "missing.layout"]);
    assert_eq!(out.code, 2, "nothing was linted: {out:?}");
    assert!(out.stderr.contains("FileNotFoundError"), "{out:?}");
    std::fs::write(d.join("not-a-layout.json"), "[1, 2]").unwrap();
    let out = studio(d, &["lint", "not-a-layout.json"]);
    assert_eq!(
        out.code, 1,
        "a file that is not a layout is a finding: {out:?}"
    );
    for cmd in ["verify", "lint"] {
        let out = studio(d, &[cmd, "--help"]);
        assert!(
            out.stdout.contains("Exit status: 0"),
            "{cmd}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("wrong arguments"),
            "{cmd}: {}",
            out.stdout
        );
    }
}

/// JSON root causes carry the hashes in full; an unreadable owner key fails as a key (at
/// the layout-signature check), naming the file.
#[test]
fn verify_json_names_full_hashes_and_the_missing_key() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-tampered-artifact");
    let args = |key: &str| {
        vec![
            "verify".to_string(),
            "--layout".into(),
            "root.layout".into(),
            "--verification-keys".into(),
            key.into(),
            "--link-dir".into(),
            "links".into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let run = |key: &str| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
            .args(args(key))
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let r = run("owner.pub");
    let hashes = &r["failure"]["root_causes"][0]["hashes"];
    for h in [&hashes[0], &hashes[1]] {
        let hex = h.as_str().unwrap().strip_prefix("sha256:").unwrap();
        assert_eq!(hex.len(), 64, "{hashes}");
    }
    let r = run("no-such-owner.pub");
    let f = &r["failure"];
    assert_eq!(f["stage"], "layout_signatures", "{f}");
    assert_eq!(f["reference_error"], "FileNotFoundError");
    assert!(
        f["message"].as_str().unwrap().contains("no-such-owner.pub"),
        "{f}"
    );
}

/// Every subcommand reports a runtime error in one style, `(intoto-studio <cmd>) <Class>:
/// <message>`, with control characters in names escaped.
#[test]
fn every_subcommand_writes_one_error_style() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cases: &[(&[&str], &str)] = &[
        (&["sign", "-f", "gone\x1b.layout", "-k", "k"], "sign"),
        (
            &["run", "-n", "x", "--signing-key", "gone\x1b", "--", "true"],
            "run",
        ),
        (
            &["record", "start", "-n", "x", "--signing-key", "gone\x1b"],
            "record start",
        ),
        (
            &["record", "stop", "-n", "x", "--signing-key", "gone\x1b"],
            "record stop",
        ),
        (&["lint", "gone\x1b.layout"], "lint"),
        (&["graph", "gone\x1b.layout"], "graph"),
        (&["key", "id", "gone\x1b.pub"], "key"),
    ];
    for (args, cmd) in cases {
        let out = studio(d, args);
        assert_ne!(out.code, 0, "{args:?}");
        let prefix = format!("(intoto-studio {cmd}) FileNotFoundError: ");
        assert!(out.stderr.starts_with(&prefix), "{args:?}: {out:?}");
        assert!(!out.stderr.contains('\x1b'), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:?}");
    }
}
