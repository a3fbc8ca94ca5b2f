//! JSON encodings the reference uses, byte for byte.
//!
//! * [`canonical`]: securesystemslib canonical JSON (what legacy signatures and keyids cover):
//!   only `\` and `"` escaped, raw UTF-8, keys sorted by code point, integers only.
//! * [`dumps`]: Python `json.dumps(..., sort_keys=True)` with the reference's two layouts:
//!   [`DumpStyle::Pretty`] (`indent=1, separators=(",", ": ")`, legacy files) and
//!   [`DumpStyle::OneLine`] (default separators, DSSE files and payloads). ASCII-only output.
//! * [`py_repr`] / [`py_str`]: Python `repr()` / `str()` of JSON values, for messages that
//!   mirror the reference's.
//! * [`loads`] / [`Reader`]: reading, as Python's `json.loads` reads (see `read.rs`).

use crate::Exc;
use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

mod read;
pub use read::{MAX_DEPTH, Reader, huge_int_error, loads};

/// A value that canonical JSON cannot encode (the reference raises `FormatError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Could not encode {repr}: I cannot encode {repr}")]
pub struct CanonicalError {
    pub repr: String,
}

/// True when the JSON number text is an integer in Python's eyes (no fraction, no exponent).
pub fn number_is_int(n: &Number) -> bool {
    let s = n.as_str();
    !s.contains(['.', 'e', 'E']) && !s.is_empty()
}

/// The canonical decimal text of an integer number (`-0` becomes `0`, as Python's `int`).
pub fn int_text(n: &Number) -> &str {
    let s = n.as_str();
    if s.strip_prefix('-')
        .is_some_and(|d| d.bytes().all(|b| b == b'0'))
    {
        "0"
    } else {
        s
    }
}

/// Append the canonical form of a string (quotes included).
pub fn canonical_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most strings need no escaping: check without branching per byte (vectorises).
    let special = bytes
        .iter()
        .fold(false, |acc, &b| acc | (b == b'\\') | (b == b'"'));
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if !special {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' || b == b'"' {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            out.push(b);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Append the canonical encoding of `value` to `out`.
pub fn canonical_into(out: &mut Vec<u8>, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if !number_is_int(n) {
                return Err(CanonicalError {
                    repr: n.as_str().to_string(),
                });
            }
            out.extend_from_slice(int_text(n).as_bytes());
        }
        Value::String(s) => canonical_str(out, s),
        Value::Array(items) => canonical_array_into(out, items)?,
        Value::Object(map) => canonical_map_into(out, map)?,
    }
    Ok(())
}

/// Append the canonical encoding of a JSON array.
pub fn canonical_array_into(out: &mut Vec<u8>, items: &[Value]) -> Result<(), CanonicalError> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical_into(out, item)?;
    }
    out.push(b']');
    Ok(())
}

/// Append the canonical encoding of a JSON object.
pub fn canonical_map_into(
    out: &mut Vec<u8>,
    map: &Map<String, Value>,
) -> Result<(), CanonicalError> {
    // serde_json's map (without `preserve_order`) iterates in byte order of the UTF-8 keys,
    // which is code point order: exactly Python's `sorted(dict.items())`.
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical_str(out, k);
        out.push(b':');
        canonical_into(out, v)?;
    }
    out.push(b'}');
    Ok(())
}

/// The canonical encoding of `value`.
pub fn canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    canonical_into(&mut out, value)?;
    Ok(out)
}

/// Output layout of [`dumps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpStyle {
    /// `json.dumps(indent=1, separators=(",", ": "), sort_keys=True)`: legacy metadata files.
    Pretty,
    /// `json.dumps(sort_keys=True)`: DSSE envelopes and payloads (one line, `", "` and `": "`).
    OneLine,
}

/// Python `json.dumps(value, sort_keys=True, ensure_ascii=True)` in the given style.
pub fn dumps(value: &Value, style: DumpStyle) -> String {
    let mut out = String::new();
    dump_into(&mut out, value, style, 0);
    out
}

/// Append a string as Python's `json.dumps` writes it with `ensure_ascii=True`.
pub fn dump_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
        }
    }
    out.push('"');
}

fn newline_indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push(' ');
    }
}

