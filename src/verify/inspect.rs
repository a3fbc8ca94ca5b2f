//! Running an inspection as the reference does (`runlib.in_toto_run(name, ["."], ["."],
//! run, timeout)`): record the working directory as materials, run the command with its
//! output discarded, record the working directory as products. Unlike the reference, the
//! command runs in its own process group, which is killed as a whole on timeout.

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

/// The outcome of running a command with a timeout.
pub enum RunOutcome {
    Exited(i64),
    TimedOut,
}

/// Run `argv` in `dir` with stdin, stdout and stderr on /dev/null, in a new process group;
/// on timeout the whole group is killed.
pub fn run_command(argv: &[String], dir: &Path, timeout: Duration) -> Result<RunOutcome> {
    use std::os::unix::process::CommandExt;
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| Error::new(Exc::IndexError, "empty command"))?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| crate::py::oserror::os_error(&e, Some(prog)))?;
    match process::wait_timeout(&mut child, timeout, || {})? {
        Some(status) => Ok(RunOutcome::Exited(process::return_value(status))),
        None => {
            process::kill(&mut child, true);
            Ok(RunOutcome::TimedOut)
        }
    }
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
/// missing program, `TimeoutExpired` after `timeout`.
pub fn run_inspection(name: &str, run: &[Value], dir: &Path, timeout: Duration) -> Result<Link> {
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
        match run_command(&argv, dir, timeout)? {
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
        let e = run_inspection("x", &strs(&["sh", "-c", "exit 3"]), dir.path(), t).unwrap_err();
        assert_eq!(e.class, "BadReturnValueError");
        assert_eq!(
            e.message,
            "Got non-zero return value '3' from command '['sh', '-c', 'exit 3']'."
        );
        let e = run_inspection("x", &[], dir.path(), t).unwrap_err();
        assert_eq!(e.message, "Got non-int return value 'None'.");
        let e = run_inspection("x", &strs(&["no-such-program-xyz"]), dir.path(), t).unwrap_err();
        assert_eq!(e.class, "FileNotFoundError");
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
