//! Python path helpers the recorder needs: `posixpath.normpath`, `posixpath.join` and the
//! text and class of the `OSError` Python raises for an I/O error.

use crate::error::Error;
use crate::py::repr::repr as py_repr;
use std::io;

/// `posixpath.normpath`: a purely lexical normalisation. `./a` → `a`, `a//b/../c` → `a/c`,
/// `` → `.`; leading `..` stay, `/..` → `/`, exactly two leading slashes are kept.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let initial_slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial_slashes == 0 && comps.is_empty()) || comps.last() == Some(&"..")
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = "/".repeat(initial_slashes);
    out.push_str(&comps.join("/"));
    if out.is_empty() { ".".into() } else { out }
}

/// `posixpath.join(a, b)` for two parts.
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// The class of the `OSError` subclass Python raises for an errno.
fn os_error_class(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(1) | Some(13) => "PermissionError",
        Some(2) => "FileNotFoundError",
        Some(3) => "ProcessLookupError",
        Some(4) => "InterruptedError",
        Some(10) => "ChildProcessError",
        Some(11) | Some(114) | Some(115) => "BlockingIOError",
        Some(17) => "FileExistsError",
        Some(20) => "NotADirectoryError",
        Some(21) => "IsADirectoryError",
        Some(32) | Some(108) => "BrokenPipeError",
        Some(103) => "ConnectionAbortedError",
        Some(104) => "ConnectionResetError",
        Some(110) => "TimeoutError",
        Some(111) => "ConnectionRefusedError",
        _ => "OSError",
    }
}

/// `strerror(errno)`, without Rust's ` (os error N)` suffix.
fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_like_python() {
        let cases = [
            ("", "."),
            (".", "."),
            ("./a", "a"),
            ("a/", "a"),
            ("sub/../a", "a"),
            ("a/./b//c/", "a/b/c"),
            ("..", ".."),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("a/../..", ".."),
            ("/", "/"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("//", "//"),
            ("////", "/"),
            ("a\\b", "a\\b"),
        ];
        for (input, want) in cases {
            assert_eq!(normpath(input), want, "normpath({input:?})");
        }
    }

    #[test]
    fn join_like_python() {
        assert_eq!(join(".", "a"), "./a");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("a/", "b"), "a/b");
        assert_eq!(join("a", "/b"), "/b");
    }

    #[test]
    fn os_errors() {
        let e = os_error(&io::Error::from_raw_os_error(13), Some("a/b"));
        assert_eq!(
            (e.class, e.message.as_str()),
            ("PermissionError", "[Errno 13] Permission denied: 'a/b'")
        );
        let e = os_error(&io::Error::from_raw_os_error(2), Some("x'y"));
        assert_eq!(e.message, "[Errno 2] No such file or directory: \"x'y\"");
    }
}
