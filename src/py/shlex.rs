//! Python's `shlex.split`, for rule lines and command words typed in the editor. The `shlex`
//! crate splits like a POSIX shell (comments, `$`/backquote escapes in double quotes, other
//! whitespace), which is not Python's answer.

use crate::{Error, Exc, Result};

/// Split a line into words exactly like Python's `shlex.split` (POSIX mode, no comments;
/// only space, tab, CR and LF separate words): `'…'` is literal, `"…"` allows `\\` and `\"` escapes, a backslash outside
/// quotes escapes the next character, and quoted empty strings are tokens.
pub fn split(line: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_token {
                    out.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(Error::new(Exc::ValueError, "No closing quotation")),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some(&n) if n == '"' || n == '\\' => {
                                cur.push(n);
                                chars.next();
                            }
                            Some(_) => cur.push('\\'),
                            None => {
                                return Err(Error::new(Exc::ValueError, "No closing quotation"));
                            }
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(Error::new(Exc::ValueError, "No closing quotation")),
                    }
                }
            }
            '\\' => {
                in_token = true;
                match chars.next() {
                    Some(ch) => cur.push(ch),
                    None => return Err(Error::new(Exc::ValueError, "No escaped character")),
                }
            }
            c => {
                in_token = true;
                cur.push(c);
            }
        }
    }
    if in_token {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// Answers of CPython 3.11.7's `shlex.split`, recorded with
    /// `tests/support/py-answers.py shlex`.
    #[test]
    fn split_as_cpython() {
        let table: &[(&str, Result<&[&str], &str>)] = include!("shlex_answers.in");
        for (line, want) in table {
            let got = super::split(line);
            match want {
                Ok(words) => assert_eq!(got.unwrap(), *words, "{line:?}"),
                Err(msg) => assert_eq!(got.unwrap_err().message, *msg, "{line:?}"),
            }
        }
    }
}
