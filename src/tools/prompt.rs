//! Reading a password like Python's `getpass.getpass()`: on the controlling terminal
//! without echo; without a terminal, from stdin (with a warning, as `getpass` does).
//!
//! Unlike `getpass`, the terminal is read in non-canonical mode with signals off, so that
//! Ctrl-C restores the terminal before the process is interrupted.

use crate::Exc;
use crate::error::Error;
use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Read, Write};
use zeroize::{Zeroize, Zeroizing};

/// Prompt for a password. Errors: `EOFError` when the input ends before a line.
pub fn read_password(prompt: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    match OpenOptions::new().read(true).write(true).open("/dev/tty") {
        Ok(tty) => read_from_tty(tty, prompt),
        Err(_) => read_from_stdin(prompt),
    }
}

fn read_from_stdin(prompt: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "Warning: Password input may be echoed.\n{prompt}");
    let _ = err.flush();
    drop(err);
    let mut line = Zeroizing::new(Vec::new());
    let n = std::io::stdin()
        .lock()
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::new(Exc::OSError, e.to_string()))?;
    if n == 0 {
        return Err(Error::new(Exc::EOFError, ""));
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

/// Puts the terminal settings back when dropped.
struct RawGuard<'a> {
    tty: &'a File,
    saved: Termios,
}

impl Drop for RawGuard<'_> {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(self.tty, OptionalActions::Flush, &self.saved);
    }
}

fn read_from_tty(mut tty: File, prompt: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    // Non-canonical, no echo, no signals from keys (rustix's safe termios calls); every
    // other byte is kept as typed, as `getpass` keeps it.
    let Ok(saved) = rustix::termios::tcgetattr(&tty) else {
        drop(tty);
        return read_from_stdin(prompt);
    };
    let _ = tty.write_all(prompt.as_bytes());
    let _ = tty.flush();
    let mut raw = saved.clone();
    raw.local_modes &= !(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG);
    raw.special_codes[SpecialCodeIndex::VMIN] = 1;
    raw.special_codes[SpecialCodeIndex::VTIME] = 0;
    if rustix::termios::tcsetattr(&tty, OptionalActions::Flush, &raw).is_err() {
        drop(tty);
        return read_from_stdin(prompt);
    }
    let mut line = Zeroizing::new(Vec::new());
    let mut byte = [0u8; 1];
    let outcome = {
        let _guard = RawGuard { tty: &tty, saved };
        let mut input = &tty;
        loop {
            match input.read(&mut byte) {
                Ok(0) => break Err(Error::new(Exc::EOFError, "")),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(Error::new(Exc::OSError, e.to_string())),
            }
            match byte[0] {
                b'\n' | b'\r' => break Ok(()),
                // Ctrl-C: interrupted.
                0x03 => break Err(Error::new(Exc::KeyboardInterrupt, "")),
                // Ctrl-D: end of input on an empty line.
                0x04 if line.is_empty() => break Err(Error::new(Exc::EOFError, "")),
                0x04 => {}
                // Backspace / delete: one character, however many UTF-8 bytes it has.
                0x7f | 0x08 => {
                    while let Some(b) = line.pop() {
                        if b & 0xc0 != 0x80 {
                            break;
                        }
                    }
                }
                // Ctrl-U: kill the line.
                0x15 => line.clear(),
                b => line.push(b),
            }
        }
    };
    byte.zeroize();
    let _ = tty.write_all(b"\n");
    let _ = tty.flush();
    match outcome {
        Ok(()) => Ok(line),
        Err(e) if e.class == Exc::KeyboardInterrupt => {
            // Terminal restored: now be interrupted as Ctrl-C would have done.
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
            Err(e)
        }
        Err(e) => Err(e),
    }
}
