//! Running an inspection as the reference does (`runlib.in_toto_run(name, ["."], ["."],
//! run, timeout)`): record the working directory as materials, run the command, record the
//! working directory as products. Unlike the reference, the command runs in its own
//! process group, which is killed as a whole on timeout. The reference discards what the
//! command prints (its link records empty `stdout` and `stderr`, and so does ours); the
//! output is kept apart ([`Output`]) for reports, as it often says why an inspection failed.

use crate::Exc;
use crate::error::{Error, Result};
use crate::model::link::{Artifacts, Link};
use crate::process;
use crate::py::json::py_repr;
use crate::record::{RecordOptions, record_artifacts};
use serde_json::{Map, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// What an inspection's command printed: the first [`OUTPUT_CAP`] bytes of each stream,
/// as text (invalid UTF-8 replaced).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

/// How much of each stream [`Output`] keeps; the rest is read and dropped.
pub const OUTPUT_CAP: usize = 64 << 10;

/// How long to wait for a stream's end after the command exited (a process it left
/// behind may hold it open; what was read by then is kept).
const DRAIN: Duration = Duration::from_millis(200);

/// A stream read on a thread of its own: the first [`OUTPUT_CAP`] bytes are kept, the rest
/// dropped.
struct Capture {
    kept: Arc<std::sync::Mutex<Vec<u8>>>,
    ended: std::sync::mpsc::Receiver<()>,
}

impl Capture {
    fn start(mut pipe: impl std::io::Read + Send + 'static) -> Capture {
        let (tx, ended) = std::sync::mpsc::channel();
        let kept = Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = kept.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut out) = shared.lock() {
                    let room = OUTPUT_CAP.saturating_sub(out.len());
                    out.extend_from_slice(&buf[..n.min(room)]);
                }
            }
            let _ = tx.send(());
        });
        Capture { kept, ended }
    }

    /// What was read, once the stream ended or [`DRAIN`] passed.
    fn text(self) -> String {
        let _ = self.ended.recv_timeout(DRAIN);
        let bytes = self.kept.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The outcome of running a command with a timeout.
pub enum RunOutcome {
    Exited(i64),
    TimedOut,
}

/// Run `argv` in `dir` with stdin on /dev/null, in a new process group; on timeout the
/// whole group is killed. What it prints goes to `output` (or /dev/null without one).
pub fn run_command(
    argv: &[String],
    dir: &Path,
    timeout: Duration,
    output: Option<&mut Output>,
) -> Result<RunOutcome> {
    use std::os::unix::process::CommandExt;
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| Error::new(Exc::IndexError, "empty command"))?;
    let mut cmd = Command::new(prog);
    let piped = || {
        if output.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(piped())
        .stderr(piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| crate::py::oserror::os_error(&e, Some(prog)))?;
    let streams = (
        child.stdout.take().map(Capture::start),
        child.stderr.take().map(Capture::start),
    );
    let outcome = match process::wait_timeout(&mut child, timeout, || {})? {
        Some(status) => RunOutcome::Exited(process::return_value(status)),
        None => {
            process::kill(&mut child, true);
            RunOutcome::TimedOut
        }
    };
    if let Some(out) = output {
        out.stdout = streams.0.map(Capture::text).unwrap_or_default();
        out.stderr = streams.1.map(Capture::text).unwrap_or_default();
    }
    Ok(outcome)
}

fn record_dir(dir: &Path) -> Result<Artifacts> {
    let opts = RecordOptions {
        base_path: Some(dir.to_path_buf()),
        ..RecordOptions::default()
    };
    record_artifacts(&[".".to_string()], &opts, None)
}

/// Run one inspection in `dir`; returns its (unsigned) link, or the reference's error:
/// `BadReturnValueError` for a non-zero exit or an empty `run`, `FileNotFoundError` for a
/// missing program, `TimeoutExpired` after `timeout`. What the command printed goes to
/// `output`, also when it fails.
pub fn run_inspection(
    name: &str,
    run: &[Value],
    dir: &Path,
    timeout: Duration,
    output: &mut Output,
) -> Result<Link> {
    let argv = run
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(Error::format(format!(
                "expected str, got '{} ({})'",
                crate::py::json::py_str(other),
                crate::py::json::py_type(other)
            ))),
        })
        .collect::<Result<Vec<String>>>()?;
    let materials = record_dir(dir)?;
    let mut byproducts = Map::new();
    if !argv.is_empty() {
        match run_command(&argv, dir, timeout, Some(output))? {
            RunOutcome::Exited(rc) => {
                byproducts.insert("return-value".into(), Value::from(rc));
                byproducts.insert("stderr".into(), Value::String(String::new()));
                byproducts.insert("stdout".into(), Value::String(String::new()));
            }
            RunOutcome::TimedOut => {
                return Err(Error::new(
                    Exc::TimeoutExpired,
                    format!(
                        "Command '{}' timed out after {} seconds",
                        py_repr(&Value::Array(run.to_vec())),
                        timeout.as_secs()
                    ),
                ));
            }
        }
    }
    let products = record_dir(dir)?;
    let link = Link {
        name: Value::String(name.to_string()),
        command: run.to_vec(),
        materials: Arc::new(materials),
        products: Arc::new(products),
        byproducts,
        environment: Map::new(),
    };
    link.check_encodable()?;
    match link.byproducts.get("return-value") {
        None => Err(Error::new(
            Exc::BadReturnValueError,
            "Got non-int return value 'None'.",
        )),
        Some(_) => match link.return_value() {
            Some(0) => Ok(link),
            Some(rc) => Err(Error::new(
                Exc::BadReturnValueError,
                format!(
                    "Got non-zero return value '{rc}' from command '{}'.",
                    py_repr(&Value::Array(run.to_vec()))
                ),
            )),
            None => Err(Error::new(
                Exc::BadReturnValueError,
                "Got non-int return value.",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| Value::String(s.to_string())).collect()
    }

    #[test]
    fn records_before_and_after() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let link = run_inspection(
            "x",
            &strs(&["sh", "-c", "echo b > b.txt"]),
            dir.path(),
            Duration::from_secs(10),
            &mut Output::default(),
        )
        .unwrap();
        assert!(link.materials.contains("a.txt"));
        assert!(!link.materials.contains("b.txt"));
        assert!(link.products.contains("b.txt"));
        assert_eq!(link.return_value(), Some(0));
    }

    #[test]
    fn reference_errors() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(10);
        let e = run_inspection(
            "x",
            &strs(&["sh", "-c", "exit 3"]),
            dir.path(),
            t,
            &mut Output::default(),
        )
        .unwrap_err();
        assert_eq!(e.class, "BadReturnValueError");
        assert_eq!(
            e.message,
            "Got non-zero return value '3' from command '['sh', '-c', 'exit 3']'."
        );
        let e = run_inspection("x", &[], dir.path(), t, &mut Output::default()).unwrap_err();
        assert_eq!(e.message, "Got non-int return value 'None'.");
        let e = run_inspection(
            "x",
            &strs(&["no-such-program-xyz"]),
            dir.path(),
            t,
            &mut Output::default(),
        )
        .unwrap_err();
        assert_eq!(e.class, "FileNotFoundError");
    }

    /// What the command prints is kept apart, also when it fails; the link records empty
    /// streams, as the reference's does.
    #[test]
    fn output_is_kept_apart_from_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(10);
        let mut out = Output::default();
        let link = run_inspection(
            "x",
            &strs(&["sh", "-c", "echo fine; echo careful >&2"]),
            dir.path(),
            t,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.stdout, "fine\n");
        assert_eq!(out.stderr, "careful\n");
        assert_eq!(link.byproducts["stdout"], "");
        assert_eq!(link.byproducts["stderr"], "");

        let mut out = Output::default();
        let e = run_inspection(
            "x",
            &strs(&["sh", "-c", "echo CRITICAL finding >&2; exit 1"]),
            dir.path(),
            t,
            &mut out,
        )
        .unwrap_err();
        assert_eq!(e.class, "BadReturnValueError");
        assert_eq!(out.stderr, "CRITICAL finding\n");

        // Only the first OUTPUT_CAP bytes are kept; the command still runs to its end.
        let mut out = Output::default();
        run_inspection(
            "x",
            &strs(&[
                "sh",
                "-c",
                "head -c 200000 /dev/zero | tr '\\0' a; echo done >&2",
            ]),
            dir.path(),
            t,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.stdout.len(), OUTPUT_CAP);
        assert_eq!(out.stderr, "done\n");
    }

    #[test]
    fn a_flood_of_output_is_stopped_by_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Output::default();
        let e = run_inspection(
            "x",
            &strs(&["sh", "-c", "yes flood"]),
            dir.path(),
            Duration::from_secs(1),
            &mut out,
        )
        .unwrap_err();
        assert_eq!(e.class, "TimeoutExpired");
        assert_eq!(out.stdout.len(), OUTPUT_CAP);
    }

    #[test]
    fn timeout_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        // The child starts a grandchild that would write a file after the timeout.
        let e = run_inspection(
            "x",
            &strs(&["sh", "-c", "(sleep 2; touch late) & sleep 30"]),
            dir.path(),
            Duration::from_secs(1),
            &mut Output::default(),
        )
        .unwrap_err();
        assert_eq!(e.class, "TimeoutExpired");
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !dir.path().join("late").exists(),
            "the grandchild was killed with the group"
        );
    }
}
