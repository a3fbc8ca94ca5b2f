//! End-to-end runs of the real binary in tmux (`send-keys`, `capture-pane`).
//!
//! tmux is required; set `INTOTO_STUDIO_SKIP_TMUX=1` to skip these tests where it is
//! missing (`.ci/run` never skips).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_intoto-studio");

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("INTOTO_STUDIO_SKIP_TMUX").is_some() {
            eprintln!("tmux missing: skipped (INTOTO_STUDIO_SKIP_TMUX)");
            return false;
        }
        panic!("tmux is required for the end-to-end tests (set INTOTO_STUDIO_SKIP_TMUX=1 to skip)");
    }
    true
}

/// A tmux session running the binary; killed on drop.
struct Session {
    name: String,
    socket: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Session {
    fn start(dir: &Path, args: &[&str], width: u16, height: u16) -> Session {
        let tmp = tempfile::tempdir().unwrap();
        let socket = tmp.path().join("tmux.sock");
        let name = "s".to_string();
        let data = tmp.path().join("data");
        let quoted: Vec<String> = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        let cmd = format!(
            "cd '{}' && INTOTO_STUDIO_NOW=2026-01-01T00:00:00Z INTOTO_STUDIO_DATA_DIR='{}' INTOTO_STUDIO_CONFIG=/nonexistent-config.toml TERM=xterm-256color '{}' {}; echo EXITED-$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon | sed 's/^/TTY-/'; sleep 60",
            dir.display(),
            data.display(),
            BIN,
            quoted.join(" ")
        );
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                &cmd,
            ])
            .status()
            .unwrap();
        assert!(st.success(), "tmux could not start");
        Session {
            name,
            socket,
            _tmp: tmp,
        }
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Type text literally.
    fn text(&self, text: &str) {
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Wait until the screen satisfies `pred`; returns the screen.
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(text, |s| s.contains(text))
    }

    /// Resize the window (and so the pane).
    fn resize(&self, width: u16, height: u16) {
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["resize-window", "-t", &self.name, "-x", &width.to_string()])
            .args(["-y", &height.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    fn pane(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["display-message", "-p", "-t", &self.name, format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["kill-server"])
            .status();
    }
}

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/cases")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// Open examples/demo (a chain folder); the graph shows every item; `?` shows help that
/// mentions quit; Esc returns; `q` quits.
#[test]
fn demo_graph_help_and_quit() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    copy_dir(&example("demo"), &demo);
    let s = Session::start(tmp.path(), &["demo"], 160, 45);
    let screen = s.wait("the graph", |s| {
        s.contains("Graph (") && s.contains("untar")
    });
    for item in ["clone", "update-version", "package", "untar"] {
        assert!(screen.contains(item), "{item} missing:\n{screen}");
    }
    s.keys(&["?"]);
    let help = s.wait_for("Help — keys");
    assert!(help.contains("quit"), "{help}");
    s.keys(&["Escape"]);
    s.wait("help closed", |s| {
        !s.contains("Help — keys") && s.contains("Graph (")
    });
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
}

/// A failing shared case shows the item, the rule as written and the artifact with no key
/// press; a passing case shows no failure.
#[test]
fn failure_is_in_view_without_a_key_press() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &case("fail-tampered-artifact-legacy"),
        &tmp.path().join("c"),
    );
    let work = tmp.path().join("c/workdir");
    let s = Session::start(
        &work,
        &[
            "--layout",
            "../root.layout",
            "--verification-keys",
            "../alice.pub",
            "--link-dir",
            "../links",
        ],
        180,
        45,
    );
    let screen = s.wait("the failure", |s| s.contains("FAILED"));
    assert!(screen.contains("package"), "{screen}");
    assert!(screen.contains("DISALLOW *"), "{screen}");
    assert!(screen.contains("demo-project/foo.py"), "{screen}");
    assert!(
        screen.contains("hash differs"),
        "root cause shown:\n{screen}"
    );
    s.keys(&["q"]);
    s.wait_for("EXITED-0");

    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&case("pass-sublayout-legacy"), &tmp.path().join("c"));
    let s = Session::start(&tmp.path().join("c"), &VERIFY_HERE, 180, 45);
    let screen = s.wait("the verdict", |s| s.contains("PASSED"));
    assert!(!screen.contains("FAILED"), "{screen}");
    assert!(!screen.contains('✗'), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
}

/// Expiry failures are shown on the layout itself with the word "expired".
#[test]
fn expired_layout_says_expired() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&case("fail-expired-layout-dsse"), &tmp.path().join("c"));
    let s = Session::start(&tmp.path().join("c"), &VERIFY_HERE, 160, 40);
    let screen = s.wait("the failure", |s| s.contains("FAILED"));
    assert!(screen.contains("expired"), "{screen}");
    s.keys(&["q"]);
}

