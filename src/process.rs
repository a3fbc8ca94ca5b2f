//! Running a command with a timeout, as both `run` (the functionary's command) and
//! inspections (at verification) do: the waiting, the killing of the command's process
//! group, and the return code as Python's `subprocess` reports it (a failed spawn is
//! `py::oserror::os_error` of the program).

use crate::Exc;
use crate::error::Error;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Wait for `child` until `timeout`, calling `tick` between polls (to drain its output);
/// `None` when the time ran out (the child is left running: see [`kill`]).
pub fn wait_timeout(
    child: &mut Child,
    timeout: Duration,
    mut tick: impl FnMut(),
) -> Result<Option<ExitStatus>, Error> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let status = child
            .try_wait()
            .map_err(|e| Error::new(Exc::OSError, e.to_string()))?;
        tick();
        if status.is_some() {
            return Ok(status);
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Kill `child`, and with `own_group` the process group it leads (spawned with
/// `process_group(0)`), so that nothing it started outlives it; then reap it.
pub fn kill(child: &mut Child, own_group: bool) {
    if own_group {
        let group = rustix::process::Pid::from_child(child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `subprocess`'s return code: the exit status, or minus the signal that ended it.
pub fn return_value(status: ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => i64::from(c),
        (None, Some(sig)) => -i64::from(sig),
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_kills_the_whole_group() {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("grandchild-ran");
        // The grandchild would write the mark after the timeout unless it is killed too.
        let script = format!("(sleep 1; touch '{}') & sleep 5", mark.display());
        let mut child = std::process::Command::new("sh")
            .args(["-c", &script])
            .process_group(0)
            .spawn()
            .unwrap();
        let status = wait_timeout(&mut child, Duration::from_millis(100), || {}).unwrap();
        assert!(status.is_none(), "sleep 5 outlasts 100 ms");
        kill(&mut child, true);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(!mark.exists(), "the grandchild was killed with its group");
    }
}
