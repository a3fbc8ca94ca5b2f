//! Reading JSON text as the reference does, `json.loads(data.decode("utf-8"))`, in one pass:
//! the one tokenizer behind every document this crate reads.
//!
//! * The bytes are decoded as UTF-8 first (`UnicodeDecodeError` wherever the bad byte is),
//!   and a byte order mark is refused as Python's `json.loads` refuses it.
//! * The grammar, the error texts and their positions (`line`, `column`, `char`, counted in
//!   characters) are those of CPython 3.11's C scanner (`Modules/_json.c`): `NaN`,
//!   `Infinity` and `-Infinity` are numbers, control characters in strings are refused,
//!   duplicate keys keep the last value.
//! * Integers keep their text exactly (serde_json's `arbitrary_precision`); one of more than
//!   4,300 digits is the `ValueError` Python raises when its scanner reaches it.
//! * A lone UTF-16 surrogate (`"\ud800"`, which a Rust string cannot hold) becomes a
//!   noncharacter the document does not use ([`Reader::finish`] tells which), so that the
//!   checks that follow can fail where the reference cannot encode the string.
//! * Nesting deeper than [`MAX_DEPTH`] is the reference's `RecursionError` (Python's own
//!   limit depends on its stack; this one is lower and fixed, and fails closed).
//!
//! Callers that know a document's shape read it member by member ([`Reader::object`]),
//! building only what they need and skipping the rest ([`Reader::skip`]); everything is
//! still checked as Python checks it, in document order, so the first problem reported is
//! the one the reference meets first. Hand-written: no JSON crate accepts Python's dialect
//! or reports its errors.

use super::{INT_MAX_STR_DIGITS, mentions_char, surrogate_mark_candidates};
use crate::Exc;
use crate::{Error, Result};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Containers open at once (the 128th is refused, as serde_json's default limit did).
pub const MAX_DEPTH: usize = 128;

/// A position in a JSON text, read as Python's `json` module reads it.
pub struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
    /// The stand-in for lone surrogates, once one was read.
    mark: Option<char>,
}

/// `json.loads(data.decode("utf-8"))`: the value, and the stand-in for lone surrogates if
/// the text had any.
pub fn loads(bytes: &[u8]) -> Result<(Value, Option<char>)> {
    let mut r = Reader::new(bytes)?;
    let v = r.value()?;
    Ok((v, r.finish()?))
}