fn dump_into(out: &mut String, value: &Value, style: DumpStyle, level: usize) {
    let (item_sep, key_sep) = match style {
        DumpStyle::Pretty => (",", ": "),
        DumpStyle::OneLine => (", ", ": "),
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if number_is_int(n) {
                out.push_str(int_text(n))
            } else {
                out.push_str(n.as_str())
            }
        }
        Value::String(s) => dump_str(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                if style == DumpStyle::Pretty {
                    newline_indent(out, level + 1);
                }
                dump_into(out, item, style, level + 1);
            }
            if style == DumpStyle::Pretty {
                newline_indent(out, level);
            }
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                if style == DumpStyle::Pretty {
                    newline_indent(out, level + 1);
                }
                dump_str(out, k);
                out.push_str(key_sep);
                dump_into(out, v, style, level + 1);
            }
            if style == DumpStyle::Pretty {
                newline_indent(out, level);
            }
            out.push('}');
        }
    }
}

/// Python `repr()` of a string ([`crate::py::repr::repr`]).
pub fn py_repr_str(s: &str) -> String {
    crate::py::repr::repr(s)
}

/// Python `repr()` of a list of strings, e.g. `['a.py', 'b.py']`.
pub fn py_repr_list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().map(|s| py_repr_str(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// Python `repr()` of a set of strings, e.g. `{'a', 'b'}` or `set()`.
pub fn py_repr_set<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "set()".to_string();
    }
    let parts: Vec<String> = items.iter().map(|s| py_repr_str(s.as_ref())).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Python `repr()` of a JSON value as loaded by `json.load`.
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if number_is_int(n) {
                int_text(n).to_string()
            } else {
                n.as_str().to_string()
            }
        }
        Value::String(s) => py_repr_str(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Python `str()` of a JSON value (strings as they are, everything else as `repr`).
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// The Python type name of a JSON value, as in `<class 'list'>`.
pub fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if number_is_int(n) => "<class 'int'>",
        Value::Number(_) => "<class 'float'>",
        Value::String(_) => "<class 'str'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

/// Stands in for a lone UTF-16 surrogate (which Rust strings cannot hold) in a document
/// read by [`Reader`]: a noncharacter that real metadata does not use. A
/// document that itself mentions it gets the first of [`surrogate_mark_candidates`] it
/// does not mention, so a genuine noncharacter is never taken for a surrogate.
pub const LONE_SURROGATE_MARK: char = '\u{fdd0}';

/// The characters [`Reader`] may use as the lone-surrogate mark, in order.
fn surrogate_mark_candidates() -> impl Iterator<Item = char> {
    std::iter::once(LONE_SURROGATE_MARK)
        .chain((0xFDD1..=0xFDEF).filter_map(char::from_u32))
        .chain(['\u{fffe}', '\u{ffff}'])
}

/// Whether the reference could encode `value` as canonical JSON: no floats anywhere
/// (`FormatError`) and, in a document whose lone surrogates were replaced by `marked`, no
/// lone surrogates (`UnicodeEncodeError`).
pub fn check_encodable(value: &Value, marked: Option<char>) -> Result<(), crate::Error> {
    fn floats(v: &Value) -> Option<String> {
        match v {
            Value::Number(n) if !number_is_int(n) => Some(n.as_str().to_string()),
            Value::Array(a) => a.iter().find_map(floats),
            Value::Object(m) => m.values().find_map(floats),
            _ => None,
        }
    }
    fn marks(v: &Value, mark: char) -> bool {
        match v {
            Value::String(s) => s.contains(mark),
            Value::Array(a) => a.iter().any(|v| marks(v, mark)),
            Value::Object(m) => m.iter().any(|(k, v)| k.contains(mark) || marks(v, mark)),
            _ => false,
        }
    }
    if let Some(f) = floats(value) {
        let repr = python_float_repr(&f);
        return Err(crate::Error::format(format!(
            "Could not encode {repr}: I cannot encode {repr}"
        )));
    }
    if marked.is_some_and(|mark| marks(value, mark)) {
        return Err(surrogate_error());
    }
    Ok(())
}

/// The error the reference raises when a string holds a lone surrogate.
pub fn surrogate_error() -> crate::Error {
    crate::Error::new(
        Exc::UnicodeEncodeError,
        "'utf-8' codec can't encode character: surrogates not allowed",
    )
}

/// How Python prints a float parsed from JSON text (close enough for messages).
fn python_float_repr(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(f) if f.is_infinite() => {
            if f > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        }
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
        Ok(f) => format!("{f}"),
        Err(_) => text.to_string(),
    }
}

