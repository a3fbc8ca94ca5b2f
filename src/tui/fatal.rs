//! Restore the terminal when the process dies by `abort` — a stack overflow, a failed
//! allocation, `std::process::abort` — where no panic hook runs: a `SIGABRT` handler
//! writes the sequences that leave mouse mode and the alternate screen and show the
//! cursor, and puts back the terminal settings saved before raw mode. Both calls
//! (`write`, `tcsetattr`) are async-signal-safe and everything they need is computed
//! before the handler can run. Then the default action ends the process (also for a
//! `SIGABRT` sent from outside, which `abort` would not re-raise).
//! (`SIGSEGV` and friends cannot be hooked this way: the runtime owns them.)

use std::sync::OnceLock;

/// DisableMouseCapture, LeaveAlternateScreen, cursor Show (crossterm's sequences).
const RESTORE: &[u8] =
    b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// The terminal's settings before raw mode, and its descriptor.
static SAVED: OnceLock<Option<(libc::c_int, libc::termios)>> = OnceLock::new();

/// Save the terminal settings (call before raw mode) and install the handler once.
pub fn install() {
    SAVED.get_or_init(|| {
        let fd = libc::STDIN_FILENO;
        // SAFETY: `isatty` and `tcgetattr` on a descriptor with a zeroed struct they fill.
        unsafe {
            if libc::isatty(fd) != 1 {
                return None;
            }
            let mut t: libc::termios = std::mem::zeroed();
            (libc::tcgetattr(fd, &mut t) == 0).then_some((fd, t))
        }
    });
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handler only calls async-signal-safe functions (`write`,
        // `tcsetattr`) on data that is initialised before registration and never changes.
        let _ = unsafe { signal_hook::low_level::register(libc::SIGABRT, on_abort) };
    });
}

fn on_abort() {
    // SAFETY: `write` of a static buffer to stdout; `tcsetattr` with saved settings.
    unsafe {
        let _ = libc::write(libc::STDOUT_FILENO, RESTORE.as_ptr().cast(), RESTORE.len());
        if let Some(Some((fd, t))) = SAVED.get() {
            let _ = libc::tcsetattr(*fd, libc::TCSANOW, t);
        }
    }
    let _ = signal_hook::low_level::emulate_default_handler(libc::SIGABRT);
}