impl<'a> Reader<'a> {
    /// Start reading `bytes` (checked as UTF-8 here, all of it).
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>> {
        // `simdutf8`: a DSSE payload is megabytes, checked at several times the speed of
        // `std::str::from_utf8` (which gives the error's details when there is one).
        let s = match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                let e = std::str::from_utf8(bytes).expect_err("simdutf8 refused it");
                return Err(Error::unicode_decode(bytes, &e));
            }
        };
        let r = Reader {
            s,
            b: bytes,
            i: 0,
            depth: 0,
            mark: None,
        };
        if s.starts_with('\u{feff}') {
            return Err(r.error("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0));
        }
        Ok(r)
    }

    /// The end of the document: only whitespace may follow its value. Returns the
    /// stand-in for lone surrogates, if any was read.
    pub fn finish(mut self) -> Result<Option<char>> {
        self.ws();
        if self.i != self.b.len() {
            return Err(self.error("Extra data", self.i));
        }
        Ok(self.mark)
    }

    /// Python's `JSONDecodeError` at byte offset `at`.
    fn error(&self, msg: &str, at: usize) -> Error {
        let before = self.s.get(..at).unwrap_or(self.s);
        let pos = before.chars().count();
        let line = before.matches('\n').count() + 1;
        let col = match before.rfind('\n') {
            Some(nl) => before.get(nl + 1..).unwrap_or_default().chars().count() + 1,
            None => pos + 1,
        };
        Error::new(
            Exc::JSONDecodeError,
            format!("{msg}: line {line} column {col} (char {pos})"),
        )
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The first byte of what comes next, after whitespace (not consumed).
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// The text from here on, after whitespace.
    #[inline]
    pub fn rest(&mut self) -> &'a [u8] {
        self.ws();
        self.b.get(self.i..).unwrap_or_default()
    }

    /// The byte offset reached.
    #[inline]
    pub fn offset(&self) -> usize {
        self.i
    }

    /// Go on reading at `offset`, one obtained from [`Reader::offset`] at the same depth,
    /// or that plus bytes of [`Reader::rest`] the caller has read itself.
    #[inline]
    pub fn seek(&mut self, offset: usize) {
        self.i = offset;
    }

    /// Any value, built.
    pub fn value(&mut self) -> Result<Value> {
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.string()?.into_owned())),
            Some(b'{') => {
                let mut map = Map::new();
                self.object(|r, key| {
                    let v = r.value()?;
                    map.insert(key.into_owned(), v);
                    Ok(())
                })?;
                Ok(Value::Object(map))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.array(|r| {
                    items.push(r.value()?);
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            _ => self.scalar(),
        }
    }

    /// Any value, checked as [`Reader::value`] checks it, not built.
    pub fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => self.object(|r, _| r.skip()),
            Some(b'[') => self.array(Reader::skip),
            _ => self.scalar().map(drop),
        }
    }

    /// An object: `member` is called with each key, and must read its value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    ) -> Result<()> {
        self.enter("object")?;
        self.ws();
        if self.b.get(self.i) != Some(&b'}') {
            loop {
                if self.b.get(self.i) != Some(&b'"') {
                    return Err(
                        self.error("Expecting property name enclosed in double quotes", self.i)
                    );
                }
                let key = self.string()?;
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return Err(self.error("Expecting ':' delimiter", self.i));
                }
                self.i += 1;
                member(self, key)?;
                if !self.next_item(b'}')? {
                    break;
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Ok(())
    }

    /// An array: `item` is called for each element, and must read it.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.enter("array")?;
        self.ws();
        if self.b.get(self.i) != Some(&b']') {
            loop {
                item(self)?;
                if !self.next_item(b']')? {
                    break;
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Ok(())
    }

    /// Past the `{` or `[` here, one level deeper.
    fn enter(&mut self, kind: &str) -> Result<()> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(
                Exc::RecursionError,
                format!(
                    "maximum recursion depth exceeded while decoding a JSON {kind} from a \
                     unicode string"
                ),
            ));
        }
        self.i += 1;
        Ok(())
    }

    /// After an item of a container closed by `close`: `true` past a `,`, `false` at the
    /// closing bracket (not consumed).
    #[inline]
    fn next_item(&mut self, close: u8) -> Result<bool> {
        self.ws();
        match self.b.get(self.i) {
            Some(&c) if c == close => Ok(false),
            Some(b',') => {
                self.i += 1;
                self.ws();
                Ok(true)
            }
            _ => Err(self.error("Expecting ',' delimiter", self.i)),
        }
    }

    /// `null`, `true`, `false`, a number (`NaN`, `Infinity` and `-Infinity` included).
    fn scalar(&mut self) -> Result<Value> {
        let rest = self.b.get(self.i..).unwrap_or_default();
        // Python's float of `NaN`/`Infinity` fails canonicalisation like any float: they
        // are kept as float literals that serde_json can write.
        let (value, len) = match rest.first() {
            Some(b'n') if rest.starts_with(b"null") => (Value::Null, 4),
            Some(b't') if rest.starts_with(b"true") => (Value::Bool(true), 4),
            Some(b'f') if rest.starts_with(b"false") => (Value::Bool(false), 5),
            Some(b'N') if rest.starts_with(b"NaN") => (float("0.0"), 3),
            Some(b'I') if rest.starts_with(b"Infinity") => (float("1.0e0000"), 8),
            Some(b'-') if rest.starts_with(b"-Infinity") => (float("-1.0e0000"), 9),
            _ => return self.number(),
        };
        self.i += len;
        Ok(value)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, CPython's number pattern.
    fn number(&mut self) -> Result<Value> {
        let b = self.b;
        let digit = |at: usize| b.get(at).is_some_and(u8::is_ascii_digit);
        let start = self.i;
        let mut j = start + usize::from(b.get(start) == Some(&b'-'));
        let int_start = j;
        match b.get(j) {
            Some(b'0') => j += 1,
            Some(b'1'..=b'9') => {
                while digit(j) {
                    j += 1;
                }
            }
            _ => return Err(self.error("Expecting value", start)),
        }
        let digits = j - int_start;
        let mut is_float = false;
        if b.get(j) == Some(&b'.') && digit(j + 1) {
            is_float = true;
            j += 1;
            while digit(j) {
                j += 1;
            }
        }
        if let Some(b'e' | b'E') = b.get(j) {
            let k = j + 1 + usize::from(matches!(b.get(j + 1), Some(b'+' | b'-')));
            if digit(k) {
                is_float = true;
                j = k;
                while digit(j) {
                    j += 1;
                }
            }
        }
        if !is_float && digits > INT_MAX_STR_DIGITS {
            return Err(huge_int_error(digits));
        }
        self.i = j;
        // The text matched the pattern above: a valid JSON number, as serde_json keeps it.
        Ok(float(self.s.get(start..j).unwrap_or_default()))
    }

    /// A string (at its opening quote), as CPython's `scanstring` reads it in strict mode.
    pub fn string(&mut self) -> Result<Cow<'a, str>> {
        let begin = self.i;
        let b = self.b;
        let mut at = begin + 1;
        let mut out: Option<String> = None;
        loop {
            let run = self.plain_run(begin, at)?;
            // `at` and `run` are next to ASCII bytes: character boundaries.
            let plain = self.s.get(at..run).unwrap_or_default();
            if b[run] == b'"' {
                self.i = run + 1;
                return Ok(match out {
                    None => Cow::Borrowed(plain),
                    Some(mut o) => {
                        o.push_str(plain);
                        Cow::Owned(o)
                    }
                });
            }
            let o = out.get_or_insert_with(|| String::with_capacity(run - at + 16));
            o.push_str(plain);
            // A backslash.
            at = run + 2;
            let c = match b.get(run + 1) {
                None => return Err(self.error("Unterminated string starting at", begin)),
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let u = run + 1;
                    let hi = self.hex4(u, u + 5 < b.len())?;
                    at = u + 5;
                    // A high surrogate joins a low one that follows at once (when the text
                    // goes on after it); anything else after it is read on its own.
                    let pair = (0xD800..0xDC00).contains(&hi)
                        && b.get(at..at + 2) == Some(b"\\u")
                        && at + 6 < b.len();
                    let lo = if pair { self.hex4(at + 1, true)? } else { 0 };
                    if (0xDC00..0xE000).contains(&lo) {
                        at += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            .expect("a surrogate pair is a character")
                    } else {
                        match char::from_u32(hi) {
                            Some(c) => c,
                            None => self.lone_surrogate()?,
                        }
                    }
                }
                Some(_) => return Err(self.error("Invalid \\escape", run)),
            };
            out.as_mut().expect("made above").push(c);
        }
    }

    /// The end of the plain text of the string opened at `begin`, from `at`: the offset
    /// of its closing quote or of a backslash.
    #[inline]
    fn plain_run(&self, begin: usize, at: usize) -> Result<usize> {
        let rest = self.b.get(at..).unwrap_or_default();
        match string_stop(rest) {
            None => Err(self.error("Unterminated string starting at", begin)),
            Some(n) if rest[n] < 0x20 => Err(self.error("Invalid control character at", at + n)),
            Some(n) => Ok(at + n),
        }
    }

    /// The four hex digits after the `u` at `u` (`room`: the text goes on after them).
    fn hex4(&self, u: usize, room: bool) -> Result<u32> {
        let digits = self.b.get(u + 1..u + 5).filter(|_| room);
        let value = digits.and_then(|d| {
            d.iter()
                .try_fold(0u32, |n, &c| char::from(c).to_digit(16).map(|v| n << 4 | v))
        });
        value.ok_or_else(|| self.error("Invalid \\uXXXX escape", u))
    }

    /// The stand-in for a lone surrogate: a noncharacter the document does not use.
    fn lone_surrogate(&mut self) -> Result<char> {
        if let Some(m) = self.mark {
            return Ok(m);
        }
        let Some(m) = surrogate_mark_candidates().find(|&c| !mentions_char(self.b, c)) else {
            return Err(Error::new(
                Exc::ValueError,
                "a lone surrogate in a document that uses every noncharacter that could stand \
                 for it: refused (cannot be read faithfully)",
            ));
        };
        self.mark = Some(m);
        Ok(m)
    }

    /// `{"<key>": "<n plain bytes>"}` (the hash dict of nearly every artifact), read in
    /// one go: the `n` bytes, not checked; `None`, with nothing consumed, for any other
    /// text, which the caller then reads the usual way.
    #[inline]
    pub fn one_member_plain(&mut self, key: &[u8], n: usize) -> Option<&'a [u8]> {
        let save = self.i;
        let got = self.one_member_plain_at(key, n);
        if got.is_none() {
            self.i = save;
        }
        got
    }

    #[inline]
    fn one_member_plain_at(&mut self, key: &[u8], n: usize) -> Option<&'a [u8]> {
        if self.depth + 1 >= MAX_DEPTH {
            return None;
        }
        let b = self.b;
        self.eat(b'{')?;
        self.ws();
        let k = self.i;
        if b.get(k) != Some(&b'"')
            || b.get(k + 1..k + 1 + key.len())? != key
            || b.get(k + 1 + key.len()) != Some(&b'"')
        {
            return None;
        }
        self.i = k + key.len() + 2;
        self.eat(b':')?;
        self.eat(b'"')?;
        let v = b.get(self.i..self.i + n)?;
        if b.get(self.i + n) != Some(&b'"') {
            return None;
        }
        self.i += n + 1;
        self.eat(b'}')?;
        Some(v)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }
}

