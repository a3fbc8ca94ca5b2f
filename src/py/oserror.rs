//! The `OSError` Python raises for a failed system call: its subclass (by errno) and its
//! text, `[Errno N] <strerror>: <repr(filename)>`. Every file and process error of the
//! core is made here.

use crate::error::{Error, Exc};
use crate::py::repr::repr as py_repr;
use std::io;
use std::path::Path;

/// The class of the `OSError` subclass Python raises for an errno.
fn os_error_class(e: &io::Error) -> Exc {
    if e.kind() == io::ErrorKind::OutOfMemory {
        // A failed (fallible) reservation for a read buffer.
        return Exc::MemoryError;
    }
    match e.raw_os_error() {
        Some(1) | Some(13) => Exc::PermissionError,
        Some(2) => Exc::FileNotFoundError,
        Some(3) => Exc::ProcessLookupError,
        Some(4) => Exc::InterruptedError,
        Some(10) => Exc::ChildProcessError,
        Some(11) | Some(114) | Some(115) => Exc::BlockingIOError,
        Some(17) => Exc::FileExistsError,
        Some(20) => Exc::NotADirectoryError,
        Some(21) => Exc::IsADirectoryError,
        Some(32) | Some(108) => Exc::BrokenPipeError,
        Some(103) => Exc::ConnectionAbortedError,
        Some(104) => Exc::ConnectionResetError,
        Some(110) => Exc::TimeoutError,
        Some(111) => Exc::ConnectionRefusedError,
        _ => Exc::OSError,
    }
}

/// `strerror(errno)`, without Rust's ` (os error N)` suffix.
fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" (os error ") {
        Some((strerror, _)) => strerror.to_string(),
        None => text,
    }
}

/// The error Python raises for a failed call on `filename`, e.g.
/// `PermissionError: [Errno 13] Permission denied: 'a/b'`.
pub fn os_error(e: &io::Error, filename: Option<&str>) -> Error {
    let class = os_error_class(e);
    let mut msg = match e.raw_os_error() {
        Some(n) => format!("[Errno {n}] {}", strerror(e)),
        None => strerror(e),
    };
    if let Some(f) = filename {
        msg.push_str(": ");
        msg.push_str(&py_repr(f));
    }
    Error::new(class, msg)
}

/// [`os_error`] for a file given as a path.
pub fn path_error(e: &io::Error, path: &Path) -> Error {
    os_error(e, Some(&path.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors() {
        let e = os_error(&io::Error::from_raw_os_error(13), Some("a/b"));
        assert_eq!(
            (e.class, e.message.as_str()),
            (Exc::PermissionError, "[Errno 13] Permission denied: 'a/b'")
        );
        let e = os_error(&io::Error::from_raw_os_error(2), Some("x'y"));
        assert_eq!(e.message, "[Errno 2] No such file or directory: \"x'y\"");
    }

    #[test]
    fn classes_by_errno() {
        for (errno, class) in [
            (2, Exc::FileNotFoundError),
            (1, Exc::PermissionError),
            (21, Exc::IsADirectoryError),
            (20, Exc::NotADirectoryError),
            (17, Exc::FileExistsError),
            (5, Exc::OSError),
        ] {
            assert_eq!(
                os_error(&io::Error::from_raw_os_error(errno), None).class,
                class
            );
        }
        let oom = io::Error::from(io::ErrorKind::OutOfMemory);
        assert_eq!(
            path_error(&oom, Path::new("big.link")).class,
            Exc::MemoryError
        );
    }
}
