//! JSON encodings the reference uses, byte for byte.
//!
//! * [`canonical`]: securesystemslib canonical JSON (what legacy signatures and keyids cover):
//!   only `\` and `"` escaped, raw UTF-8, keys sorted by code point, integers only.
//! * [`dumps`]: Python `json.dumps(..., sort_keys=True)` with the reference's two layouts:
//!   [`DumpStyle::Pretty`] (`indent=1, separators=(",", ": ")`, legacy files) and
//!   [`DumpStyle::OneLine`] (default separators, DSSE files and payloads). ASCII-only output.
//! * [`py_repr`] / [`py_str`]: Python `repr()` / `str()` of JSON values, for messages that
//!   mirror the reference's.

use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

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
/// read with [`sanitize_python_json`]: a noncharacter that real metadata does not use. A
/// document that itself mentions it gets the first of [`surrogate_mark_candidates`] it
/// does not mention, so a genuine noncharacter is never taken for a surrogate.
pub const LONE_SURROGATE_MARK: char = '\u{fdd0}';

/// The characters [`sanitize_python_json`] may use as the lone-surrogate mark, in order.
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
        "UnicodeEncodeError",
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

/// Rewrite JSON text that Python's `json` module accepts but serde_json does not, keeping
/// its meaning for this crate: `NaN`, `Infinity` and `-Infinity` become float literals (any
/// float fails canonicalisation exactly like them), and lone UTF-16 surrogate escapes become
/// [`LONE_SURROGATE_MARK`]. Returns `None` when there is nothing to rewrite; the flag says
/// whether a surrogate was replaced. Byte offsets are kept.
pub fn sanitize_python_json(bytes: &[u8]) -> Option<(Vec<u8>, Option<char>)> {
    let mut out = bytes.to_vec();
    let mut changed = false;
    // The mark, chosen at the first lone surrogate (`Some(None)`: every candidate is taken,
    // so lone surrogates stay as they are and the parse fails: fail closed).
    let mut marked: Option<Option<char>> = None;
    let mark_escape = |marked: &mut Option<Option<char>>| -> Option<[u8; 6]> {
        let mark = *marked
            .get_or_insert_with(|| surrogate_mark_candidates().find(|&c| !mentions_char(bytes, c)));
        let mark = mark?;
        let mut e = [0u8; 6];
        e.copy_from_slice(format!("\\u{:04x}", mark as u32).as_bytes());
        Some(e)
    };
    let mut i = 0;
    let mut in_str = false;
    // The last two non-whitespace bytes outside strings (a string counts as its `"`).
    let (mut before_prev, mut prev): (Option<u8>, Option<u8>) = (None, None);
    let hex4 = |b: &[u8], at: usize| -> Option<u16> {
        let s = std::str::from_utf8(b.get(at..at + 4)?).ok()?;
        u16::from_str_radix(s, 16).ok()
    };
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            match c {
                b'"' => in_str = false,
                b'\\' => {
                    if bytes.get(i + 1) == Some(&b'u')
                        && let Some(u) = hex4(bytes, i + 2)
                    {
                        if (0xD800..0xDC00).contains(&u) {
                            let paired = bytes.get(i + 6) == Some(&b'\\')
                                && bytes.get(i + 7) == Some(&b'u')
                                && hex4(bytes, i + 8)
                                    .is_some_and(|l| (0xDC00..0xE000).contains(&l));
                            if paired {
                                i += 12;
                                continue;
                            }
                            if let Some(e) = mark_escape(&mut marked) {
                                out[i..i + 6].copy_from_slice(&e);
                                changed = true;
                            }
                        } else if (0xDC00..0xE000).contains(&u)
                            && let Some(e) = mark_escape(&mut marked)
                        {
                            out[i..i + 6].copy_from_slice(&e);
                            changed = true;
                        }
                        i += 6;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        // Python reads `NaN`, `Infinity` and `-Infinity` only where a value starts and only
        // as whole tokens: `-NaN`, `NaN5` or `{NaN: 1}` stay errors (rewriting them could
        // turn invalid JSON into a valid number).
        let value_start = |p: Option<u8>| matches!(p, None | Some(b':' | b'[' | b','));
        let token_ends = |at: usize| {
            matches!(
                bytes.get(at),
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}')
            )
        };
        match c {
            b'"' => in_str = true,
            b'N' if bytes[i..].starts_with(b"NaN") && value_start(prev) && token_ends(i + 3) => {
                out[i..i + 3].copy_from_slice(b"0.0");
                changed = true;
                (before_prev, prev) = (prev, Some(b'0'));
                i += 3;
                continue;
            }
            b'I' if bytes[i..].starts_with(b"Infinity")
                && token_ends(i + 8)
                && (value_start(prev)
                    || (prev == Some(b'-')
                        && i > 0
                        && bytes[i - 1] == b'-'
                        && value_start(before_prev))) =>
            {
                out[i..i + 8].copy_from_slice(b"1.0e0000");
                changed = true;
                (before_prev, prev) = (prev, Some(b'0'));
                i += 8;
                continue;
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            (before_prev, prev) = (prev, Some(c));
        }
        i += 1;
    }
    changed.then_some((out, marked.flatten()))
}

// ---------------------------------------------------------------------------------------
// Where serde_json and Python's `json` part ways: nesting depth, huge integers and
// serde_json's private number token.

/// serde_json (with `arbitrary_precision`) hands a number to a visitor as a map with this
/// single key, so an object whose first key reads as this text is indistinguishable from a
/// number: such keys are renamed before parsing (see [`mark_number_token_keys`]).
pub const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Any JSON value, skipped. Unlike serde's `IgnoredAny` (which serde_json skips without
/// any nesting limit) it goes through `deserialize_any`, so serde_json's recursion limit
/// applies to ignored values too: Python's `json` rejects deep nesting anywhere in the
/// document with `RecursionError`.
pub struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> serde::de::Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// Whether a serde_json error is its nesting limit (128 levels). Python's `json` has a
/// higher one (the interpreter's recursion limit, about 1,000 levels less the caller's
/// frames) and raises `RecursionError`; documents nested between the two are refused here
/// with the same class.
pub fn is_recursion_limit(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

/// The reference's `RecursionError` for a document whose nesting exceeded serde_json's
/// limit (`e`, from parsing `text`): the message names the kind of container opened at
/// the failing point, as CPython's `json` scanner does.
pub fn recursion_error(text: &[u8], e: &serde_json::Error) -> crate::Error {
    // serde_json reports the line (1-based, `\n`-separated) and the 1-based byte column of
    // the opening bracket it refused.
    let line_start = if e.line() <= 1 {
        0
    } else {
        text.iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'\n')
            .nth(e.line() - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let at = (line_start + e.column().saturating_sub(1)).min(text.len());
    let kind = text[..(at + 1).min(text.len())]
        .iter()
        .rev()
        .find_map(|&c| match c {
            b'[' => Some("array"),
            b'{' => Some("object"),
            _ => None,
        })
        .unwrap_or("array");
    crate::Error::new(
        "RecursionError",
        format!(
            "maximum recursion depth exceeded while decoding a JSON {kind} from a unicode string"
        ),
    )
}

/// Python's default limit on the digits of an integer converted from text
/// (`sys.get_int_max_str_digits()`).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// An integer literal with more than [`INT_MAX_STR_DIGITS`] digits, which Python's `json`
/// refuses with `ValueError` when it reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugeInt {
    /// Byte offset of the literal (its `-`, if any).
    pub start: usize,
    /// Its number of digits (the sign does not count).
    pub digits: usize,
}

impl HugeInt {
    /// The reference's error.
    pub fn error(&self) -> crate::Error {
        crate::Error::new(
            "ValueError",
            format!(
                "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: \
                 value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
                self.digits
            ),
        )
    }
}

/// The first integer literal of the document (outside strings, where a value may start)
/// with more than [`INT_MAX_STR_DIGITS`] digits.
///
/// Nearly free on ordinary documents: a run of more than 4,300 digits covers a byte offset
/// that is a multiple of 4,300, so only those offsets are probed; only a probe that lands
/// in such a run leads to a careful scan of the document.
pub fn find_huge_int(b: &[u8]) -> Option<HugeInt> {
    let mut at = 0;
    while at < b.len() {
        if b[at].is_ascii_digit() && digit_run_exceeds(b, at, INT_MAX_STR_DIGITS) {
            return scan_huge_int(b);
        }
        at += INT_MAX_STR_DIGITS;
    }
    None
}

/// Whether the run of ASCII digits through `b[at]` is longer than `limit`.
fn digit_run_exceeds(b: &[u8], at: usize, limit: usize) -> bool {
    let left = b[..at]
        .iter()
        .rev()
        .take(limit)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let right = b[at..]
        .iter()
        .take(limit + 1 - left)
        .take_while(|c| c.is_ascii_digit())
        .count();
    left + right > limit
}

/// [`find_huge_int`] the slow way: tokenise the document (strings, brackets, numbers as
/// CPython's scanner matches them) and return the first integer literal over the limit
/// at a position where the scanner would read a value. Malformed text is not judged here:
/// the caller parses the text before the literal to see whether the reference fails
/// earlier.
fn scan_huge_int(b: &[u8]) -> Option<HugeInt> {
    let n = b.len();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Open containers (heap, so any depth is fine) and the last significant byte outside
    // strings (0 before the first one).
    let mut stack: Vec<u8> = Vec::new();
    let mut prev = 0u8;
    let mut i = 0;
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'"' => {
                i += 1;
                while i < n {
                    match b[i] {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
                i += 1;
                prev = b'"';
                continue;
            }
            b'[' | b'{' => stack.push(c),
            b']' | b'}' => {
                stack.pop();
            }
            b'-' | b'0'..=b'9'
                if !matches!(prev, b'-' | b'+' | b'.' | b'0'..=b'9')
                    && !prev.is_ascii_alphabetic() =>
            {
                let value_position = match prev {
                    0 | b'[' | b':' => true,
                    b',' => stack.last() == Some(&b'['),
                    _ => false,
                };
                let start = i;
                let mut j = i + usize::from(c == b'-');
                let first = j;
                if b.get(j) == Some(&b'0') {
                    j += 1;
                } else {
                    while digit(j) {
                        j += 1;
                    }
                }
                let digits = j - first;
                let mut float = false;
                if b.get(j) == Some(&b'.') && digit(j + 1) {
                    float = true;
                    j += 1;
                    while digit(j) {
                        j += 1;
                    }
                }
                if matches!(b.get(j), Some(b'e' | b'E')) {
                    let k = j + 1 + usize::from(matches!(b.get(j + 1), Some(b'+' | b'-')));
                    if digit(k) {
                        float = true;
                        j = k;
                        while digit(j) {
                            j += 1;
                        }
                    }
                }
                if value_position && !float && digits > INT_MAX_STR_DIGITS {
                    return Some(HugeInt { start, digits });
                }
                prev = b'0';
                i = j.max(i + 1);
                continue;
            }
            _ => {}
        }
        prev = c;
        i += 1;
    }
    None
}

/// Object keys that read as [`NUMBER_TOKEN`] were renamed to [`TokenMark::key`] before
/// parsing (see [`mark_number_token_keys`]); this maps them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMark {
    key: String,
}

impl TokenMark {
    /// The key that stands for [`NUMBER_TOKEN`] in the parsed data.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Rename marked keys back to [`NUMBER_TOKEN`], everywhere in `value`.
    pub fn unmark_value(&self, value: &mut Value) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| self.unmark_value(v)),
            Value::Object(map) => {
                if let Some(v) = map.remove(&self.key) {
                    map.insert(NUMBER_TOKEN.to_string(), v);
                }
                map.values_mut().for_each(|v| self.unmark_value(v));
            }
            _ => {}
        }
    }

    /// `text` (a key, or a message quoting parsed data) with marked keys renamed back.
    pub fn unmark_text(&self, text: &str) -> String {
        // The mark is a noncharacter, which `repr` escapes (`\ufdd1`): rename both forms.
        let quoted = py_repr_str(&self.key);
        let in_repr = quoted
            .strip_prefix('\'')
            .and_then(|q| q.strip_suffix('\''))
            .unwrap_or(&quoted);
        text.replace(&self.key, NUMBER_TOKEN)
            .replace(in_repr, NUMBER_TOKEN)
    }
}

