//! `repr()` and `ascii()` of a `str`, as CPython 3.11 writes them (`unicode_repr`,
//! `PyObject_ASCII`), with the interpreter's own Unicode 14 table of printable characters:
//! a character newer than Unicode 14 is escaped, as the reference escapes it.

use super::unicode::{DECIMAL_ZEROS, NOT_PRINTABLE};
use std::fmt::Write;

/// `str.isprintable()` of one character.
pub fn is_printable(c: char) -> bool {
    let n = c as u32;
    if (0x20..0x7f).contains(&n) {
        return true;
    }
    NOT_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < n {
                std::cmp::Ordering::Less
            } else if lo > n {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// `unicodedata.decimal(c)` (what `str.format` reads as a digit), or `None`.
pub fn decimal(c: char) -> Option<u32> {
    let n = c as u32;
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= n);
    let zero = *DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    (n - zero < 10).then_some(n - zero)
}

/// `repr(s)`.
pub fn repr(s: &str) -> String {
    quoted(s, false)
}

/// `ascii(s)`: `repr` with every non-ASCII character escaped.
pub fn ascii(s: &str) -> String {
    quoted(s, true)
}

fn quoted(s: &str, ascii_only: bool) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if ascii_only || !is_printable(c) => {
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers of CPython 3.11.7, recorded with `tests/support/py-answers.py repr`.
    #[test]
    fn repr_and_ascii_as_cpython() {
        let table: &[(&str, &str, &str)] = &[
            ("ab", "'ab'", "'ab'"),
            ("a'b", "\"a'b\"", "\"a'b\""),
            ("a'\"b", "'a\\'\"b'", "'a\\'\"b'"),
            ("a\u{200b}b", "'a\\u200bb'", "'a\\u200bb'"),
            (
                "\u{7f}\u{80}\u{a0}\u{ad}",
                "'\\x7f\\x80\\xa0\\xad'",
                "'\\x7f\\x80\\xa0\\xad'",
            ),
            ("\u{1fae8}", "'\\U0001fae8'", "'\\U0001fae8'"),
            ("\u{1f600}\u{e9}", "'\u{1f600}\u{e9}'", "'\\U0001f600\\xe9'"),
            (
                "\u{0}\t\n\r\\",
                "'\\x00\\t\\n\\r\\\\'",
                "'\\x00\\t\\n\\r\\\\'",
            ),
            (
                "\u{2028}\u{3000}\u{e000}",
                "'\\u2028\\u3000\\ue000'",
                "'\\u2028\\u3000\\ue000'",
            ),
            (
                "na\u{ef}ve \u{2713}",
                "'na\u{ef}ve \u{2713}'",
                "'na\\xefve \\u2713'",
            ),
        ];
        for (s, r, a) in table {
            assert_eq!(repr(s), *r, "repr({s:?})");
            assert_eq!(ascii(s), *a, "ascii({s:?})");
        }
    }

    #[test]
    fn decimal_digits_of_every_script() {
        assert_eq!(decimal('0'), Some(0));
        assert_eq!(decimal('9'), Some(9));
        assert_eq!(decimal('/'), None);
        assert_eq!(decimal(':'), None);
        assert_eq!(decimal('\u{665}'), Some(5)); // ARABIC-INDIC DIGIT FIVE
        assert_eq!(decimal('\u{ff17}'), Some(7)); // FULLWIDTH DIGIT SEVEN
        assert_eq!(decimal('\u{b2}'), None); // SUPERSCRIPT TWO is a digit, not a decimal
        assert_eq!(decimal('a'), None);
    }
}