/// Python's default limit on the digits of an integer converted from text
/// (`sys.get_int_max_str_digits()`).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// Whether JSON text (its bytes, not necessarily valid UTF-8) holds the character `c`, raw
/// or as a `\uXXXX` escape (`c` in the BMP).
fn mentions_char(bytes: &[u8], c: char) -> bool {
    let mut raw = [0u8; 4];
    let raw = c.encode_utf8(&mut raw).as_bytes();
    let hex = format!("{:04x}", c as u32);
    bytes.windows(raw.len()).any(|w| w == raw)
        || bytes
            .windows(6)
            .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].eq_ignore_ascii_case(hex.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_escapes_only_backslash_and_quote() {
        let v = json!({"b": "line\nbreak\t\u{1}", "a": "q\"u\\o", "c": "h\u{e9}llo \u{2713}"});
        let out = canonical(&v).unwrap();
        assert_eq!(
            out,
            "{\"a\":\"q\\\"u\\\\o\",\"b\":\"line\nbreak\t\u{1}\",\"c\":\"h\u{e9}llo \u{2713}\"}"
                .as_bytes()
        );
    }

    #[test]
    fn canonical_sorts_by_code_point_not_utf16() {
        // U+FFFF sorts before U+1F600 by code point, after it in UTF-16 order.
        let v: Value = serde_json::from_str(r#"{"😀": 1, "\uffff": 2, "a": 3, "B": 4}"#).unwrap();
        let out = String::from_utf8(canonical(&v).unwrap()).unwrap();
        assert_eq!(out, "{\"B\":4,\"a\":3,\"\u{ffff}\":2,\"😀\":1}");
    }

    #[test]
    fn canonical_rejects_floats_and_keeps_big_ints() {
        let v: Value = serde_json::from_str(r#"{"a": 1.5}"#).unwrap();
        assert!(canonical(&v).is_err());
        let v: Value = serde_json::from_str(r#"{"a": 1e3}"#).unwrap();
        assert!(canonical(&v).is_err());
        let v: Value =
            serde_json::from_str(r#"[10000000000000000000000000000000000000000, -0, true, null]"#)
                .unwrap();
        assert_eq!(
            canonical(&v).unwrap(),
            b"[10000000000000000000000000000000000000000,0,true,null]"
        );
    }

    #[test]
    fn dumps_pretty_matches_python_layout() {
        let v = json!({"signed": {"b": [], "a": {}, "l": [1, "h\u{e9}"]}, "signatures": []});
        assert_eq!(
            dumps(&v, DumpStyle::Pretty),
            "{\n \"signatures\": [],\n \"signed\": {\n  \"a\": {},\n  \"b\": [],\n  \"l\": [\n   1,\n   \"h\\u00e9\"\n  ]\n }\n}"
        );
        assert_eq!(
            dumps(&v, DumpStyle::OneLine),
            "{\"signatures\": [], \"signed\": {\"a\": {}, \"b\": [], \"l\": [1, \"h\\u00e9\"]}}"
        );
    }

    #[test]
    fn dumps_escapes_like_python() {
        let v = json!("\u{7f}\u{1}\u{1F600}\"\\/");
        assert_eq!(
            dumps(&v, DumpStyle::OneLine),
            "\"\\u007f\\u0001\\ud83d\\ude00\\\"\\\\/\""
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr_list(&["a.py", "it's"]), "['a.py', \"it's\"]");
        assert_eq!(py_repr_set::<&str>(&[]), "set()");
        assert_eq!(py_repr_set(&["a"]), "{'a'}");
        assert_eq!(
            py_repr(&json!([null, true, 3, {"k": "v"}])),
            "[None, True, 3, {'k': 'v'}]"
        );
        assert_eq!(py_str(&json!(null)), "None");
    }
}