/// Whether `text` may hold an object key that reads as [`NUMBER_TOKEN`]: its raw text, or a
/// `\u00XX` escape of one of its characters (real metadata escapes no such ASCII).
#[inline]
pub fn may_have_number_token(text: &str) -> bool {
    text.contains("private::Number")
        || text.match_indices("\\u00").any(|(i, _)| {
            let hex = text.as_bytes().get(i + 4..i + 6);
            hex.and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|c| NUMBER_TOKEN.as_bytes().contains(&c))
        })
}

/// Rename every object key of `text` whose unescaped text is [`NUMBER_TOKEN`] to a marked key
/// (a noncharacter that the document does not use, then the rest of the token), so that
/// serde_json reads such objects as the dicts they are for the reference. Returns `None`
/// when there is no such key, and an error (fail closed: never read such an object as a
/// number, which could make a changed document verify) when the document uses every
/// candidate noncharacter. Byte offsets after a renamed key shift.
pub fn mark_number_token_keys(text: &str) -> crate::Result<Option<(String, TokenMark)>> {
    if !may_have_number_token(text) {
        return Ok(None);
    }
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        let mut escaped = false;
        while j < b.len() {
            match b[j] {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    j += 2;
                }
                _ => j += 1,
            }
        }
        if j >= b.len() {
            break;
        }
        let mut k = j + 1;
        while matches!(b.get(k), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            k += 1;
        }
        if b.get(k) == Some(&b':') && unescapes_to(&b[start..j], escaped, NUMBER_TOKEN) {
            spans.push((start, j));
        }
        i = j + 1;
    }
    if spans.is_empty() {
        return Ok(None);
    }
    let Some(mark) = (0xFDD1..=0xFDEF)
        .filter_map(char::from_u32)
        .find(|&c| !mentions_char(text.as_bytes(), c))
    else {
        return Err(crate::Error::new(
            "ValueError",
            format!(
                "an object key reads as `{NUMBER_TOKEN}` and the document uses every \
                 character U+FDD1..U+FDEF: refused (cannot be read faithfully)"
            ),
        ));
    };
    let key = format!(
        "{mark}{}",
        NUMBER_TOKEN.strip_prefix('$').unwrap_or(NUMBER_TOKEN)
    );
    let mut out = String::with_capacity(text.len() + spans.len() * key.len());
    let mut from = 0;
    // The spans are those of whole string tokens: character boundaries.
    for (start, end) in spans {
        out.push_str(text.get(from..start).unwrap_or_default());
        out.push_str(&key);
        from = end;
    }
    out.push_str(text.get(from..).unwrap_or_default());
    Ok(Some((out, TokenMark { key })))
}

