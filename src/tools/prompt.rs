//! Reading a password like Python's `getpass.getpass()`: on the controlling terminal
//! without echo; without a terminal, from stdin (with a warning, as `getpass` does).
//!
//! Unlike `getpass`, the terminal is read in raw mode (crossterm's) with signals off, so
//! that Ctrl-C restores the terminal before the process is interrupted.

use crate::error::Error;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use zeroize::Zeroizing;

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
        .map_err(|e| Error::new("OSError", e.to_string()))?;
    if n == 0 {
        return Err(Error::new("EOFError", ""));
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

/// Leaves raw mode when dropped.
struct RawGuard;

impl Drop for RawGuard {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

fn read_from_tty(mut tty: File, prompt: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
    // Raw mode (crossterm: no echo, no line editing, no signals from keys).
    if crossterm::terminal::enable_raw_mode().is_err() {
        drop(tty);
        return read_from_stdin(prompt);
    }
    let guard = RawGuard;
    let _ = tty.write_all(prompt.as_bytes());
    let _ = tty.flush();
    let mut line = Zeroizing::new(String::new());
    let outcome = loop {
        let event = match crossterm::event::read() {
            Ok(event) => event,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(Error::new("OSError", e.to_string())),
        };
        let Event::Key(KeyEvent {
            code,
            modifiers,
            kind,
            ..
        }) = event
        else {
            continue;
        };
        if kind == KeyEventKind::Release {
            continue;
        }
        let ctrl = modifiers.contains(KeyModifiers::CONTROL);
        match code {
            KeyCode::Enter => break Ok(()),
            KeyCode::Char('j' | 'm') if ctrl => break Ok(()),
            KeyCode::Char('c') if ctrl => break Err(Error::new("KeyboardInterrupt", "")),
            // Ctrl-D: end of input on an empty line.
            KeyCode::Char('d') if ctrl && line.is_empty() => {
                break Err(Error::new("EOFError", ""));
            }
            // Ctrl-U: kill the line.
            KeyCode::Char('u') if ctrl => line.clear(),
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Char('h') if ctrl => {
                line.pop();
            }
            KeyCode::Char(c) if !ctrl => line.push(c),
            _ => {}
        }
    };
    drop(guard);
    let _ = tty.write_all(b"\n");
    let _ = tty.flush();
    match outcome {
        Ok(()) => Ok(Zeroizing::new(std::mem::take(&mut *line).into_bytes())),
        Err(e) if e.class == "KeyboardInterrupt" => {
            // Terminal restored: now be interrupted as Ctrl-C would have done.
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
            Err(e)
        }
        Err(e) => Err(e),
    }
}