/// Unsaved work: q asks; Esc keeps the session; d discards and quits.
#[test]
fn unsaved_changes_are_guarded() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let s = Session::start(tmp.path(), &["new.layout"], 120, 35);
    s.wait_for("empty layout");
    s.keys(&["a"]);
    s.wait_for("Add a step");
    s.keys(&["Enter"]);
    s.wait_for("step-1");
    s.keys(&["q"]);
    s.wait_for("Unsaved changes");
    s.keys(&["Escape"]);
    s.wait("prompt closed", |x| !x.contains("Unsaved changes"));
    s.keys(&["C-s"]);
    s.wait_for("saved");
    assert!(tmp.path().join("new.layout").exists());
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
    let text = std::fs::read_to_string(tmp.path().join("new.layout")).unwrap();
    assert!(text.contains("\"step-1\""), "{text}");
}

/// Author a layout entirely in the TUI (step, functionary key, rules, expiry), sign it,
/// save it, reopen it: it verifies with the reference's in-toto-verify against a link
/// recorded by the reference's in-toto-run, and with ours.
#[test]
fn author_sign_save_reopen_verifies_with_the_reference() {
    if !have_tmux() {
        return;
    }
    let Some(refbin) = reference().map(Path::to_path_buf) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    copy_fixture_key(w, "alice", "alice.pem");
    copy_fixture_key(w, "bob", "bob.pem");
    std::fs::create_dir(w.join("src")).unwrap();
    std::fs::write(w.join("src/hello.txt"), "hello\n").unwrap();
    let run = Command::new(refbin.join("in-toto-run"))
        .current_dir(w)
        .args([
            "-n",
            "build",
            "--signing-key",
            "bob.pem",
            "-m",
            "src",
            "-p",
            "src",
            "out.txt",
            "--",
            "sh",
            "-c",
            "cat src/hello.txt > out.txt",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "in-toto-run: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    let s = Session::start(w, &["root.layout"], 140, 40);
    s.wait_for("empty layout");
    // A step named build.
    s.keys(&["a"]);
    s.wait_for("Add a step");
    s.keys(&["End"]);
    for _ in 0..10 {
        s.keys(&["BSpace"]);
    }
    s.text("build");
    s.keys(&["Enter"]);
    s.wait_for("Step build");
    // Import bob's public key.
    s.keys(&["2"]);
    s.keys(&["I"]);
    s.wait_for("Import a functionary");
    s.text("bob.pub");
    s.keys(&["Enter"]);
    s.wait_for("imported key");
    // Authorize it for build.
    s.keys(&["1"]);
    s.keys(&["Enter"]);
    s.keys(&["Down", "Down", "Enter"]);
    s.wait_for("Functionaries of 'build'");
    s.keys(&["Space", "Enter"]);
    s.wait_for("1 of 1 key");
    // Rules: materials ALLOW src/*, DISALLOW *; products CREATE out.txt, ALLOW src/*, DISALLOW *.
    s.keys(&["Down", "Down"]);
    for rule in ["ALLOW src/*", "DISALLOW *"] {
        s.keys(&["a"]);
        s.wait_for("New rule");
        s.text(rule);
        s.keys(&["Enter"]);
        s.wait("editor closed", |x| !x.contains("New rule"));
    }
    s.keys(&["Down"]);
    for rule in ["CREATE out.txt", "ALLOW src/*", "DISALLOW *"] {
        s.keys(&["a"]);
        s.wait_for("New rule");
        s.text(rule);
        s.keys(&["Enter"]);
        s.wait("editor closed", |x| !x.contains("New rule"));
    }
    s.wait_for("expected_products (3)");
    // An absolute expiry: the session's clock is pinned (INTOTO_STUDIO_NOW) but the reference
    // judges by the real one, so a relative date would tie the test to today's.
    s.keys(&["3", "x"]);
    s.wait_for("Expiry");
    s.keys(&["End"]);
    for _ in 0..30 {
        s.keys(&["BSpace"]);
    }
    s.text("2099-06-30");
    s.wait_for("2099-06-30T00:00:00Z");
    s.keys(&["Enter"]);
    s.wait_for("(valid, 26843 day(s) left)");
    // Sign with the owner's key, then save.
    s.keys(&["S"]);
    s.wait_for("Sign the layout");
    s.text("alice.pem");
    s.keys(&["Enter"]);
    s.wait_for("Signer:");
    s.keys(&["s"]);
    s.wait_for("signed by");
    s.keys(&["C-s"]);
    s.wait_for("saved");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
    drop(s);

    let verify = Command::new(refbin.join("in-toto-verify"))
        .current_dir(w)
        .args([
            "--layout",
            "root.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "in-toto-verify rejected the layout authored in the TUI: {}{}\n{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr),
        std::fs::read_to_string(w.join("root.layout")).unwrap()
    );
    // Reopen it in the TUI as a chain: it verifies there too.
    let s = Session::start(
        w,
        &[
            "--layout",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "--link-dir",
            ".",
        ],
        140,
        40,
    );
    s.wait_for("PASSED");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
}

/// A process that dies by `abort` (a stack overflow, a failed allocation) runs no panic
/// hook; the terminal still comes back: no alternate screen, no mouse mode, cooked mode.
#[test]
fn an_abort_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&example("demo"), &tmp.path().join("demo"));
    let s = Session::start(tmp.path(), &["demo"], 160, 45);
    s.wait("the graph", |s| {
        s.contains("Graph (") && s.contains("untar")
    });
    assert_eq!(
        s.pane("#{alternate_on}"),
        "1",
        "the TUI is on the alternate screen"
    );
    let shell = s.pane("#{pane_pid}");
    let pgrep = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
    let pid = String::from_utf8_lossy(&pgrep.stdout)
        .lines()
        .next()
        .expect("the TUI process")
        .trim()
        .to_string();
    assert!(
        Command::new("kill")
            .args(["-ABRT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let screen = s.wait_for("TTY-");
    assert!(screen.contains("EXITED-134"), "died by SIGABRT:\n{screen}");
    assert!(
        screen.contains("TTY-icanon"),
        "cooked mode is back:\n{screen}"
    );
    assert_eq!(s.pane("#{alternate_on}"), "0", "left the alternate screen");
    assert_eq!(s.pane("#{mouse_any_flag}"), "0", "mouse mode is off");
}

/// What-if in a real terminal: a hypothetical clock, then `Ctrl-s` is refused with a
/// message and the signed layout stays byte for byte; `!` goes back to the real chain.
#[test]
fn what_if_refuses_to_save_and_leaves_the_signed_layout_alone() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&case("pass-sublayout-legacy"), &tmp.path().join("c"));
    let dir = tmp.path().join("c");
    let signed = std::fs::read(dir.join("root.layout")).unwrap();
    let s = Session::start(&dir, &VERIFY_HERE, 180, 45);
    s.wait_for("PASSED");
    s.keys(&["!"]);
    s.wait_for("What-if (in memory only)");
    s.keys(&["Down", "Down", "Down", "Enter"]);
    // It asks for the time, offering one past the expiry: take it.
    s.wait_for("What-if: verify at");
    s.keys(&["Enter"]);
    let screen = s.wait("the hypothetical clock", |s| s.contains("clock at"));
    assert!(screen.contains("WHAT-IF"), "{screen}");
    s.wait_for("LayoutExpiredError");
    s.keys(&["C-s"]);
    s.wait_for("refused in what-if mode");
    assert_eq!(std::fs::read(dir.join("root.layout")).unwrap(), signed);
    s.keys(&["!"]);
    let screen = s.wait("the real chain", |s| {
        s.contains("what-if off") && s.contains("PASSED") && !s.contains("WHAT-IF")
    });
    assert!(!screen.contains("[modified]"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
    assert_eq!(std::fs::read(dir.join("root.layout")).unwrap(), signed);
}

/// The newcomer's walks of the TUI issue, in a real terminal: each ends on what the
/// screen must say.
#[test]
fn newcomer_walks() {
    if !have_tmux() {
        return;
    }
    // The Layout tab counts the days left of a layout expiring in 40 days (the session's
    // clock is pinned to 2026-01-01).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    copy_dir(&example("demo"), &dir);
    let path = dir.join("root.layout");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["signed"]["expires"] = "2026-02-10T00:00:00Z".into();
    std::fs::write(&path, v.to_string()).unwrap();
    let s = Session::start(&dir, &["root.layout"], 160, 40);
    s.wait_for("Chain");
    s.keys(&["3"]);
    s.wait_for("valid, 40 day(s) left");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");

    // A layout file beside owner.pub and links/ opens verified; mallory is named.
    let dir = tmp.path().join("unauthorized");
    copy_dir(&example("demo-unauthorized-functionary"), &dir);
    let s = Session::start(&dir, &["root.layout"], 200, 45);
    s.wait("the verdict", |s| {
        s.contains("FAILED: ThresholdVerificationError")
    });
    s.keys(&["5"]);
    s.wait_for("(mallory)");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");

    // The failing release gate, once its inspection ran, shows what it printed.
    let dir = tmp.path().join("gate");
    copy_dir(&example("container-failing-inspection"), &dir);
    let s = Session::start(&dir, &["."], 200, 45);
    s.wait_for("INCOMPLETE");
    s.keys(&["5"]);
    s.keys(&["R"]);
    s.wait_for("Run inspections?");
    s.keys(&["r"]);
    let screen = s.wait("the gate's output", |s| {
        s.contains("FAILED: BadReturnValueError")
    });
    let screen = if screen.contains("CRITICAL finding(s) in scan-report.json") {
        screen
    } else {
        s.wait_for("CRITICAL finding(s) in scan-report.json")
    };
    assert!(screen.contains("stderr"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");

    // At 80x24 the tampered artifact and why it failed stay in view.
    let dir = tmp.path().join("tampered");
    copy_dir(&example("demo-tampered-artifact"), &dir);
    let s = Session::start(&dir, &["."], 80, 24);
    let screen = s.wait("the failure", |s| {
        s.contains("FAILED: RuleVerificationError")
    });
    let screen = if screen.contains("'update-version')") {
        screen
    } else {
        s.wait_for("'update-version')")
    };
    assert!(
        screen.contains("artifacts  demo-project/foo.py"),
        "{screen}"
    );
    assert!(screen.contains("hash differs"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
}

/// A terminal that grew while the app ran is left clean: nothing of the app's frames stays
/// on the normal screen after quitting.
#[test]
fn a_grown_terminal_is_left_clean() {
    if !have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&example("demo"), &tmp.path().join("demo"));
    let s = Session::start(&tmp.path().join("demo"), &["."], 80, 24);
    s.wait_for("Chain");
    s.resize(140, 40);
    s.wait("the larger frame", |s| s.contains("top-down"));
    s.keys(&["q"]);
    let screen = s.wait_for("EXITED-0");
    assert!(
        !screen.contains(['│', '─', '╭', '┃']),
        "frame remnants on the normal screen:\n{screen}"
    );
}

/// `admit --tui` opens the denied image's chain with the failure in view, and prints the
/// decision when it closes (exit 1: denied).
#[test]
fn admit_opens_the_denied_chain_in_the_tui() {
    if !have_tmux() {
        return;
    }
    let s = admission::setup();
    let image = format!("registry.example/demo/web@sha256:{}", admission::TARBALL);
    let good = format!("registry.example/app/web@sha256:{}", admission::APP_BIN);
    let review = admission::pod_review(
        "admission.k8s.io/v1",
        "u-tui",
        "Pod",
        admission::pod(&[&good, &image]),
    );
    std::fs::write(s.dir.join("review.json"), review.to_string()).unwrap();
    let t = Session::start(
        &s.dir,
        &["admit", "review.json", "--policy", "policy.toml", "--tui"],
        180,
        45,
    );
    let screen = t.wait("the failure", |s| s.contains("FAILED"));
    assert!(screen.contains("package"), "{screen}");
    assert!(screen.contains("demo-project/foo.py"), "{screen}");
    assert!(
        screen.contains("hash differs"),
        "root cause shown:\n{screen}"
    );
    t.keys(&["q"]);
    // The decision, printed after the terminal is restored (its head has scrolled away).
    let screen = t.wait_for("EXITED-1");
    assert!(
        screen.contains("(rule demo): step rules failed"),
        "{screen}"
    );
}

/// `--evidence-from` opens the chain with its links pulled from the image's registry: the
/// failure the reference found is in view, as with `--link-dir`.
#[test]
fn the_tui_takes_its_links_from_the_registry() {
    if !have_tmux() || !common::registry::available() {
        return;
    }
    let reg = common::registry::Registry::start();
    let image = reg.push_image("app", b"the app layer");
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &case("fail-tampered-artifact-legacy"),
        &tmp.path().join("c"),
    );
    let links = tmp.path().join("c/links");
    let push = Command::new(BIN)
        .args(["evidence", "push", &image, "--plain-http", "--link-dir"])
        .arg(&links)
        .output()
        .unwrap();
    assert!(push.status.success(), "{push:?}");
    std::fs::remove_dir_all(&links).unwrap();
    let s = Session::start(
        &tmp.path().join("c/workdir"),
        &[
            "--layout",
            "../root.layout",
            "--verification-keys",
            "../alice.pub",
            "--evidence-from",
            &image,
            "--plain-http",
        ],
        180,
        45,
    );
    let screen = s.wait("the failure", |s| s.contains("FAILED"));
    assert!(screen.contains("package"), "{screen}");
    assert!(screen.contains("DISALLOW *"), "{screen}");
    assert!(screen.contains("demo-project/foo.py"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED-0");
    // No evidence: the reason, and no UI.
    let bare = reg.push_image("app", b"nothing refers to this");
    let s = Session::start(
        &tmp.path().join("c/workdir"),
        &[
            "--layout",
            "../root.layout",
            "--verification-keys",
            "../alice.pub",
            "--evidence-from",
            &bare,
            "--plain-http",
        ],
        180,
        45,
    );
    let screen = s.wait_for("EXITED-1");
    // The message is wider than the terminal: joined again where tmux wrapped it.
    assert!(
        screen
            .replace('\n', "")
            .contains("no in-toto evidence refers to"),
        "{screen}"
    );
}
