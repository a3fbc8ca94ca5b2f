//! PEM: read with the `pem` 3.x crate, the one pyca `cryptography` (the reference's key
//! loader) uses, so that exactly the same texts load or fail (text before `-----BEGIN ` is
//! skipped, CRLF line ends, odd wrapping, indentation and header lines are accepted, BEGIN
//! and END labels must match); written in the one canonical layout `cryptography` produces:
//! `-----BEGIN <label>-----\n`, base64 in 64-column lines, `-----END <label>-----\n`.
//!
//! The writing is done here rather than by the crate because its encoder leaves unwiped
//! copies of the data (the DER and its base64) behind, and the data may be a private key.
//! (Its parser leaves one: the base64 text without whitespace, freed unwiped.)

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// One decoded PEM block.
pub(crate) struct Block {
    /// The label, e.g. `PUBLIC KEY`.
    pub label: String,
    /// A `Proc-Type: 4,ENCRYPTED` header announces legacy OpenSSL PEM encryption.
    pub legacy_encrypted: bool,
    /// The decoded DER bytes (zeroized on drop: they may be a private key).
    pub der: Zeroizing<Vec<u8>>,
}

impl Block {
    fn new(p: ::pem::Pem) -> Block {
        let legacy_encrypted = p
            .headers()
            .iter()
            .any(|(k, v)| k == "Proc-Type" && v.split(',').any(|part| part.trim() == "ENCRYPTED"));
        Block {
            label: p.tag().to_string(),
            legacy_encrypted,
            der: Zeroizing::new(p.into_contents()),
        }
    }
}

/// Why a text is not PEM: the `pem` crate's error, in words.
#[derive(Debug)]
pub(crate) struct PemError(pub ::pem::PemError);

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ::pem::PemError as E;
        match &self.0 {
            E::MalformedFraming => write!(
                f,
                "no PEM block found (expected a '-----BEGIN ...-----' line and a matching \
                 '-----END ...-----' line)"
            ),
            E::MissingBeginTag => write!(f, "PEM BEGIN line without a label"),
            E::MissingEndTag => write!(f, "PEM END line without a label"),
            E::MismatchedTags(b, e) => write!(f, "PEM labels differ: 'BEGIN {b}' but 'END {e}'"),
            E::NotUtf8(_) => write!(f, "PEM block is not UTF-8 text"),
            E::InvalidHeader(h) => write!(f, "invalid PEM header line {h:?}"),
            E::InvalidData(e) => write!(f, "PEM data is not valid base64 ({e})"),
            other => write!(f, "not PEM ({other})"),
        }
    }
}

/// The first PEM block of `input` (`pem::parse`).
pub(crate) fn parse_first(input: &[u8]) -> Result<Block, PemError> {
    ::pem::parse(input).map(Block::new).map_err(PemError)
}

/// All PEM blocks of `input` (`pem::parse_many`): any malformed block fails the whole text.
pub(crate) fn parse_all(input: &[u8]) -> Result<Vec<Block>, PemError> {
    let blocks = ::pem::parse_many(input).map_err(PemError)?;
    Ok(blocks.into_iter().map(Block::new).collect())
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
