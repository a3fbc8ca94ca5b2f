//! The error type of the in-toto core.
//!
//! Every error carries the name of the exception class the reference implementation
//! (in-toto 3.1.0 / securesystemslib 1.6) raises in the same situation, so that reports can
//! say which class the reference would have reported, next to a readable message.

use std::fmt;

/// An error of the in-toto core: the reference's exception class and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The reference's exception class name, e.g. `FormatError`, `JSONDecodeError`.
    pub class: &'static str,
    /// A readable message (close to the reference's where that one is useful).
    pub message: String,
}

impl Error {
    pub fn new(class: &'static str, message: impl Into<String>) -> Self {
        Error {
            class,
            message: message.into(),
        }
    }

    /// `securesystemslib.exceptions.FormatError`
    pub fn format(message: impl Into<String>) -> Self {
        Self::new("FormatError", message)
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
