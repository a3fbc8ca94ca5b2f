//! The fast path for reading metadata: a single pass over the JSON text that handles the
//! structure of a metadata file by hand and reads the artifact dicts (nearly all of a big
//! link) straight into [`Artifacts`], with no allocation per artifact.
//!
//! It accepts a conservative subset of JSON and gives up (`None`) on anything unusual:
//! escapes or `$` in keys, escapes in artifact paths or hashes, non-hex hashes, numbers or
//! other values where the reference expects dicts or strings, deep nesting, bad syntax,
//! invalid UTF-8 (anywhere: the whole text is checked first), values that may hold a key
//! serde_json takes for its private number token. (Integer literals over Python's 4,300
//! digits are looked for by the caller, which then skips the fast path.)
//! The caller then parses the document with the general (serde) path, which defines the
//! semantics and the errors. Values that are not artifact dicts (`byproducts`, `command`,
//! `signatures`, layout fields, …) are located here and parsed by serde_json from their
//! slice of the text, so they are validated exactly as in the general path.
//!
//! Whenever the fast path returns a result, it is the one the general path would produce:
//! the same fields, duplicate keys keeping the last value, unknown keys ignored (after
//! checking they are valid JSON), trailing text refused.

use super::{RawBody, RawSigned};
use crate::model::link::{ArtifactsBuilder, ArtifactsField, HashDict, is_hex};
use crate::py::json;
use serde::de::IgnoredAny;
use serde_json::Value;

/// Deeper values are left to the general path (serde_json's recursion limit is 128 for
/// the whole document; a value parsed from its own slice would not see its outer levels),
/// which reports a document nested too deep as the reference's `RecursionError`. The fast
/// path itself never recurses with the input (skipping counts brackets).
const MAX_DEPTH: usize = 64;

/// The top-level object of a metadata file, as far as the fast path read it.
pub(super) struct Top<'a> {
    pub signatures: Option<Value>,
    pub signed: Option<RawSigned>,
    pub payload: Option<PayloadText<'a>>,
    pub payload_type: Option<Value>,
    pub has_payload: bool,
    pub has_signed: bool,
}

/// A DSSE `payload` field: the base64 text itself when it is a plain string, else the
/// parsed value.
pub(super) enum PayloadText<'a> {
    /// Canonical base64, already decoded.
    Decoded(std::sync::Arc<[u8]>),
    Text(&'a str),
    Value(Value),
}

/// A payload decoded beforehand, standing for the empty string at that place of the text
/// (the index of its opening quote).
pub(super) type Predecoded = (usize, std::sync::Arc<[u8]>);

/// Read a whole metadata file (with `pre`, one whose payload was decoded beforehand).
pub(super) fn parse_top(bytes: &[u8], mut pre: Option<Predecoded>) -> Option<Top<'_>> {
    let mut lx = Lexer::new(bytes)?;
    let mut top = Top {
        signatures: None,
        signed: None,
        payload: None,
        payload_type: None,
        has_payload: false,
        has_signed: false,
    };
    lx.eat(b'{')?;
    if lx.peek()? == b'}' {
        lx.i += 1;
    } else {
        loop {
            let key = lx.key()?;
            match key {
                "signatures" => top.signatures = Some(lx.value()?),
                "signed" => {
                    top.has_signed = true;
                    top.signed = Some(lx.signed()?);
                }
                "payload" => {
                    top.has_payload = true;
                    lx.ws();
                    top.payload = Some(match pre.take_if(|p| p.0 == lx.i) {
                        Some((_, decoded)) => {
                            lx.eat(b'"')?;
                            lx.eat(b'"')?;
                            PayloadText::Decoded(decoded)
                        }
                        None => lx.payload()?,
                    });
                }
                "payloadType" => top.payload_type = Some(lx.value()?),
                _ => lx.ignore()?,
            }
            if !lx.next_member()? {
                break;
            }
        }
    }
    lx.end()?;
    Some(top)
}