/// A JSON number of the given text (a valid JSON number: serde_json's own parser keeps
/// numbers so with `arbitrary_precision`).
fn float(text: &str) -> Value {
    Value::Number(Number::from_string_unchecked(text.to_string()))
}

/// Python's error for an integer literal of more than 4,300 `digits`.
pub fn huge_int_error(digits: usize) -> Error {
    Error::new(
        Exc::ValueError,
        format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: \
             value has {digits} digits; use sys.set_int_max_str_digits() to increase the limit"
        ),
    )
}

/// Bytes that end or spoil a plain string: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The position of the first `"`, `\\` or control character, sixteen bytes at a time
/// (SSE2, part of every x86-64 CPU).
#[cfg(target_arch = "x86_64")]
#[inline]
fn string_stop(b: &[u8]) -> Option<usize> {
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
    unsafe { string_stop_sse2(b) }
}

/// [`string_stop`] with SSE2, whose intrinsics are safe to call in it.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "sse2")]
fn string_stop_sse2(b: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut at = 0;
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let control = _mm_set1_epi8(0x1f);
    while at + 16 <= b.len() {
        let block = &b[at..at + 16];
        // SAFETY: the unaligned load reads the 16 bytes of `block`.
        let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
        // `min(x, 0x1f) == x` is `x <= 0x1f`, unsigned.
        let hits = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
            _mm_cmpeq_epi8(_mm_min_epu8(x, control), x),
        );
        let mask = _mm_movemask_epi8(hits) as u32;
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    string_stop_swar(&b[at..]).map(|p| at + p)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn string_stop(b: &[u8]) -> Option<usize> {
    string_stop_swar(b)
}

/// The position of the first `"`, `\\` or control character, eight bytes at a time.
#[inline]
fn string_stop_swar(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // A zero byte in `quote`/`backslash`, or a byte below 0x20 in `x`: the lowest
        // flagged byte is always a true hit (borrows only run upwards from one).
        let hits = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGHS;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| STRING_STOP[c as usize])
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `json.loads` gives, as `tests/support/py-answers.py json` writes it: the value
    /// normalised (floats as `float`, keys sorted, lone surrogates as `<lone>`), or the
    /// exception's class and text.
    fn answer(text: &str) -> std::result::Result<String, String> {
        fn norm(v: &Value, mark: Option<char>) -> String {
            let text = |s: &str| {
                let s = match mark {
                    Some(m) => s.replace(m, "<lone>"),
                    None => s.to_string(),
                };
                super::super::py_repr_str(&s)
            };
            match v {
                Value::Number(n) if super::super::number_is_int(n) => {
                    super::super::int_text(n).to_string()
                }
                Value::Number(_) => "float".into(),
                Value::String(s) => text(s),
                Value::Array(a) => {
                    let items: Vec<String> = a.iter().map(|v| norm(v, mark)).collect();
                    format!("[{}]", items.join(", "))
                }
                Value::Object(m) => {
                    let mut items: Vec<(String, String)> =
                        m.iter().map(|(k, v)| (text(k), norm(v, mark))).collect();
                    items.sort();
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect();
                    format!("{{{}}}", items.join(", "))
                }
                other => super::super::py_repr(other),
            }
        }
        match loads(text.as_bytes()) {
            Ok((v, mark)) => Ok(norm(&v, mark)),
            Err(e) => Err(format!("{}: {}", e.class, e.message)),
        }
    }

    /// Answers of CPython 3.11.7's `json.loads`, recorded with
    /// `tests/support/py-answers.py json` (floats and lone surrogates as this crate holds
    /// them: see the generator).
    #[test]
    fn loads_as_cpython() {
        let table: &[(&str, std::result::Result<&str, &str>)] = include!("answers.in");
        let mut wrong = Vec::new();
        for (text, want) in table {
            let got = answer(text);
            let want = want.map(str::to_string).map_err(str::to_string);
            if got != want {
                wrong.push(format!("{text:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn nesting_limit_and_its_container() {
        let deep = |open: &str, n: usize| format!("{}{}", open.repeat(n), "]".repeat(n));
        assert!(loads(deep("[", MAX_DEPTH - 1).as_bytes()).is_ok());
        let e = loads(deep("[", MAX_DEPTH).as_bytes()).unwrap_err();
        assert_eq!(e.class, "RecursionError");
        assert!(e.message.ends_with("a JSON array from a unicode string"));
        let text = format!("{}{}", "{\"k\": ".repeat(MAX_DEPTH - 10), "[".repeat(20));
        assert!(
            loads(text.as_bytes())
                .unwrap_err()
                .message
                .contains("JSON array")
        );
        let text = format!("{}{}", "[".repeat(MAX_DEPTH - 10), "{\"k\": ".repeat(20));
        assert!(
            loads(text.as_bytes())
                .unwrap_err()
                .message
                .contains("JSON object")
        );
        // Skipped values count too, and 200,000 levels do not overflow the stack.
        let text = format!("{}1", "{\"a\": ".repeat(200_000));
        let mut r = Reader::new(text.as_bytes()).unwrap();
        assert_eq!(r.skip().unwrap_err().class, "RecursionError");
        // A syntax error before the limit wins.
        let text = format!("[1,]{}", "[".repeat(200));
        assert_eq!(loads(text.as_bytes()).unwrap_err().class, "JSONDecodeError");
    }

    #[test]
    fn huge_integers_fail_where_the_scanner_meets_them() {
        let n = |d: usize| "7".repeat(d);
        assert!(loads(n(4300).as_bytes()).is_ok());
        let e = loads(format!("[1, -{}]", n(5000)).as_bytes()).unwrap_err();
        assert_eq!(e, huge_int_error(5000));
        assert!(e.message.contains("value has 5000 digits"));
        for fine in [
            format!("{}.5", n(5000)),
            format!("{}e5", n(5000)),
            format!("1.{}", n(5000)),
            format!("1e{}", n(5000)),
            format!(r#"{{"s": "{}"}}"#, n(5000)),
        ] {
            assert!(loads(fine.as_bytes()).is_ok(), "{}", &fine[..10]);
        }
        // An error before it wins; after it, the integer's.
        let e = loads(format!("[1,, {}]", n(5000)).as_bytes()).unwrap_err();
        assert_eq!(e.class, "JSONDecodeError");
        let e = loads(format!("[{}, 1,,]", n(5000)).as_bytes()).unwrap_err();
        assert_eq!(e.class, "ValueError");
    }

    #[test]
    fn lone_surrogates_get_a_mark_the_document_does_not_use() {
        let (v, mark) = loads(br#"{"s": "x\ud800y", "ok": "\ud83d\ude00"}"#).unwrap();
        assert_eq!(mark, Some(super::super::LONE_SURROGATE_MARK));
        assert_eq!(v["s"], "x\u{fdd0}y");
        assert_eq!(v["ok"], "\u{1F600}");
        let text = "{\"x\": \"\\ud800\", \"real\": \"\u{fdd0}\", \"esc\": \"\\uFDD1\"}";
        let (v, mark) = loads(text.as_bytes()).unwrap();
        assert_eq!(mark, Some('\u{fdd2}'));
        assert_eq!(v["x"], "\u{fdd2}");
        assert_eq!(v["real"], "\u{fdd0}");
        // Every candidate in use: refused.
        let all: String = super::super::surrogate_mark_candidates().collect();
        let text = format!("[\"{all}\", \"\\udc00\"]");
        assert_eq!(loads(text.as_bytes()).unwrap_err().class, "ValueError");
        // No surrogate, no mark.
        assert_eq!(loads(b"\"\\u00e9\"").unwrap().1, None);
    }

    #[test]
    fn keys_are_plain_keys() {
        // serde_json's private number token is an ordinary key here.
        let (v, _) = loads(br#"{"$serde_json::private::Number": "5"}"#).unwrap();
        assert_eq!(v["$serde_json::private::Number"], "5");
        let (v, _) = loads(br#"{"a": 1, "a": 2, "b": [true, null]}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": 2, "b": [true, null]}));
    }

    #[test]
    fn invalid_utf8_anywhere_is_a_decode_error() {
        let e = loads(b"[1,, \"\xff\"]").unwrap_err();
        assert_eq!(e.class, "UnicodeDecodeError");
        assert!(e.message.contains("position 6"), "{}", e.message);
    }

    #[test]
    fn one_member_plain_reads_only_that_shape() {
        let hex = "ab".repeat(32);
        for (text, want) in [
            (format!(r#"{{"sha256": "{hex}"}}"#), true),
            (format!("{{ \"sha256\"\t:\n\"{hex}\" }}"), true),
            (format!(r#"{{"sha256": "{hex}", "x": 1}}"#), false),
            (format!(r#"{{"sha512": "{hex}"}}"#), false),
            (format!(r#"{{"sha256": "{hex}0"}}"#), false),
            (format!(r#"{{"sha256": "{}"}}"#, &hex[1..]), false),
            (format!(r#"{{"sha256x": "{hex}"}}"#), false),
        ] {
            let mut r = Reader::new(text.as_bytes()).unwrap();
            let got = r.one_member_plain(b"sha256", 64);
            assert_eq!(got.is_some(), want, "{text}");
            if want {
                assert_eq!(got.unwrap(), hex.as_bytes());
                assert!(r.finish().is_ok());
            } else {
                assert_eq!(r.offset(), 0);
            }
        }
    }

    #[test]
    fn string_stop_agrees_with_the_table_for_every_byte() {
        for len in [1, 7, 8, 15, 16, 17, 31, 33, 40] {
            for pos in 0..len {
                for c in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[pos] = c;
                    let want = text.iter().position(|&c| STRING_STOP[c as usize]);
                    assert_eq!(string_stop(&text), want, "{c:#x} at {pos} of {len}");
                    assert_eq!(string_stop_swar(&text), want, "{c:#x} at {pos} of {len}");
                }
            }
        }
    }
}
