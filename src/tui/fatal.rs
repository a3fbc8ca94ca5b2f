//! Restore the terminal when the process dies by `abort` — a stack overflow, a failed
//! allocation, `std::process::abort` — where no panic hook runs: a `SIGABRT` handler
//! writes the sequences that leave mouse mode and the alternate screen and show the
//! cursor, and puts back the terminal settings saved before raw mode. Both calls
//! (`write`, `tcsetattr`, rustix's system calls) are async-signal-safe and everything they need is computed
//! before the handler can run. Then the default action ends the process (also for a
//! `SIGABRT` sent from outside, which `abort` would not re-raise).
//! (`SIGSEGV` and friends cannot be hooked this way: the runtime owns them.)

use rustix::termios::{OptionalActions, Termios};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::OnceLock;

/// DisableMouseCapture, LeaveAlternateScreen, cursor Show (crossterm's sequences).
const RESTORE: &[u8] =
    b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// Copies of the terminal's and standard output's descriptors (opened before the handler
/// can run), and the terminal's settings before raw mode.
struct Saved {
    terminal: Option<(OwnedFd, Termios)>,
    stdout: Option<OwnedFd>,
}

static SAVED: OnceLock<Saved> = OnceLock::new();

/// Save the terminal settings (call before raw mode) and install the handler once.
pub fn install() {
    SAVED.get_or_init(|| {
        let stdin = std::io::stdin();
        let terminal = rustix::termios::isatty(&stdin)
            .then(|| {
                let settings = rustix::termios::tcgetattr(&stdin).ok()?;
                Some((stdin.as_fd().try_clone_to_owned().ok()?, settings))
            })
            .flatten();
        let stdout = std::io::stdout().as_fd().try_clone_to_owned().ok();
        Saved { terminal, stdout }
    });
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handler only makes system calls (`write`, `tcsetattr`) on data that
        // is set before registration and never changes, and then signal-hook's emulation
        // of the default action: all async-signal-safe.
        let _ = unsafe { signal_hook::low_level::register(signal_hook::consts::SIGABRT, on_abort) };
    });
}

fn on_abort() {
    if let Some(saved) = SAVED.get() {
        if let Some(out) = &saved.stdout {
            let _ = rustix::io::write(out, RESTORE);
        }
        if let Some((fd, settings)) = &saved.terminal {
            let _ = rustix::termios::tcsetattr(fd, OptionalActions::Now, settings);
        }
    }
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGABRT);
}