/// Read a document that is one link or layout object (a DSSE payload).
pub(super) fn parse_signed(bytes: &[u8]) -> Option<RawSigned> {
    let mut lx = Lexer::new(bytes)?;
    let signed = lx.signed()?;
    lx.end()?;
    Some(signed)
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
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

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8]) -> Option<Lexer<'a>> {
        // `simdutf8`: a DSSE payload is megabytes, checked at several times the speed of
        // `std::str::from_utf8`.
        let s = simdutf8::basic::from_utf8(b).ok()?;
        Some(Lexer { s, b, i: 0 })
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next significant byte (not consumed).
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
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

    /// Only whitespace may follow.
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    /// After a member of an object: `true` at `,`, `false` at the closing `}`.
    #[inline]
    fn next_member(&mut self) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b'}' => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string with no escapes and no control characters.
    #[inline]
    fn plain_str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let rest = &self.b[start..];
        let len = string_stop(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        // Quotes are ASCII, so both ends are character boundaries (`get` cannot fail).
        self.s.get(start..start + len)
    }

    /// An object key followed by `:`. Keys starting with `$` are left to the general path
    /// (serde_json's private number marker is such a key).
    #[inline]
    fn key(&mut self) -> Option<&'a str> {
        let k = self.plain_str()?;
        if k.starts_with('$') {
            return None;
        }
        self.eat(b':')?;
        Some(k)
    }

    /// The text of one value (not validated; at most [`MAX_DEPTH`] levels deep).
    fn skip_value(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        let b = self.b;
        match *b.get(self.i)? {
            b'"' => self.skip_string()?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *b.get(self.i)? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return None;
                            }
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while let Some(&c) = b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.i += 1;
                }
            }
        }
        // Both ends are next to ASCII bytes (or the ends of the text): character boundaries.
        if self.i > start {
            self.s.get(start..self.i)
        } else {
            None
        }
    }

    /// Past a string (at its opening quote), escapes included.
    fn skip_string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
    }

    /// One value of any kind, parsed by serde_json (not when it may hold a key that serde_json
    /// would take for its number token: the general path renames such keys first).
    fn value(&mut self) -> Option<Value> {
        let raw = self.skip_value()?;
        if json::may_have_number_token(raw) {
            return None;
        }
        serde_json::from_str(raw).ok()
    }

    /// Skip a value of an unknown key (it must still be valid JSON).
    fn ignore(&mut self) -> Option<()> {
        let raw = self.skip_value()?;
        serde_json::from_str::<IgnoredAny>(raw).ok().map(|_| ())
    }

    fn payload(&mut self) -> Option<PayloadText<'a>> {
        // The usual payload is canonical base64, megabytes of it: find the closing quote
        // with `memchr` and decode. Decoding checks that every byte is a base64 letter (so
        // the text has no escape, and that quote is its end); anything else is read as a
        // string below, the general way.
        if self.peek()? == b'"' {
            let start = self.i + 1;
            if let Some(len) = memchr::memchr(b'"', &self.b[start..])
                && let Some(decoded) = super::b64dec_canonical(&self.b[start..start + len])
            {
                self.i = start + len + 1;
                return Some(PayloadText::Decoded(decoded));
            }
        }
        let save = self.i;
        if let Some(s) = self.plain_str() {
            return Some(PayloadText::Text(s));
        }
        self.i = save;
        self.value().map(PayloadText::Value)
    }

    /// A link or layout object (`signed`, or a whole DSSE payload).
    fn signed(&mut self) -> Option<RawSigned> {
        self.eat(b'{')?;
        let mut b = RawBody::default();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(RawSigned::Body(Box::new(b)));
        }
        loop {
            let key = self.key()?;
            match key {
                "_type" => b.type_ = Some(self.value()?),
                "name" => b.name = Some(self.value()?),
                "command" => b.command = Some(self.value()?),
                "materials" => b.materials = Some(self.artifacts()?),
                "products" => b.products = Some(self.artifacts()?),
                "byproducts" => b.byproducts = Some(self.value()?),
                "environment" => b.environment = Some(self.value()?),
                "steps" | "inspect" | "keys" | "expires" | "readme" => {
                    let v = self.value()?;
                    b.layout.insert(key.to_string(), v);
                }
                _ => self.ignore()?,
            }
            if !self.next_member()? {
                break;
            }
        }
        Some(RawSigned::Body(Box::new(b)))
    }

    /// `materials` or `products`: by hand when plain, else through serde.
    fn artifacts(&mut self) -> Option<ArtifactsField> {
        let save = self.i;
        if let Some(a) = self.plain_artifacts() {
            return Some(a);
        }
        self.i = save;
        let raw = self.skip_value()?;
        if json::may_have_number_token(raw) {
            return None;
        }
        serde_json::from_str::<ArtifactsField>(raw).ok()
    }

    /// A dict of `"path": {"alg": "hex", ...}` with plain strings and hex values.
    fn plain_artifacts(&mut self) -> Option<ArtifactsField> {
        self.eat(b'{')?;
        // A rough guess of the size, to avoid most regrowth: the text left to read is
        // mostly this dict in a big link.
        let guess = ((self.b.len() - self.i) / 256).min(1 << 20);
        let mut out = ArtifactsBuilder::with_capacity(guess, guess * 48);
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(ArtifactsField(Ok(out.finish())));
        }
        loop {
            let path = self.key()?;
            let save = self.i;
            match self.sha256_dict() {
                Some(hex) if out.push_sha256(path, &hex).is_some() => {}
                // Another dict, or 64 characters that are not all hex digits (which may
                // span more than one value): read as any dict.
                _ => {
                    self.i = save;
                    out.push(path, self.hash_dict()?);
                }
            }
            if !self.next_member()? {
                break;
            }
        }
        Some(ArtifactsField(Ok(out.finish())))
    }

    /// `{"sha256": "<64 characters>"}`, the hash dict of nearly every artifact, read in
    /// one go (the characters are not checked here); `None`, with nothing consumed, for
    /// any other dict (read by [`Self::hash_dict`]).
    #[inline]
    fn sha256_dict(&mut self) -> Option<[u8; 64]> {
        let save = self.i;
        let dict = self.sha256_dict_at();
        if dict.is_none() {
            self.i = save;
        }
        dict
    }

    #[inline]
    fn sha256_dict_at(&mut self) -> Option<[u8; 64]> {
        self.eat(b'{')?;
        self.ws();
        if self.b.get(self.i..self.i + 8)? != b"\"sha256\"" {
            return None;
        }
        self.i += 8;
        self.eat(b':')?;
        self.eat(b'"')?;
        let hex: [u8; 64] = self.b.get(self.i..self.i + 64)?.try_into().ok()?;
        if self.b.get(self.i + 64) != Some(&b'"') {
            return None;
        }
        self.i += 65;
        self.eat(b'}')?;
        Some(hex)
    }

    fn hash_dict(&mut self) -> Option<HashDict> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(HashDict::new(Vec::new()));
        }
        let alg = self.key()?;
        let hex = self.plain_str()?;
        if !is_hex(hex) {
            return None;
        }
        if !self.next_member()? {
            return Some(HashDict::single_hex(alg, hex));
        }
        let mut pairs: Vec<(Box<str>, Box<str>)> = vec![(alg.into(), hex.into())];
        loop {
            let alg = self.key()?;
            let hex = self.plain_str()?;
            if !is_hex(hex) {
                return None;
            }
            pairs.push((alg.into(), hex.into()));
            if !self.next_member()? {
                break;
            }
        }
        Some(HashDict::new(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::envelope::Metadata;

    /// The fast path and the general path agree (or the fast path declines).
    fn same(text: &str) {
        let fast = parse_top(text.as_bytes(), None).is_some();
        let a = Metadata::from_bytes(text.as_bytes());
        let b = Metadata::from_bytes_general(text.as_bytes());
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(a), Err(b)) => assert_eq!(
                (a.class, a.message),
                (b.class, b.message),
                "{text} (fast path: {fast})"
            ),
            (a, b) => panic!("{text}: {a:?} vs {b:?}"),
        }
    }

    #[test]
    fn agrees_with_the_general_path() {
        let cases = [
            r#"{"signatures": [], "signed": {"_type": "link", "materials": {"b": {"sha256": "01"}, "a": {"sha256": "02"}, "b": {"sha256": "03"}}, "products": {}}}"#,
            r#"{"signed": {"_type": "link", "materials": {"a": {"sha512": "AA", "sha256": "bb", "sha512": "cc"}}, "name": "x", "extra": [1, {"y": null}]}, "signatures": [{"keyid": "k", "sig": "00"}]}"#,
            r#"{"signed": {"_type": "link", "materials": {"a\"b": {"sha256": "01"}, "c": {}}}}"#,
            r#"{"signed": {"_type": "link", "materials": {"a": {"sha256": "xyz"}}}}"#,
            r#"{"signed": {"_type": "link", "materials": {"a": {"sha256": 5}}}}"#,
            r#"{"signed": {"_type": "link", "materials": [], "products": 3}}"#,
            r#"{"signed": {"_type": "link", "byproducts": {"x": NaN}}}"#,
            r#"{"signed": {"_type": "link", "byproducts": {"x": 1.5}}}"#,
            r#"{"signed": {"_type": "link", "name": "\ud800"}}"#,
            r#"{"signed": {"_type": "link", "materials": {"a": {"sha256": "01"},}}}"#,
            r#"{"signed": {"_type": "link"}} x"#,
            r#"{"signed": {"_type": "link"}, "signed": {"_type": "layout"}}"#,
            r#"{"signed": {"_type": "link", "materials": {"$serde_json::private::Number": {}}}}"#,
            r#"{"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "eyJfdHlwZSI6ICJsaW5rIn0=", "payloadType": "application/vnd.in-toto+json", "signatures": [{"keyid": "a", "sig": "AAAA"}]}"#,
            r#"{"payload": "eyJfdHlwZSI6ICJsaW5rIn0", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": 5, "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            // Escapes and odd letters in the payload text: not canonical base64, so read as
            // a JSON string first (the quote found by `memchr` may be escaped).
            r#"{"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e3"0=", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e30=\", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e3-0=", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e30", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e30=", "payload": "eyJfdHlwZSI6ICJsaW5rIn0=", "payloadType": "application/vnd.in-toto+json", "signatures": []}"#,
            r#"{"payload": "e30="  , "payloadType": "application/vnd.in-toto+json", "signatures": [], "x": "e30="}"#,
            "{\"payload\": \"e3\t0=\", \"payloadType\": \"application/vnd.in-toto+json\", \"signatures\": []}",
            r#"{"signed": 5}"#,
            r#"[]"#,
            r#"{}"#,
            "",
            r#"{"signed": {"_type": "link", "materials": {"a": {"sha256": "01"}}"#,
            "{\"signed\": {\"_type\": \"link\", \"materials\": {\"a\tb\": {\"sha256\": \"01\"}}}}",
            "{\"signed\": {\"_type\": \"link\", \"materials\": {\"abcdefghijklmnop\u{1f}q\": {}}}}",
            r#"{"signed": {"_type": "link", "materials": {"abcdefghijklmnopq\\r": {}}}}"#,
            r#"{"signed": {"_type": "link", "materials": {"h\u00e9llo w\u00f6rld, caf\u00e9s": {}, "héllo wörld, cafés": {"sha256": "ab"}}}}"#,
        ];
        for c in cases {
            same(c);
        }
        let deep = format!(
            r#"{{"signed": {{"_type": "link", "byproducts": {{"x": {}{}}}}}}}"#,
            "[".repeat(126),
            "]".repeat(126)
        );
        same(&deep);
    }

    #[test]
    fn declines_what_the_general_path_must_judge() {
        let token = json::NUMBER_TOKEN;
        for text in [
            // Keys that serde_json would take for its number token, in values the fast path
            // hands to serde_json.
            format!(r#"{{"signed": {{"_type": "link", "environment": {{"{token}": "1"}}}}}}"#),
            format!(r#"{{"signed": {{"_type": "link", "byproducts": {{"a": {{"{token}": "x"}}}}}}}}"#),
            r#"{"signed": {"_type": "link", "command": [{"\u0024serde_json::private::Number": "1"}]}}"#.to_string(),
            format!(r#"{{"signed": {{"_type": "link", "materials": {{"a\"": {{}}, "{token}": {{}}}}}}}}"#),
        ] {
            assert!(parse_top(text.as_bytes(), None).is_none(), "{text}");
        }
        // Invalid UTF-8, even where the fast path would only skip the value.
        assert!(
            parse_top(
                b"{\"signed\": {\"_type\": \"link\", \"x\": \"\xff\"}}",
                None
            )
            .is_none()
        );
        // Still taken: ordinary escapes.
        let text = r#"{"signed": {"_type": "link", "byproducts": {"stdout": "\u001b[1m\u00e9"}}}"#;
        assert!(parse_top(text.as_bytes(), None).is_some());
    }

    #[test]
    fn agrees_on_python_edge_cases() {
        let token = json::NUMBER_TOKEN;
        let digits = "1".repeat(4301);
        for text in [
            format!(r#"{{"signed": {{"_type": "link", "environment": {{"{token}": "1"}}}}}}"#),
            format!(r#"{{"signed": {{"_type": "link", "materials": {{"{token}": {{}}}}}}}}"#),
            format!(r#"{{"signed": {{"_type": "link", "byproducts": {{"return-value": {digits}}}}}}}"#),
            format!(r#"{{"signed": {{"_type": "link", "byproducts": {{"stdout": "{digits}"}}}}}}"#),
            format!(r#"{{"signed": {{"_type": "link", "x": [{}]}}}}"#, "[".repeat(100)),
            "5".to_string(),
            r#""signed""#.to_string(),
            r#"["payload"]"#.to_string(),
            r#"{"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": {}}"#.to_string(),
        ] {
            same(&text);
        }
    }

    /// The one-go read of `{"sha256": "<64 hex>"}` and the general read of a hash dict
    /// agree on every variation around it: spacing, other keys, repeats, short, long and
    /// non-hex values, upper case, a missing brace.
    #[test]
    fn sha256_dicts_agree_with_the_general_path() {
        let hex = "0123456789abcdefABCDEF".repeat(3)[..64].to_string();
        let dicts = [
            format!(r#"{{"sha256": "{hex}"}}"#),
            format!(r#"{{"sha256":"{hex}"}}"#),
            format!("{{ \"sha256\"\t:\n\"{hex}\" }}"),
            format!(r#"{{"sha256": "{hex}", "sha256": "{}"}}"#, "f".repeat(64)),
            format!(r#"{{"sha256": "{hex}", "sha512": "ab"}}"#),
            format!(r#"{{"sha512": "{hex}"}}"#),
            format!(r#"{{"sha256x": "{hex}"}}"#),
            format!(r#"{{"sha256": "{hex}0"}}"#),
            format!(r#"{{"sha256": "{}"}}"#, &hex[1..]),
            format!(r#"{{"sha256": "{}g"}}"#, &hex[1..]),
            format!(r#"{{"sha256": "{}\u0030"}}"#, &hex[6..]),
            format!(r#"{{"sha256": "{hex}""#),
            format!(r#"{{"sha256": "{hex}"]"#),
            format!(r#"{{"sha256": {hex}}}"#),
            // 64 characters that span two values, then `"}`: read as any dict.
            format!(r#"{{"sha256": "ab", "sha512": "{}"}}"#, &hex[..48]),
        ];
        for dict in &dicts {
            same(&format!(
                r#"{{"signed": {{"_type": "link", "materials": {{"a": {dict}, "b": {{"sha256": "{hex}"}}}}}}}}"#
            ));
        }
        let spanning = format!(
            r#"{{"signed": {{"_type": "link", "materials": {{"a": {}}}}}}}"#,
            dicts[dicts.len() - 1]
        );
        assert!(parse_top(spanning.as_bytes(), None).is_some(), "{spanning}");
    }

    #[test]
    fn string_stop_finds_the_first_special_byte() {
        for text in [
            &b"abcdefgh\"ijkl"[..],
            b"\"",
            b"abcdefghijklmnopqrstu\\vw\"",
            b"abc\x01defghijklmnop\"",
            b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"\xc3",
            b"no stop at all in this text",
            b"\x7f\x80\xff\x1f",
        ] {
            let want = text.iter().position(|&c| STRING_STOP[c as usize]);
            assert_eq!(string_stop(text), want, "{text:?}");
        }
    }

    /// Every byte value at every position of texts around the 8- and 16-byte steps, in
    /// both scanners.
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
