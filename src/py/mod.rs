//! The Python dialect: the parts of CPython 3.11 and securesystemslib whose exact
//! behaviour the reference's answers depend on, each written once. Every function here
//! has a table test of answers recorded from the reference's interpreter
//! (`tests/support/py-answers.py`); the Unicode tables are generated from it
//! (`tests/support/py-unicode-table.py`). No crate reproduces these to the letter
//! (the `base64` crates refuse CPython's padding quirks, Rust's formatting is not
//! `str.format`, and Rust's Unicode tables are newer than Python 3.11's).

pub mod base64;
pub mod fnmatch;
pub mod format;
pub mod hex;
pub mod json;
pub mod oserror;
pub mod path;
pub mod repr;
pub mod shlex;
mod unicode;

pub use unicode::UNIDATA_VERSION;

/// Python's `s[:n]` (and `'{:.n}'.format(s)`): the first `n` characters, never a cut
/// through one. Keyid prefixes (`{keyid:.8}` in link file names, short ids on screen) come
/// from files anyone can write, so they are cut here and only here.
pub fn prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.split_at(i).0,
        None => s,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_counts_characters() {
        assert_eq!(super::prefix("0123456789", 8), "01234567");
        assert_eq!(super::prefix("ab", 8), "ab");
        assert_eq!(super::prefix("0123456é89", 8), "0123456é");
        assert_eq!(super::prefix("éééééééééé", 8), "éééééééé");
        assert_eq!(super::prefix("", 8), "");
    }
}