/// Whether the JSON string body `raw` (between its quotes) decodes to `want`.
fn unescapes_to(raw: &[u8], escaped: bool, want: &str) -> bool {
    if !escaped {
        return raw == want.as_bytes();
    }
    let want = want.as_bytes();
    let (mut i, mut w) = (0, 0);
    while i < raw.len() {
        let c = if raw[i] == b'\\' {
            match raw.get(i + 1) {
                Some(b'u') => {
                    let Some(hex) = raw.get(i + 2..i + 6) else {
                        return false;
                    };
                    let Some(u) = std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u16::from_str_radix(h, 16).ok())
                    else {
                        return false;
                    };
                    // `want` is ASCII: any other code unit is a mismatch.
                    let Ok(c) = u8::try_from(u) else {
                        return false;
                    };
                    if c >= 0x80 {
                        return false;
                    }
                    i += 6;
                    c
                }
                Some(&e) => {
                    i += 2;
                    match e {
                        b'"' | b'\\' | b'/' => e,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        _ => return false,
                    }
                }
                None => return false,
            }
        } else {
            i += 1;
            raw[i - 1]
        };
        if want.get(w) != Some(&c) {
            return false;
        }
        w += 1;
    }
    w == want.len()
}

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

/// Parse JSON text the way the reference's `json.load` does as far as this crate needs:
/// duplicate keys keep the last value; integers of any size are kept exactly.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Deserialize like Python's `json.loads`: when serde_json refuses the text, retry once on
/// [`sanitize_python_json`]'s rewrite (whose error, if it fails too, is the one Python
/// would meet first: the rewrite only replaces what Python accepts). Returns the value and
/// whether lone surrogates were marked.
pub fn from_slice_pythonic<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(T, Option<char>), serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok((v, None)),
        Err(e) => retry_pythonic(bytes, e),
    }
}

