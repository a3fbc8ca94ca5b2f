//! The error type of the in-toto core.
//!
//! Every error carries the name of the exception class the reference implementation
//! (in-toto 3.1.0 / securesystemslib 1.6) raises in the same situation, so that reports can
//! say which class the reference would have reported, next to a readable message.

use std::fmt;

/// Declares [`Exc`]: each variant is rendered as its own name unless another is given.
macro_rules! exceptions {
    ($($(#[doc = $doc:literal])* $variant:ident $(= $name:literal)?,)*) => {
        /// An exception class the reference raises (Python's built-in ones,
        /// securesystemslib's and in-toto's), rendered as its Python name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Exc {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Exc {
            /// The class's Python name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Exc::$variant => exceptions!(@name $variant $($name)?),)*
                }
            }
        }
    };
    (@name $variant:ident $name:literal) => { $name };
    (@name $variant:ident) => { stringify!($variant) };
}

exceptions! {
    // Python's built-in exceptions.
    AttributeError,
    BlockingIOError,
    BrokenPipeError,
    ChildProcessError,
    ConnectionAbortedError,
    ConnectionRefusedError,
    ConnectionResetError,
    EOFError,
    FileExistsError,
    FileNotFoundError,
    IndexError,
    InterruptedError,
    IsADirectoryError,
    KeyError,
    KeyboardInterrupt,
    MemoryError,
    NotADirectoryError,
    OSError,
    PermissionError,
    ProcessLookupError,
    RecursionError,
    RuntimeError,
    StopIteration,
    TimeoutError,
    TypeError,
    UnicodeDecodeError,
    UnicodeEncodeError,
    ValueError,
    /// `json.JSONDecodeError`.
    JSONDecodeError,
    /// `binascii.Error`.
    BinasciiError = "Error",
    /// `re.error`.
    ReError = "error",
    /// `subprocess.TimeoutExpired`.
    TimeoutExpired,
    /// `cryptography.exceptions.UnsupportedAlgorithm`.
    UnsupportedAlgorithm,
    // securesystemslib's.
    FormatError,
    UnverifiedSignatureError,
    VerificationError,
    // in-toto's.
    BadReturnValueError,
    InvalidMetadata,
    LayoutExpiredError,
    LinkNotFoundError,
    PrefixError,
    RuleVerificationError,
    SignatureVerificationError,
    ThresholdVerificationError,
    // pathspec's.
    GitIgnorePatternError,
    // This tool's own, where the reference has no class for the case.
    /// A file holds a link where a layout was expected.
    NotALayout,
    /// A `--param` template this tool refuses (see SECURITY.md).
    UnsupportedFormat,
}

impl fmt::Display for Exc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Tests and reports compare classes with the reference's recorded names.
impl PartialEq<&str> for Exc {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// An error of the in-toto core: the reference's exception class and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The reference's exception class, e.g. `FormatError`, `JSONDecodeError`.
    pub class: Exc,
    /// A readable message (close to the reference's where that one is useful).
    pub message: String,
}

impl Error {
    pub fn new(class: Exc, message: impl Into<String>) -> Self {
        Error {
            class,
            message: message.into(),
        }
    }

    /// `securesystemslib.exceptions.FormatError`
    pub fn format(message: impl Into<String>) -> Self {
        Self::new(Exc::FormatError, message)
    }

    /// Python's `UnicodeDecodeError` for `bytes.decode("utf-8")` failing with `e` (CPython's
    /// text: the offending byte, or the range of bytes of a truncated or broken sequence,
    /// at its byte offset).
    pub fn unicode_decode(bytes: &[u8], e: &std::str::Utf8Error) -> Self {
        let start = e.valid_up_to();
        let byte = bytes.get(start).copied().unwrap_or_default();
        let (end, reason) = match e.error_len() {
            None => (bytes.len(), "unexpected end of data"),
            Some(1) if (0x80..0xc2).contains(&byte) || byte > 0xf4 => {
                (start + 1, "invalid start byte")
            }
            Some(n) => (start + n, "invalid continuation byte"),
        };
        let what = if end - start <= 1 {
            format!("byte 0x{byte:02x} in position {start}")
        } else {
            format!("bytes in position {start}-{}", end - 1)
        };
        Self::new(
            Exc::UnicodeDecodeError,
            format!("'utf-8' codec can't decode {what}: {reason}"),
        )
    }

    /// Prefix the message with some context, keeping the class.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.class)
        } else {
            write!(f, "{}: {}", self.class, self.message)
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_decode_like_cpython() {
        // Messages as CPython 3.11 prints them for `bytes.decode("utf-8")`.
        for (bytes, want) in [
            (&b"\xff"[..], "byte 0xff in position 0: invalid start byte"),
            (
                b"a\xe0\xa0",
                "bytes in position 1-2: unexpected end of data",
            ),
            (
                b"\xe0\x80a",
                "byte 0xe0 in position 0: invalid continuation byte",
            ),
            (
                b"\xe0\xa0a",
                "bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xf0\x90\x80a",
                "bytes in position 0-2: invalid continuation byte",
            ),
            (
                b"\xed\xa0\x80",
                "byte 0xed in position 0: invalid continuation byte",
            ),
            (b"\xc0\x80", "byte 0xc0 in position 0: invalid start byte"),
            (
                b"\xf4\x90\x80\x80",
                "byte 0xf4 in position 0: invalid continuation byte",
            ),
            (b"\xe0", "byte 0xe0 in position 0: unexpected end of data"),
            (
                b"ab\xf0\x90\x80",
                "bytes in position 2-4: unexpected end of data",
            ),
            (b"\xf8", "byte 0xf8 in position 0: invalid start byte"),
        ] {
            let e = std::str::from_utf8(bytes).unwrap_err();
            let err = Error::unicode_decode(bytes, &e);
            assert_eq!(err.class, "UnicodeDecodeError");
            assert_eq!(
                err.message,
                format!("'utf-8' codec can't decode {want}"),
                "{bytes:?}"
            );
        }
    }
}
