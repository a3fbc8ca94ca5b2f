//! Saving survives SIGKILL, and private keys stay private.
//!
//! * `atomic_write` in a loop (this test binary re-runs itself as the writer, see
//!   [`atomic_write_child`]) with alternating contents, SIGKILLed at random moments: the
//!   target is always exactly the old or the new content, never empty, truncated or mixed.
//! * `intoto-studio sign -f big.layout -k key` SIGKILLed at random moments: the layout is
//!   always exactly the unsigned original or the complete signed file.
//! * `keygen` writes private keys with mode 0600 (also with --force over a 0644 file and
//!   when encrypted), and no command prints "PRIVATE KEY" material on stdout or stderr.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "INTOTO_STUDIO_KILL_SAVE_TARGET";

fn content(which: u8) -> Vec<u8> {
    // Two large, distinct contents: a torn write of either is detectable anywhere.
    let size = if which == b'A' {
        3 << 20
    } else {
        (5 << 20) + 17
    };
    let mut v = Vec::with_capacity(size);
    let mut i = 0u32;
    while v.len() < size {
        v.extend_from_slice(format!("{}{:08}\n", which as char, i).as_bytes());
        i += 1;
    }
    v.truncate(size);
    v
}

/// A tiny deterministic PRNG (xorshift), seeded from `KILL_SAVE_SEED` (default: a fixed
/// seed, so a failure replays; never the clock).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("KILL_SAVE_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        eprintln!("kill_save seed {seed} (KILL_SAVE_SEED replays it)");
        Rng(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The writer: when started by [`atomic_write_is_all_or_nothing_under_sigkill`] it
/// rewrites the target forever, alternating A and B. Alone, it does nothing.
#[test]
fn atomic_write_child() {
    let Ok(target) = std::env::var(CHILD_ENV) else {
        return;
    };
    let target = PathBuf::from(target);
    let (a, b) = (content(b'A'), content(b'B'));
    loop {
        for c in [&a, &b] {
            intoto_studio::fsutil::atomic_write(
                &target,
                c,
                intoto_studio::fsutil::WriteOptions {
                    backup: true,
                    ..Default::default()
                },
            )
            .unwrap();
        }
    }
}

#[test]
fn atomic_write_is_all_or_nothing_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("root.layout");
    let (a, b) = (content(b'A'), content(b'B'));
    std::fs::write(&target, &a).unwrap();
    let mut rng = Rng::new();
    let me = std::env::current_exe().unwrap();
    let rounds = 60;
    for round in 0..rounds {
        let mut child = Command::new(&me)
            .args([
                "--exact",
                "atomic_write_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it start, then kill it somewhere in the middle of a write.
        std::thread::sleep(Duration::from_millis(5 + rng.below(60)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = std::fs::read(&target).unwrap();
        assert!(
            now == a || now == b,
            "round {round}: the target is neither the old nor the new content ({} bytes)",
            now.len()
        );
        let bak = intoto_studio::fsutil::backup_path(&target);
        if let Ok(prev) = std::fs::read(&bak) {
            assert!(
                prev == a || prev == b,
                "round {round}: the backup is torn ({} bytes)",
                prev.len()
            );
        }
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_intoto-studio")
}

fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/keys")
}

/// An unsigned legacy layout of a few MB (thousands of steps with long rule lists).
fn big_layout() -> Vec<u8> {
    let mut steps = Vec::new();
    for i in 0..1500 {
        let rules: Vec<serde_json::Value> = (0..12)
            .map(|j| {
                serde_json::json!([
                    "MATCH",
                    format!("src/{i}/{j}/*"),
                    "WITH",
                    "PRODUCTS",
                    "FROM",
                    format!("s{}", i.max(1) - 1)
                ])
            })
            .collect();
        steps.push(serde_json::json!({
            "_type": "step", "name": format!("s{i}"), "threshold": 1, "pubkeys": [],
            "expected_command": ["make", format!("target-{i}")],
            "expected_materials": rules, "expected_products": [["ALLOW", "*"]],
        }));
    }
    let layout = serde_json::json!({
        "signatures": [],
        "signed": {"_type": "layout", "expires": "2099-12-31T23:59:59Z", "inspect": [],
                   "keys": {}, "readme": "big", "steps": steps},
    });
    serde_json::to_vec_pretty(&layout).unwrap()
}

#[test]
fn sign_is_all_or_nothing_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let key = keys_dir().join("TEST-ONLY-alice-ed25519.private.pem");
    let original = big_layout();
    // The complete result (ed25519 signatures are deterministic).
    let done = dir.path().join("done.layout");
    std::fs::write(&done, &original).unwrap();
    let start = Instant::now();
    let st = Command::new(bin())
        .args(["sign", "-f"])
        .arg(&done)
        .arg("-k")
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let full = start.elapsed();
    let signed = std::fs::read(&done).unwrap();
    assert_ne!(signed, original);

    let target = dir.path().join("root.layout");
    let mut rng = Rng::new();
    let (mut saw_old, mut saw_new) = (0, 0);
    for round in 0..20 {
        std::fs::write(&target, &original).unwrap();
        let mut child = Command::new(bin())
            .args(["sign", "-f"])
            .arg(&target)
            .arg("-k")
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let window = (full.as_millis() as u64 * 12 / 10).max(2);
        std::thread::sleep(Duration::from_millis(rng.below(window)));
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read(&target).unwrap();
        if now == original {
            saw_old += 1;
        } else if now == signed {
            saw_new += 1;
        } else {
            panic!(
                "round {round}: the layout is neither the original nor the signed file ({} bytes)",
                now.len()
            );
        }
    }
    eprintln!("sign killed: {saw_old} times before the rename, {saw_new} after");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Neither a PEM private key armor line nor any line of a private key file's body.
fn no_private_output(out: &std::process::Output, what: &str, keys: &[&Path]) {
    let bodies: Vec<String> = keys
        .iter()
        .filter_map(|k| std::fs::read_to_string(k).ok())
        .flat_map(|t| {
            t.lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for stream in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(
            !s.contains("PRIVATE KEY-----"),
            "{what} printed a private key: {s}"
        );
        for b in &bodies {
            assert!(
                !s.contains(b.as_str()),
                "{what} printed private key material: {s}"
            );
        }
    }
}

#[test]
fn keygen_writes_0600_and_prints_no_private_key() {
    let dir = tempfile::tempdir().unwrap();
    for (ty, enc) in [
        ("ed25519", false),
        ("ecdsa", false),
        ("rsa", false),
        ("ed25519", true),
    ] {
        let key = dir.path().join(format!("{ty}-{enc}"));
        let mut cmd = Command::new(bin());
        cmd.args(["keygen", "-t", ty]).arg(&key);
        if enc {
            cmd.arg("-P").env("INTOTO_STUDIO_PASSWORD", "correct horse");
        }
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success(), "{ty}: {out:?}");
        no_private_output(&out, &format!("keygen -t {ty}"), &[&key]);
        assert_eq!(mode(&key), 0o600, "{ty}: private key mode");
        let text = std::fs::read_to_string(&key).unwrap();
        if enc {
            assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        } else {
            assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
        }
        let public = std::fs::read_to_string(dir.path().join(format!("{ty}-{enc}.pub"))).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(!public.contains("PRIVATE"));
    }

    // --force over a world-readable file: the new key is 0600 again; without --force the
    // existing file is kept.
    let key = dir.path().join("forced");
    std::fs::write(&key, "old").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(bin())
        .arg("keygen")
        .arg(&key)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "keygen overwrote without --force");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "old");
    let out = Command::new(bin())
        .args(["keygen", "--force"])
        .arg(&key)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    no_private_output(&out, "keygen --force", &[&key]);
    assert_eq!(mode(&key), 0o600, "forced key mode");

    // Commands that read a private key never echo it, also when it is the wrong thing.
    let layout = dir.path().join("x.layout");
    std::fs::write(
        &layout,
        br#"{"signatures": [], "signed": {"_type": "layout", "expires": "2099-12-31T23:59:59Z", "inspect": [], "keys": {}, "readme": "", "steps": []}}"#,
    )
    .unwrap();
    let enc = dir.path().join("ed25519-true");
    for (args, env_pw) in [
        (vec!["sign", "-f", "x.layout", "-k", "forced"], None),
        (
            vec!["sign", "-f", "x.layout", "-k", "ed25519-true", "-p"],
            Some("wrong"),
        ),
        (
            vec!["sign", "-f", "x.layout", "-k", "forced", "--verify"],
            None,
        ),
        (
            vec!["verify", "-l", "x.layout", "--verification-keys", "forced"],
            None,
        ),
        (vec!["key", "id", "forced"], None),
        (vec!["key", "layout", "ed25519-true"], None),
    ] {
        let mut cmd = Command::new(bin());
        cmd.args(&args).current_dir(dir.path()).stdin(Stdio::null());
        if let Some(pw) = env_pw {
            cmd.env("INTOTO_STUDIO_PASSWORD", pw);
        }
        let out = cmd.output().unwrap();
        no_private_output(&out, &args.join(" "), &[&key, &enc]);
    }
}
