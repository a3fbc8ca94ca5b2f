//! PEM framing, read as leniently as pyca `cryptography` (which uses the `pem` 3.x crate) and
//! written in the one canonical layout `cryptography` produces.
//!
//! Reading follows `pem::parse` / `pem::parse_many` step by step: text before `-----BEGIN `
//! is skipped, the label runs to the next `-----`, whitespace after the BEGIN line is
//! skipped, the data runs to `-----END `, an optional header part ends at the first blank
//! line (`\n\n` or `\r\n\r\n`), every Unicode whitespace character inside the data is
//! dropped before strict standard base64 decoding, BEGIN and END labels must match. So CRLF
//! line ends, odd wrapping, indentation and trailing blanks are all accepted, exactly as the
//! reference accepts them.
//!
//! Writing: `-----BEGIN <label>-----\n`, base64 in 64-column lines, `-----END <label>-----\n`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// One decoded PEM block.
pub(crate) struct Block {
    /// The label, e.g. `PUBLIC KEY`.
    pub label: String,
    /// Header lines (`Key: value`), e.g. `Proc-Type: 4,ENCRYPTED`.
    pub headers: Vec<String>,
    /// The decoded DER bytes (zeroized on drop: they may be a private key).
    pub der: Zeroizing<Vec<u8>>,
}

impl Block {
    /// True when a `Proc-Type` header announces legacy OpenSSL PEM encryption.
    pub fn is_legacy_encrypted(&self) -> bool {
        self.headers.iter().any(|h| {
            h.split_once(':').is_some_and(|(k, v)| {
                k.trim() == "Proc-Type" && v.split(',').any(|p| p.trim() == "ENCRYPTED")
            })
        })
    }
}

/// Why a text is not PEM (the `pem` crate's error kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemError {
    /// No `-----BEGIN x-----` ... `-----END x-----` frame.
    MalformedFraming,
    /// `-----BEGIN -----` without a label.
    MissingBeginTag,
    /// `-----END -----` without a label.
    MissingEndTag,
    /// BEGIN and END labels differ.
    MismatchedTags(String, String),
    /// Label, headers or data are not UTF-8.
    NotUtf8,
    /// A header line without `:`.
    InvalidHeader(String),
    /// The data is not valid base64.
    InvalidData(String),
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PemError::MalformedFraming => write!(
                f,
                "no PEM block found (expected a '-----BEGIN ...-----' line and a matching \
                 '-----END ...-----' line)"
            ),
            PemError::MissingBeginTag => write!(f, "PEM BEGIN line without a label"),
            PemError::MissingEndTag => write!(f, "PEM END line without a label"),
            PemError::MismatchedTags(b, e) => {
                write!(f, "PEM labels differ: 'BEGIN {b}' but 'END {e}'")
            }
            PemError::NotUtf8 => write!(f, "PEM block is not UTF-8 text"),
            PemError::InvalidHeader(h) => write!(f, "invalid PEM header line {h:?}"),
            PemError::InvalidData(e) => write!(f, "PEM data is not valid base64 ({e})"),
        }
    }
}

/// The raw parts of one PEM frame.
struct Captures<'a> {
    begin: &'a [u8],
    headers: &'a [u8],
    data: &'a [u8],
    end: &'a [u8],
}

/// `(.*?)marker`: the text before the first occurrence of `marker` and the rest after it.
///
/// This deliberately reproduces the `pem` crate's simple matcher, which restarts the match
/// after a mismatch without re-examining the mismatching byte (so e.g. `------BEGIN ` with
/// six dashes is not found), because the reference inherits that behaviour.
fn read_until<'a>(input: &'a [u8], marker: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    if marker.is_empty() {
        return Some((&[], input));
    }
    let mut index = 0;
    let mut found = 0;
    while input.len() - index >= marker.len() - found {
        if input[index] == marker[found] {
            found += 1;
        } else {
            found = 0;
        }
        index += 1;
        if found == marker.len() {
            return Some((&input[index..], &input[..index - found]));
        }
    }
    None
}