/// [`from_slice_pythonic`] for text already known to be UTF-8 (serde_json then skips its
/// own UTF-8 checks of strings).
pub fn from_str_pythonic<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<(T, Option<char>), serde_json::Error> {
    match serde_json::from_str(text) {
        Ok(v) => Ok((v, None)),
        Err(e) => retry_pythonic(text.as_bytes(), e),
    }
}

fn retry_pythonic<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    e: serde_json::Error,
) -> Result<(T, Option<char>), serde_json::Error> {
    match sanitize_python_json(bytes) {
        Some((fixed, marked)) => serde_json::from_slice(&fixed).map(|v| (v, marked)),
        None => Err(e),
    }
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
    fn python_only_json_is_rewritten() {
        let (v, marked): (Value, Option<char>) =
            from_slice_pythonic(br#"{"a": NaN, "b": [Infinity, -Infinity], "s": "NaN"}"#).unwrap();
        assert_eq!(marked, None);
        assert!(check_encodable(&v["a"], None).is_err());
        assert_eq!(v["s"], "NaN");
        let (v, marked): (Value, Option<char>) =
            from_slice_pythonic(br#"{"s": "x\ud800y", "ok": "\ud83d\ude00"}"#).unwrap();
        assert_eq!(marked, Some(LONE_SURROGATE_MARK));
        assert_eq!(
            check_encodable(&v["s"], marked).unwrap_err().class,
            "UnicodeEncodeError"
        );
        assert_eq!(v["ok"], "\u{1F600}");
        assert!(from_slice_pythonic::<Value>(b"{bad").is_err());
        // A document that holds the usual mark itself gets another one: its own U+FDD0 is
        // not taken for a lone surrogate.
        let text = "{\"x\": \"\\ud800\", \"real\": \"\u{fdd0}\", \"esc\": \"\\uFDD1\"}";
        let (v, marked): (Value, Option<char>) = from_slice_pythonic(text.as_bytes()).unwrap();
        assert_eq!(marked, Some('\u{fdd2}'));
        assert!(check_encodable(&v["real"], marked).is_ok());
        assert!(check_encodable(&v["esc"], marked).is_ok());
        assert!(check_encodable(&v["x"], marked).is_err());
    }

    #[test]
    fn retry_reports_the_error_python_meets() {
        // NaN is fine for Python: the error is the one after it.
        let e = from_slice_pythonic::<Value>(b"[NaN, }").unwrap_err();
        assert_eq!(e.column(), 7, "{e}");
        let e = from_str_pythonic::<Value>("[NaN, }").unwrap_err();
        assert_eq!(e.column(), 7, "{e}");
        let (v, _) = from_str_pythonic::<Value>("[NaN]").unwrap();
        assert!(v[0].is_number());
    }

    #[test]
    fn skip_keeps_the_nesting_limit() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        // serde's IgnoredAny skips any depth; Skip does not.
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(&deep).is_ok());
        let e = serde_json::from_str::<Skip>(&deep).map(|_| ()).unwrap_err();
        assert!(is_recursion_limit(&e), "{e}");
        let shallow = r#"{"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -1}"#;
        assert!(serde_json::from_str::<Skip>(shallow).is_ok());
        assert!(serde_json::from_str::<Skip>("[1,]").is_err());
        // Not even 200,000 levels overflow the stack.
        let deeper = format!("{}{}", "{\"a\": ".repeat(200_000), "1");
        let e = serde_json::from_str::<Skip>(&deeper)
            .map(|_| ())
            .unwrap_err();
        assert!(is_recursion_limit(&e));
    }

    #[test]
    fn recursion_error_names_the_refused_container() {
        let msg = |text: &str| {
            let e = serde_json::from_str::<Value>(text).unwrap_err();
            assert!(is_recursion_limit(&e), "{e}");
            let err = recursion_error(text.as_bytes(), &e);
            assert_eq!(err.class, "RecursionError");
            err.message
        };
        let want = |kind: &str| {
            format!(
                "maximum recursion depth exceeded while decoding a JSON {kind} from a unicode string"
            )
        };
        assert_eq!(msg(&"[".repeat(300)), want("array"));
        assert_eq!(msg(&"{\"a\": ".repeat(300)), want("object"));
        // The container at the limit decides, also after line breaks.
        let mixed = format!("{}\n{}", "[\n".repeat(100), "{\"k\":\n".repeat(100));
        assert_eq!(msg(&mixed), want("object"));
        let mixed = format!("{}{}", "{\"k\": ".repeat(127), "[".repeat(10));
        assert_eq!(msg(&mixed), want("array"));
    }

    #[test]
    fn huge_integers_like_python() {
        let n = |digits: usize| "7".repeat(digits);
        let at = |text: &str| find_huge_int(text.as_bytes());
        assert_eq!(at(&n(4300)), None);
        assert_eq!(
            at(&n(4301)),
            Some(HugeInt {
                start: 0,
                digits: 4301
            })
        );
        let e = at(&format!("-{}", n(5000))).unwrap();
        assert_eq!(
            e,
            HugeInt {
                start: 0,
                digits: 5000
            }
        );
        assert_eq!(
            e.error().message,
            "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 \
             digits; use sys.set_int_max_str_digits() to increase the limit"
        );
        assert_eq!(e.error().class, "ValueError");
        let doc = format!(r#"{{"a": "x", "t": [1, {}]}}"#, n(4400));
        assert_eq!(
            at(&doc),
            Some(HugeInt {
                start: 20,
                digits: 4400
            })
        );
        // Not integers, or not where Python reads a value: no error of this kind.
        for text in [
            format!("{}.5", n(5000)),
            format!("{}e5", n(5000)),
            format!("1.{}", n(5000)),
            format!("1e{}", n(5000)),
            format!("1E+{}", n(5000)),
            format!(r#"{{"s": "{}"}}"#, n(5000)),
            format!(r#"{{"s": "\"{}"}}"#, n(5000)),
            format!("0{}", n(5000)),
            format!("{{{}: 1}}", n(5000)),
            format!(r#"{{"a": 1, {}: 1}}"#, n(5000)),
            format!("[1 {}]", n(5000)),
            format!("{{}} {}", n(5000)),
            format!("[tru{}]", n(5000)),
            format!("[--{}]", n(5000)),
        ] {
            assert_eq!(at(&text), None, "{}", &text[..20]);
        }
        // The probe finds a run wherever it lies relative to the probed offsets.
        for pad in (0..30).chain(4270..4330).chain(8590..8610) {
            let text = format!("[{}, {}]", " ".repeat(pad), n(4301));
            assert_eq!(
                at(&text),
                Some(HugeInt {
                    start: pad + 3,
                    digits: 4301
                }),
                "{pad}"
            );
            let text = format!("[{}, {}]", " ".repeat(pad), n(4300));
            assert_eq!(at(&text), None, "{pad}");
        }
    }

    #[test]
    fn nan_and_infinity_are_read_only_where_python_reads_them() {
        // Accepted by Python's json: whole tokens where a value starts.
        for text in [
            "NaN",
            "[NaN, Infinity, -Infinity]",
            "{\"a\": NaN}",
            "{\"a\":-Infinity }",
            "[1,\n NaN\n]",
        ] {
            let (fixed, _) = sanitize_python_json(text.as_bytes()).expect(text);
            assert!(
                serde_json::from_slice::<Value>(&fixed).is_ok(),
                "{text}: {}",
                String::from_utf8_lossy(&fixed)
            );
        }
        // Errors for Python: must stay errors (a rewrite could make them valid numbers).
        for text in [
            "{\"a\": -NaN}",
            "{\"a\": NaN5}",
            "{\"a\": NaNe5}",
            "{\"a\": Infinity5}",
            "{\"a\": - Infinity}",
            "{NaN: 1}",
            "[1 NaN]",
            "[-NaN]",
        ] {
            let parsed = match sanitize_python_json(text.as_bytes()) {
                Some((fixed, _)) => serde_json::from_slice::<Value>(&fixed).is_ok(),
                None => serde_json::from_slice::<Value>(text.as_bytes()).is_ok(),
            };
            assert!(!parsed, "{text} must not parse");
        }
    }

    #[test]
    fn number_token_keys_are_marked_and_unmarked() {
        let text = r#"{"$serde_json::private::Number": "1", "v": "$serde_json::private::Number", "w": {"\u0024serde_json::private::Numbe\u0072" : {"$serde_json::private::Number": 2}}}"#;
        assert!(may_have_number_token(text));
        let (marked, mark) = mark_number_token_keys(text).unwrap().unwrap();
        assert_eq!(mark.key(), "\u{fdd1}serde_json::private::Number");
        let mut v: Value = serde_json::from_str(&marked).unwrap();
        // Read as dicts, not as numbers.
        assert!(v.is_object() && v["w"].is_object());
        mark.unmark_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({NUMBER_TOKEN: "1", "v": NUMBER_TOKEN, "w": {NUMBER_TOKEN: {NUMBER_TOKEN: 2}}})
        );
        assert_eq!(
            mark.unmark_text(&format!("'{}'", mark.key())),
            format!("'{NUMBER_TOKEN}'")
        );
        // A document that uses the first candidate noncharacter gets another.
        let text = "{\"\u{fdd1}\": 1, \"\\ufdd2\": 2, \"$serde_json::private::Number\": 3}";
        let (marked, mark) = mark_number_token_keys(text).unwrap().unwrap();
        assert_eq!(mark.key(), "\u{fdd3}serde_json::private::Number");
        let mut v: Value = serde_json::from_str(&marked).unwrap();
        mark.unmark_value(&mut v);
        assert_eq!(v[NUMBER_TOKEN], 3);
        assert_eq!(v["\u{fdd1}"], 1);
        // Nothing to do: values only, near misses, escapes of other characters.
        for text in [
            r#"{"a": "$serde_json::private::Number"}"#,
            r#"{"$serde_json::private::Numbers": 1}"#,
            r#"{"serde_json::private::Number": 1}"#,
            r#"{"a\u001b": "\u00e9\u0000"}"#,
        ] {
            assert!(mark_number_token_keys(text).unwrap().is_none(), "{text}");
        }
        assert!(!may_have_number_token(
            r#"{"a\u001b": "\u00e9\u0000 \u2713"}"#
        ));
        assert!(may_have_number_token(r#"{"\u0061": 1}"#));
        // Every candidate noncharacter in use: refused rather than read as a number.
        let all: String = (0xFDD1..=0xFDEF).filter_map(char::from_u32).collect();
        let text =
            format!("{{\"x\": \"{all}\", \"r\": {{\"$serde_json::private::Number\": \"0\"}}}}");
        assert_eq!(
            mark_number_token_keys(&text).unwrap_err().class,
            "ValueError"
        );
    }

    #[test]
    fn duplicate_keys_keep_last() {
        let v = parse(br#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(v, json!({"a": 2}));
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
