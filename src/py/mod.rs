//! The Python dialect: the parts of CPython 3.11 and securesystemslib whose exact
//! behaviour the reference's answers depend on, each written once. Every function here
//! has a table test of answers recorded from the reference's interpreter
//! (`tests/support/py-answers.py`); the Unicode tables are generated from it
//! (`tests/support/py-unicode-table.py`). No crate reproduces these to the letter
//! (the `base64` crates refuse CPython's padding quirks, Rust's formatting is not
//! `str.format`, and Rust's Unicode tables are newer than Python 3.11's).

pub mod base64;
pub mod format;
pub mod repr;
mod unicode;

pub use unicode::UNIDATA_VERSION;