/// `[ \t\n\r]*`
fn skip_whitespace(mut input: &[u8]) -> &[u8] {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = input.first() {
        input = &input[1..];
    }
    input
}

/// One frame: `-----BEGIN (.*?)-----\s*(.*?)-----END (.*?)-----\s*`.
fn next_frame(input: &[u8]) -> Option<(&[u8], Captures<'_>)> {
    let (input, begin) = read_until(input, b"-----BEGIN ")
        .and_then(|(rest, _)| read_until(rest, b"-----"))
        .map(|(rest, begin)| (skip_whitespace(rest), begin))?;
    let (input, payload) = read_until(input, b"-----END ")?;
    let (headers, data) = if let Some((rest, headers)) = read_until(payload, b"\n\n") {
        (headers, rest)
    } else if let Some((rest, headers)) = read_until(payload, b"\r\n\r\n") {
        (headers, rest)
    } else {
        (&[][..], payload)
    };
    let (remaining, end) = read_until(input, b"-----")?;
    let remaining = skip_whitespace(remaining);
    Some((
        remaining,
        Captures {
            begin,
            headers,
            data,
            end,
        },
    ))
}

fn decode_frame(caps: Captures<'_>) -> Result<Block, PemError> {
    let utf8 = |b| std::str::from_utf8(b).map_err(|_| PemError::NotUtf8);
    let label = utf8(caps.begin)?;
    if label.is_empty() {
        return Err(PemError::MissingBeginTag);
    }
    let end = utf8(caps.end)?;
    if end.is_empty() {
        return Err(PemError::MissingEndTag);
    }
    if label != end {
        return Err(PemError::MismatchedTags(label.into(), end.into()));
    }
    let raw = utf8(caps.data)?;
    // Pre-sized so that it never reallocates (it may be a private key).
    let mut compact = Zeroizing::new(String::with_capacity(raw.len()));
    compact.extend(raw.chars().filter(|c| !c.is_whitespace()));
    let der = STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| PemError::InvalidData(e.to_string()))?;
    let headers: Vec<String> = utf8(caps.headers)?.lines().map(str::to_string).collect();
    if let Some(bad) = headers.iter().find(|h| !h.contains(':')) {
        return Err(PemError::InvalidHeader(bad.clone()));
    }
    Ok(Block {
        label: label.to_string(),
        headers,
        der: Zeroizing::new(der),
    })
}

/// The first PEM block of `input` (`pem::parse`).
pub(crate) fn parse_first(input: &[u8]) -> Result<Block, PemError> {
    let (_, caps) = next_frame(input).ok_or(PemError::MalformedFraming)?;
    decode_frame(caps)
}

/// All PEM blocks of `input` (`pem::parse_many`): any malformed block fails the whole text.
pub(crate) fn parse_all(input: &[u8]) -> Result<Vec<Block>, PemError> {
    let mut blocks = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let Some((remaining, caps)) = next_frame(rest) else {
            break;
        };
        blocks.push(decode_frame(caps)?);
        rest = remaining;
    }
    Ok(blocks)
}

/// Append the canonical PEM encoding of `der` under `label` to `out`.
fn encode_into(out: &mut String, label: &str, der: &[u8]) {
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let b64 = Zeroizing::new(STANDARD.encode(der));
    // Lines of 64 letters (base64 is ASCII: every byte is a character).
    for line in b64.as_bytes().chunks(64) {
        out.extend(line.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}

/// The canonical PEM text of public data (as `cryptography`'s `Encoding.PEM`).
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let mut out = String::new();
    encode_into(&mut out, label, der);
    out
}

/// The canonical PEM text of secret data, in a buffer that is zeroized on drop.
pub(crate) fn encode_secret(label: &str, der: &[u8]) -> Zeroizing<String> {
    // Reserve enough up front so that the buffer never reallocates (leaving copies behind).
    let capacity = label.len() * 2 + 64 + der.len().div_ceil(3) * 4 * 65 / 64 + 8;
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    encode_into(&mut out, label, der);
    out
}
