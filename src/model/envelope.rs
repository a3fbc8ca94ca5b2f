//! The two metadata formats and how a file is told apart, read, verified, signed and
//! written, exactly as the reference does it:
//!
//! * legacy "Metablock": `{"signatures": [{"keyid", "sig" (hex)}], "signed": {...}}`; a
//!   signature covers the canonical JSON of the *normalised* `signed` object;
//! * DSSE: `{"payload" (base64), "payloadType": "application/vnd.in-toto+json",
//!   "signatures": [{"keyid", "sig" (base64)}]}`; a signature covers
//!   `PAE = "DSSEv1 <len> <type> <len> <payload>"` over the payload bytes as they are.
//!
//! A file with a `payload` key is DSSE (and must have the in-toto payload type), else one
//! with `signed` is legacy, else it is invalid (`InvalidMetadata`). A file that is not a JSON
//! object fails as `Metadata.from_dict` does on it (`"payload" in data` on a number is a
//! `TypeError`; on a string it is a substring test, on a list an item test).
//!
//! The text is read as the reference's `json.loads` reads it, in one pass (`read.rs`, over
//! [`json::Reader`]).

use crate::Exc;
use crate::crypto::sha512x::{self, Slices, Source};
use crate::crypto::{Ed25519Check, PrivateKey, PublicKey, pae};
use crate::error::{Error, Result};
use crate::model::layout::Layout;
use crate::model::link::{ArtifactsField, CanonicalParts, Link};
use crate::py::base64::b64dec;
use crate::py::json::{self, DumpStyle, py_repr};
use crate::py::oserror::path_error;
use read::{Doc, PayloadText};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::Arc;

mod read;
mod stream;

/// The DSSE payload type in-toto uses.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Which envelope format a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Legacy,
    Dsse,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Legacy => "legacy",
            Format::Dsse => "dsse",
        }
    }
}

/// What a metadata file carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Link(Arc<Link>),
    Layout(Box<Layout>),
}

impl Payload {
    /// `"link"` or `"layout"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Payload::Link(_) => "link",
            Payload::Layout(_) => "layout",
        }
    }

    /// The normalised object (`attr.asdict(...)`).
    pub fn to_value(&self) -> Value {
        match self {
            Payload::Link(l) => l.to_value(),
            Payload::Layout(l) => l.to_value(),
        }
    }

    /// Canonical JSON of the normalised object (what a legacy signature covers).
    pub fn canonical(&self) -> Result<Vec<u8>> {
        match self {
            Payload::Link(l) => l.canonical(),
            Payload::Layout(l) => l.canonical(),
        }
    }

    /// [`Payload::canonical`], appended to `out`.
    pub fn canonical_into(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Payload::Link(l) => l.canonical_into(out),
            Payload::Layout(l) => {
                out.extend_from_slice(&l.canonical()?);
                Ok(())
            }
        }
    }

    /// The DSSE payload the reference writes for this object:
    /// `json.dumps(attr.asdict(obj), sort_keys=True)` as UTF-8.
    pub fn dsse_bytes(&self) -> Vec<u8> {
        json::dumps(&self.to_value(), DumpStyle::OneLine).into_bytes()
    }
}

/// A signature of a legacy metablock, kept as written (extra fields included).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySignature {
    /// `keyid` when it is a string.
    pub keyid: Option<String>,
    /// `sig` when it is a string (hex, not checked at load time).
    pub sig: Option<String>,
    /// A GPG signature (`signature` + `other_headers`), which this tool cannot verify.
    pub gpg: bool,
    /// The entry as written.
    pub raw: Map<String, Value>,
}

/// A DSSE signature: keyid and raw signature bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct DsseSignature {
    pub keyid: String,
    pub sig: Vec<u8>,
    /// Other fields of the signature entry, written back as they were.
    pub extra: Map<String, Value>,
}

/// One metadata file: a signed link or layout in either format.
#[derive(Debug, Clone, PartialEq)]
pub enum Metadata {
    Legacy {
        signatures: Vec<LegacySignature>,
        signed: Payload,
    },
    Dsse {
        payload: Arc<[u8]>,
        payload_type: String,
        signatures: Vec<DsseSignature>,
        /// The decoded payload; the reference decodes it only after the signature check,
        /// so a decoding error surfaces when [`Metadata::payload`] is asked for.
        decoded: std::result::Result<Payload, Error>,
    },
}

impl Metadata {
    /// Wrap an object in a new, unsigned envelope of the given format.
    pub fn new(payload: Payload, format: Format) -> Metadata {
        match format {
            Format::Legacy => Metadata::Legacy {
                signatures: Vec::new(),
                signed: payload,
            },
            Format::Dsse => Metadata::Dsse {
                payload: payload.dsse_bytes().into(),
                payload_type: PAYLOAD_TYPE.into(),
                signatures: Vec::new(),
                decoded: Ok(payload),
            },
        }
    }

    /// Read a metadata file (`Metadata.load`). I/O failures keep their OS error class
    /// (`FileNotFoundError`, `IsADirectoryError`, ...): see [`Error::is_os_error`].
    pub fn load(path: &Path) -> Result<Metadata> {
        // The file's bytes are only needed while parsing: read them into a buffer kept per
        // thread (big links then cost no fresh pages each time). A big DSSE envelope is
        // read and decoded in pieces.
        with_scratch(&READ_BUFFER, |buf| {
            let (mut file, size) =
                crate::fsutil::open_regular(path).map_err(|e| path_error(&e, path))?;
            let _claim = crate::memory::claim_for_file(size, &path.display().to_string())?;
            if let Some(md) = stream::load(&mut file, size, buf) {
                return md;
            }
            crate::fsutil::read_open_into(&mut file, size, buf)
                .map_err(|e| path_error(&e, path))?;
            Metadata::from_bytes(buf)
        })
    }

    /// Parse metadata from the bytes of a file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Metadata> {
        let (doc, marked) = read::top(bytes, None)?;
        Metadata::from_doc(doc, marked)
    }

    /// `Metadata.from_dict` on what `json.loads` returned: `if "payload" in data: ...
    /// elif "signed" in data: ...`, then `data.get(...)`.
    fn from_doc(doc: Doc, marked: Option<char>) -> Result<Metadata> {
        let top = match doc {
            Doc::Object(top) => top,
            // `in` on a string is a substring test, on a list an item test.
            Doc::Other(Value::String(s)) => {
                return Err(not_an_object(
                    "str",
                    s.contains("payload") || s.contains("signed"),
                ));
            }
            Doc::Other(Value::Array(items)) => {
                let has = items.iter().any(|v| v == "payload" || v == "signed");
                return Err(not_an_object("list", has));
            }
            Doc::Other(other) => {
                return Err(Error::new(
                    Exc::TypeError,
                    format!("argument of type '{}' is not iterable", short_type(&other)),
                ));
            }
        };
        Metadata::from_top(
            top.signatures,
            top.signed,
            top.payload,
            top.payload_type,
            top.has_payload,
            top.has_signed,
            marked,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn from_top(
        signatures: Option<Value>,
        signed: Option<RawSigned>,
        payload: Option<PayloadText>,
        payload_type: Option<Value>,
        has_payload: bool,
        has_signed: bool,
        marked: Option<char>,
    ) -> Result<Metadata> {
        if has_payload {
            if payload_type.as_ref().and_then(Value::as_str) != Some(PAYLOAD_TYPE) {
                return Err(Error::new(Exc::InvalidMetadata, ""));
            }
            return Metadata::dsse_from_parts(payload, signatures);
        }
        if !has_signed {
            return Err(Error::new(Exc::InvalidMetadata, ""));
        }
        // `Metablock.from_dict` reads `signed` (`Link.read`/`Layout.read`) before the
        // constructor validates `signatures`: a bad body is reported first.
        let body = match signed {
            Some(RawSigned::Body(b)) => *b,
            Some(RawSigned::NotObject(t)) => {
                return Err(Error::new(
                    Exc::AttributeError,
                    format!("'{t}' object has no attribute 'get'"),
                ));
            }
            None => RawBody::default(),
        };
        let signed = match body.type_.as_ref().and_then(Value::as_str) {
            Some("link") => Payload::Link(Arc::new(body.into_link(marked)?)),
            Some("layout") => Payload::Layout(Box::new(body.into_layout(marked)?)),
            _ => return Err(Error::format("Invalid Metadata format")),
        };
        let signatures = legacy_signatures(signatures)?;
        Ok(Metadata::Legacy { signatures, signed })
    }

    fn dsse_from_parts(
        payload: Option<PayloadText>,
        signatures: Option<Value>,
    ) -> Result<Metadata> {
        let payload = match payload {
            Some(PayloadText::Decoded(p)) => p,
            Some(PayloadText::Value(Value::String(s))) => b64dec(&s).map(Arc::from)?,
            Some(PayloadText::Value(other)) => {
                return Err(Error::new(
                    Exc::AttributeError,
                    format!("'{}' object has no attribute 'encode'", short_type(&other)),
                ));
            }
            None => return Err(Error::new(Exc::KeyError, "'payload'")),
        };
        // `for signature in data["signatures"]: signature["sig"] ...`: a dict yields its keys
        // and a string its characters, so an empty one is no signature at all and any other
        // fails on indexing a string.
        let list = match signatures {
            Some(Value::Array(a)) => a,
            Some(Value::Object(m)) if m.is_empty() => Vec::new(),
            Some(Value::String(s)) if s.is_empty() => Vec::new(),
            Some(Value::Object(_) | Value::String(_)) => {
                return Err(Error::new(Exc::TypeError, STR_INDEX_ERROR));
            }
            Some(other) => {
                return Err(Error::new(
                    Exc::TypeError,
                    format!("'{}' object is not iterable", short_type(&other)),
                ));
            }
            None => return Err(Error::new(Exc::KeyError, "'signatures'")),
        };
        let mut sigs: Vec<DsseSignature> = Vec::with_capacity(list.len());
        for entry in list {
            let Value::Object(mut m) = entry else {
                return Err(Error::new(Exc::TypeError, subscript_error(&entry)));
            };
            let sig = match m.remove("sig") {
                Some(Value::String(s)) => b64dec(&s)?,
                Some(_) => return Err(Error::new(Exc::AttributeError, "'sig' must be a string")),
                None => return Err(Error::new(Exc::KeyError, "'sig'")),
            };
            let keyid = match m.remove("keyid") {
                Some(Value::String(s)) => s,
                Some(other) => json::py_str(&other),
                None => return Err(Error::new(Exc::KeyError, "'keyid'")),
            };
            if sigs.iter().any(|s| s.keyid == keyid) {
                return Err(Error::new(
                    Exc::ValueError,
                    format!("Multiple signatures found for keyid {keyid}"),
                ));
            }
            sigs.push(DsseSignature {
                keyid,
                sig,
                extra: m,
            });
        }
        let decoded = decode_payload(&payload);
        Ok(Metadata::Dsse {
            payload,
            payload_type: PAYLOAD_TYPE.into(),
            signatures: sigs,
            decoded,
        })
    }

    pub fn format(&self) -> Format {
        match self {
            Metadata::Legacy { .. } => Format::Legacy,
            Metadata::Dsse { .. } => Format::Dsse,
        }
    }

    /// `get_payload()`: the link or layout (for DSSE, decoding errors surface here).
    pub fn payload(&self) -> Result<&Payload> {
        match self {
            Metadata::Legacy { signed, .. } => Ok(signed),
            Metadata::Dsse { decoded, .. } => decoded.as_ref().map_err(Clone::clone),
        }
    }

    /// The keyids of all signatures, in file order.
    pub fn signature_keyids(&self) -> Vec<String> {
        match self {
            Metadata::Legacy { signatures, .. } => signatures
                .iter()
                .map(|s| s.keyid.clone().unwrap_or_default())
                .collect(),
            Metadata::Dsse { signatures, .. } => {
                signatures.iter().map(|s| s.keyid.clone()).collect()
            }
        }
    }

    /// Verify the signature by `key` as the reference's `verify_signature(key_dict)`.
    ///
    /// `Err` with class `SignatureVerificationError` means "not validly signed by this key"
    /// (the message says why, also where the reference says nothing); any other class is a
    /// fatal error (e.g. `FormatError` when the signed object has a float and cannot be
    /// canonicalised).
    pub fn verify_signature(&self, key: &PublicKey) -> Result<()> {
        let prepared = self.prepare_signature(key);
        let mut sources = prepared.sources();
        let digests: Vec<[u8; 64]> = sources
            .iter_mut()
            .map(|s| sha512x::digest_one(&mut **s))
            .collect();
        drop(sources);
        prepared.finish(&digests)
    }

    /// [`Metadata::verify_signature`] up to the SHA-512 hashing that ed25519 checks need,
    /// so that the caller can hash the messages of many files at once
    /// ([`sha512x::digest_all`]). The result owns what it needs (this metadata can be
    /// dropped); any other key is checked here at once.
    pub fn prepare_signature(&self, key: &PublicKey) -> PreparedSignature {
        let fail = |m: String| Error::new(Exc::SignatureVerificationError, m);
        let done = PreparedSignature::Done;
        match self {
            Metadata::Legacy { signatures, signed } => {
                let Some(sig) = signatures
                    .iter()
                    .find(|s| s.keyid.as_deref() == Some(&key.keyid))
                else {
                    return done(Err(fail(format!(
                        "No signature found for key '{}'",
                        key.keyid
                    ))));
                };
                // Only a well-formed signature with an ed25519 key waits for a hash; the
                // rest is checked here with the whole canonical text.
                let check = match (sig.gpg, sig.sig.as_deref().map(crate::py::hex::fromhex)) {
                    (false, Some(Some(raw))) => key.ed25519_check(&raw),
                    _ => None,
                };
                let Some(check) = check else {
                    return done(with_scratch(&MESSAGE_BUFFER, |bytes| {
                        signed.canonical_into(bytes)?;
                        Metadata::verify_legacy(sig, key, bytes)
                    }));
                };
                // The order of the checks is the reference's: canonical JSON first.
                let message = match signed {
                    Payload::Link(l) => match l.canonical_parts() {
                        Ok(parts) => LegacyMessage::Link(parts),
                        Err(e) => return done(Err(e)),
                    },
                    Payload::Layout(l) => match l.canonical() {
                        Ok(bytes) => LegacyMessage::Bytes(bytes),
                        Err(e) => return done(Err(e)),
                    },
                };
                match check {
                    Err(why) => done(Err(invalid_signature(&key.keyid, &why))),
                    Ok(check) => PreparedSignature::Legacy {
                        check: Box::new(check),
                        message,
                        keyid: key.keyid.clone(),
                    },
                }
            }
            Metadata::Dsse {
                payload,
                payload_type,
                signatures,
                ..
            } => {
                let sigs: Vec<&DsseSignature> =
                    signatures.iter().filter(|s| s.keyid == key.keyid).collect();
                if sigs.is_empty() {
                    return done(Err(fail(format!(
                        "no DSSE signature by key '{}'",
                        key.keyid
                    ))));
                }
                let mut checks = Vec::with_capacity(sigs.len());
                for s in &sigs {
                    match key.ed25519_check(&s.sig) {
                        Some(c) => checks.push(c),
                        None => return done(verify_dsse_direct(key, &sigs, payload_type, payload)),
                    }
                }
                let header = pae_header(payload_type, payload.len());
                PreparedSignature::Dsse {
                    checks,
                    header,
                    payload: Arc::clone(payload),
                    keyid: key.keyid.clone(),
                }
            }
        }
    }

    /// The legacy signature check of [`Metadata::verify_signature`] over canonical `bytes`.
    fn verify_legacy(sig: &LegacySignature, key: &PublicKey, bytes: &[u8]) -> Result<()> {
        let invalid = |why: &str| invalid_signature(&key.keyid, why);
        if sig.gpg {
            return Err(invalid("GPG signatures are not supported"));
        }
        let Some(hex_sig) = sig.sig.as_deref() else {
            return Err(invalid("no 'sig' field"));
        };
        let Some(raw) = crate::py::hex::fromhex(hex_sig) else {
            return Err(invalid("signature is not hex"));
        };
        key.verify(&raw, bytes).map_err(|why| invalid(&why))
    }

    /// Remove all signatures.
    pub fn clear_signatures(&mut self) {
        match self {
            Metadata::Legacy { signatures, .. } => signatures.clear(),
            Metadata::Dsse { signatures, .. } => signatures.clear(),
        }
    }

    /// Sign with `key` and add the signature (DSSE: replaces one by the same keyid).
    pub fn sign(&mut self, key: &PrivateKey) -> Result<()> {
        let keyid = key.public_key().keyid.clone();
        match self {
            Metadata::Legacy { signatures, signed } => {
                let sig = key.sign(&signed.canonical()?)?;
                let mut raw = Map::new();
                raw.insert("keyid".into(), Value::String(keyid.clone()));
                raw.insert("sig".into(), Value::String(crate::py::hex::hex(&sig)));
                signatures.push(LegacySignature {
                    keyid: Some(keyid),
                    sig: Some(crate::py::hex::hex(sig)),
                    gpg: false,
                    raw,
                });
            }
            Metadata::Dsse {
                payload,
                payload_type,
                signatures,
                ..
            } => {
                let sig = key.sign(&pae(payload_type, payload))?;
                match signatures.iter_mut().find(|s| s.keyid == keyid) {
                    Some(existing) => existing.sig = sig,
                    None => signatures.push(DsseSignature {
                        keyid,
                        sig,
                        extra: Map::new(),
                    }),
                }
            }
        }
        Ok(())
    }

    /// The file contents the reference writes: legacy with indent 1 and no trailing
    /// newline; DSSE on one line; both with sorted keys and ASCII-only text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut top = Map::new();
        match self {
            Metadata::Legacy { signatures, signed } => {
                top.insert(
                    "signatures".into(),
                    Value::Array(
                        signatures
                            .iter()
                            .map(|s| Value::Object(s.raw.clone()))
                            .collect(),
                    ),
                );
                top.insert("signed".into(), signed.to_value());
                json::dumps(&Value::Object(top), DumpStyle::Pretty).into_bytes()
            }
            Metadata::Dsse {
                payload,
                payload_type,
                signatures,
                ..
            } => {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                top.insert("payload".into(), Value::String(b64.encode(payload)));
                top.insert("payloadType".into(), Value::String(payload_type.clone()));
                top.insert(
                    "signatures".into(),
                    Value::Array(
                        signatures
                            .iter()
                            .map(|s| {
                                let mut m = s.extra.clone();
                                m.insert("keyid".into(), Value::String(s.keyid.clone()));
                                m.insert("sig".into(), Value::String(b64.encode(&s.sig)));
                                Value::Object(m)
                            })
                            .collect(),
                    ),
                );
                json::dumps(&Value::Object(top), DumpStyle::OneLine).into_bytes()
            }
        }
    }
}

/// The DSSE check of [`Metadata::verify_signature`] with the whole PAE in a buffer.
fn verify_dsse_direct(
    key: &PublicKey,
    sigs: &[&DsseSignature],
    payload_type: &str,
    payload: &[u8],
) -> Result<()> {
    let mut reasons = Vec::new();
    with_scratch(&MESSAGE_BUFFER, |msg| {
        pae_into(msg, payload_type, payload);
        for s in sigs {
            match key.verify(&s.sig, msg) {
                Ok(()) => return Ok(()),
                Err(why) => reasons.push(why),
            }
        }
        Err(dsse_mismatch(&key.keyid, &reasons))
    })
}

/// A legacy signature by `keyid` that does not verify, and why.
fn invalid_signature(keyid: &str, why: &str) -> Error {
    Error::new(
        Exc::SignatureVerificationError,
        format!("Invalid signature for keyid '{keyid}' ({why})"),
    )
}

/// The reason a DSSE file is not signed by `keyid`, from the reasons of its signatures.
fn dsse_mismatch(keyid: &str, reasons: &[String]) -> Error {
    Error::new(
        Exc::SignatureVerificationError,
        format!(
            "DSSE signature by key '{keyid}' does not verify ({})",
            reasons.join("; ")
        ),
    )
}

/// A legacy signature's message: a link's canonical JSON, produced as it is hashed, or
/// other canonical JSON (a layout) as bytes.
pub enum LegacyMessage {
    Link(CanonicalParts),
    Bytes(Vec<u8>),
}

/// A signature check of [`Metadata::prepare_signature`], waiting for the SHA-512 digests
/// of its [`PreparedSignature::sources`].
pub enum PreparedSignature {
    /// Decided without hashing (or checked at once: not an ed25519 key).
    Done(Result<()>),
    /// One ed25519 signature over a legacy message.
    Legacy {
        check: Box<Ed25519Check>,
        message: LegacyMessage,
        keyid: String,
    },
    /// The DSSE signatures by one key, in file order; the first that verifies decides.
    Dsse {
        checks: Vec<std::result::Result<Ed25519Check, String>>,
        /// The PAE up to the payload: `DSSEv1 <len> <type> <len> `.
        header: Vec<u8>,
        payload: Arc<[u8]>,
        keyid: String,
    },
}

impl PreparedSignature {
    /// The texts to hash, one per signature still to check: `R || A || message`.
    pub fn sources(&self) -> Vec<Box<dyn Source + Send + '_>> {
        match self {
            PreparedSignature::Done(_) => Vec::new(),
            PreparedSignature::Legacy { check, message, .. } => {
                let source: Box<dyn Source + Send + '_> = match message {
                    LegacyMessage::Link(parts) => {
                        Box::new(sha512x::Prefixed::new(check.prefix(), parts.stream()))
                    }
                    LegacyMessage::Bytes(b) => Box::new(Slices::new(vec![check.prefix(), b])),
                };
                vec![source]
            }
            PreparedSignature::Dsse {
                checks,
                header,
                payload,
                ..
            } => checks
                .iter()
                .filter_map(|c| c.as_ref().ok())
                .map(|c| {
                    Box::new(Slices::new(vec![c.prefix(), header, payload]))
                        as Box<dyn Source + Send>
                })
                .collect(),
        }
    }

    /// How many texts [`PreparedSignature::sources`] gives.
    pub fn message_count(&self) -> usize {
        match self {
            PreparedSignature::Done(_) => 0,
            PreparedSignature::Legacy { .. } => 1,
            PreparedSignature::Dsse { checks, .. } => checks.iter().filter(|c| c.is_ok()).count(),
        }
    }

    /// The verdict, given the digests of [`PreparedSignature::sources`] in order.
    pub fn finish(self, digests: &[[u8; 64]]) -> Result<()> {
        match self {
            PreparedSignature::Done(r) => r,
            PreparedSignature::Legacy { check, keyid, .. } => check
                .finish(&digests[0])
                .map_err(|f| invalid_signature(&keyid, &f.reason)),
            PreparedSignature::Dsse { checks, keyid, .. } => {
                let mut digests = digests.iter();
                let mut reasons = Vec::new();
                for c in checks {
                    match c {
                        Ok(c) => match c.finish(digests.next().expect("one digest per check")) {
                            Ok(()) => return Ok(()),
                            Err(f) => reasons.push(f.reason),
                        },
                        Err(why) => reasons.push(why),
                    }
                }
                Err(dsse_mismatch(&keyid, &reasons))
            }
        }
    }
}

thread_local! {
    /// The bytes of the file being parsed (see [`Metadata::load`]).
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The message a signature is checked over (canonical JSON or DSSE PAE).
    static MESSAGE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Buffers bigger than this are freed after use rather than kept for the next file.
const SCRATCH_KEEP_MAX: usize = 256 << 20;

/// Run `f` with a cleared per-thread buffer. Re-entrant: a nested use gets a fresh buffer.
fn with_scratch<R>(
    slot: &'static std::thread::LocalKey<RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> R {
    let mut buf = slot.with(|b| std::mem::take(&mut *b.borrow_mut()));
    buf.clear();
    let out = f(&mut buf);
    if buf.capacity() <= SCRATCH_KEEP_MAX {
        buf.clear();
        slot.with(|b| {
            let mut b = b.borrow_mut();
            if b.capacity() < buf.capacity() {
                *b = buf;
            }
        });
    }
    out
}

/// The DSSE pre-authentication encoding of [`pae`], written into `out`.
fn pae_into(out: &mut Vec<u8>, payload_type: &str, payload: &[u8]) {
    out.clear();
    out.reserve(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(&pae_header(payload_type, payload.len()));
    out.extend_from_slice(payload);
}

/// The PAE up to the payload: `DSSEv1 <len> <type> <len> `.
fn pae_header(payload_type: &str, payload_len: usize) -> Vec<u8> {
    format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload_len
    )
    .into_bytes()
}

/// Read a whole file, keeping the OS error class of a failure. Only regular files are read
/// (a FIFO or device is an `OSError`, which link loading skips like a missing file).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    crate::fsutil::read_regular(path).map_err(|e| path_error(&e, path))
}

impl Error {
    /// Whether this is an `OSError` (a missing or unreadable file), which link loading
    /// skips, as the reference does.
    pub fn is_os_error(&self) -> bool {
        matches!(
            self.class,
            Exc::FileNotFoundError
                | Exc::PermissionError
                | Exc::IsADirectoryError
                | Exc::NotADirectoryError
                | Exc::OSError
        )
    }
}

/// A top-level string or list: `"payload" in data` or `"signed" in data` holds (`has`),
/// and `data.get` fails, or neither does.
fn not_an_object(type_name: &str, has: bool) -> Error {
    if has {
        Error::new(
            Exc::AttributeError,
            format!("'{type_name}' object has no attribute 'get'"),
        )
    } else {
        Error::new(Exc::InvalidMetadata, "")
    }
}

/// Python's `TypeError` text for `text["sig"]` on a string.
const STR_INDEX_ERROR: &str = "string indices must be integers, not 'str'";

/// Python's `TypeError` text for `entry["sig"]` on something that is not a dict.
fn subscript_error(entry: &Value) -> String {
    match entry {
        Value::String(_) => STR_INDEX_ERROR.into(),
        Value::Array(_) => "list indices must be integers or slices, not str".into(),
        other => format!("'{}' object is not subscriptable", short_type(other)),
    }
}

fn short_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if json::number_is_int(n) => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Decode a DSSE payload (`Envelope.get_payload`).
fn decode_payload(payload: &[u8]) -> Result<Payload> {
    // `json.loads(self.payload.decode("utf-8"))`.
    let (body, marked) = read::signed_doc(payload)?;
    let body = match body {
        RawSigned::Body(b) => *b,
        RawSigned::NotObject(t) => {
            return Err(Error::new(
                Exc::AttributeError,
                format!("'{t}' object has no attribute 'get'"),
            ));
        }
    };
    match body.type_.as_ref().and_then(Value::as_str) {
        Some("link") => Ok(Payload::Link(Arc::new(body.into_link(marked)?))),
        Some("layout") => Ok(Payload::Layout(Box::new(body.into_layout(marked)?))),
        _ => Err(Error::new(Exc::InvalidMetadata, "")),
    }
}

fn legacy_signatures(v: Option<Value>) -> Result<Vec<LegacySignature>> {
    let list = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(Error::format(
                "The Metablock's 'signatures' property has to be of type 'list'.",
            ));
        }
    };
    list.into_iter()
        .map(|entry| {
            let Value::Object(m) = entry else {
                return Err(Error::format(format!(
                    "expected dict, got '{} ({})'",
                    json::py_str(&entry),
                    json::py_type(&entry)
                )));
            };
            let gpg = m.contains_key("keyid")
                && m.contains_key("signature")
                && m.contains_key("other_headers");
            let plain = m.contains_key("keyid") && m.contains_key("sig");
            if !gpg && !plain {
                return Err(Error::format(format!(
                    "expected signature dict, got '{} (<class 'dict'>)'",
                    py_repr(&Value::Object(m))
                )));
            }
            Ok(LegacySignature {
                keyid: m.get("keyid").and_then(Value::as_str).map(str::to_string),
                sig: m.get("sig").and_then(Value::as_str).map(str::to_string),
                gpg,
                raw: m,
            })
        })
        .collect()
}

/// Canonical standard base64 (length a multiple of 4, `=` padding only at the end, zero
/// trailing bits) decoded straight into its final buffer; `None` for anything else.
fn b64dec_canonical(s: &[u8]) -> Option<Arc<[u8]>> {
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = PayloadBuf::new(s.len(), &s[s.len().saturating_sub(4)..]);
    // Whole quanta without padding decode exactly into the front of the buffer; the last
    // quantum (which may be padded) separately, as the decoder wants room for 3 bytes.
    let split = s.len().saturating_sub(4);
    out.quanta(&s[..split])?;
    out.last(&s[split..])?;
    out.finish()
}

/// The bytes of a payload of canonical base64 as they are decoded, front to back, into
/// their final buffer, which is not zeroed first (it is written whole before it is read).
/// Bytes `..filled` are written.
pub(crate) struct PayloadBuf {
    buf: Arc<[MaybeUninit<u8>]>,
    filled: usize,
}

impl PayloadBuf {
    /// Room for what `letters` letters of canonical base64 ending with `last` (its last
    /// quantum, whose padding tells the length) decode to.
    pub(crate) fn new(letters: usize, last: &[u8]) -> PayloadBuf {
        let pads = last
            .iter()
            .rev()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        let len = (letters / 4 * 3).saturating_sub(pads);
        PayloadBuf {
            buf: Arc::new_uninit_slice(len),
            filled: 0,
        }
    }

    /// The next `n` bytes to write.
    fn next(&mut self, n: usize) -> Option<&mut [MaybeUninit<u8>]> {
        let at = self.filled;
        Arc::get_mut(&mut self.buf)?.get_mut(at..at.checked_add(n)?)
    }

    /// Whole quanta of base64 with no padding (`s.len()` a multiple of 4), after what is
    /// decoded; `None` if `s` is not such base64 or does not fit.
    pub(crate) fn quanta(&mut self, s: &[u8]) -> Option<()> {
        if !s.len().is_multiple_of(4) {
            return None;
        }
        let n = s.len() / 4 * 3;
        // `base64-simd` (about 2.5x the `base64` crate here) refuses anything but the 64
        // letters in whole quanta, as the length check needs; it writes the bytes it
        // returns at the front of `out`.
        let out = base64_simd::Out::from_uninit_slice(self.next(n)?);
        let decoded = base64_simd::STANDARD.decode(s, out).ok()?;
        if decoded.len() != n {
            return None;
        }
        self.filled += n;
        Some(())
    }

    /// The last quantum of canonical base64 (`s` is its 4 letters, or empty for no
    /// letters), which must fill exactly what is left.
    pub(crate) fn last(&mut self, s: &[u8]) -> Option<()> {
        use base64::Engine as _;
        let mut last = [0u8; 3];
        let n = base64::engine::general_purpose::STANDARD
            .decode_slice(s, &mut last)
            .ok()?;
        if self.filled + n != self.buf.len() {
            return None;
        }
        for (o, b) in self.next(n)?.iter_mut().zip(&last[..n]) {
            o.write(*b);
        }
        self.filled += n;
        Some(())
    }

    /// The decoded bytes, once every one is written.
    pub(crate) fn finish(self) -> Option<Arc<[u8]>> {
        if self.filled != self.buf.len() {
            return None;
        }
        // SAFETY: `filled` counts the bytes written at the front of `buf` (`quanta` and
        // `last` add only what they wrote there, and nothing else writes it), and it is
        // the whole length: every byte is initialized.
        Some(unsafe { self.buf.assume_init() })
    }
}

// ---------------------------------------------------------------------------------------
// What the reading keeps of the `signed` object, for the reference's checks that follow.

/// The `signed` object (or a DSSE payload): the union of link and layout fields.
#[derive(Default)]
struct RawBody {
    type_: Option<Value>,
    // link fields
    name: Option<Value>,
    command: Option<Value>,
    materials: Option<ArtifactsField>,
    products: Option<ArtifactsField>,
    byproducts: Option<Value>,
    environment: Option<Value>,
    // layout fields
    layout: Map<String, Value>,
}

enum RawSigned {
    Body(Box<RawBody>),
    /// Not an object: its Python type.
    NotObject(&'static str),
}

impl RawBody {
    fn into_link(self, marked: Option<char>) -> Result<Link> {
        // The reference computes the canonical bytes while validating a new Link, before its
        // field checks: floats (`FormatError`) and lone surrogates (`UnicodeEncodeError`)
        // fail here, wherever they are in the known fields.
        for v in [
            &self.name,
            &self.command,
            &self.byproducts,
            &self.environment,
        ]
        .into_iter()
        .flatten()
        {
            json::check_encodable(v, marked)?;
        }
        let field_type = |field: &str, v: &Value| {
            Error::format(format!(
                "Invalid Link: field `{field}` must be of type {}, got: {}",
                if field == "command" { "list" } else { "dict" },
                json::py_type(v)
            ))
        };
        let dict = |field: &str, v: Option<Value>| -> Result<Map<String, Value>> {
            match v {
                None => Ok(Map::new()),
                Some(Value::Object(m)) => Ok(m),
                Some(other) => Err(field_type(field, &other)),
            }
        };
        let byproducts = dict("byproducts", self.byproducts)?;
        let command = match self.command {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(other) => return Err(field_type("command", &other)),
        };
        let environment = dict("environment", self.environment)?;
        let artifacts = |field: &str, v: Option<ArtifactsField>| match v {
            None => Ok(Arc::default()),
            Some(ArtifactsField(Ok(a))) => Ok(Arc::new(a)),
            Some(ArtifactsField(Err(e))) if e.starts_with("<class") => Err(Error::format(format!(
                "Invalid Link: field `{field}` must be of type dict, got: {e}"
            ))),
            Some(ArtifactsField(Err(e))) => Err(Error::format(e)),
        };
        let materials = artifacts("materials", self.materials)?;
        let products = artifacts("products", self.products)?;
        if let Some(mark) = marked {
            for a in [&materials, &products] {
                if a.iter()
                    .any(|(p, h)| p.contains(mark) || h.iter().any(|(alg, _)| alg.contains(mark)))
                {
                    return Err(json::surrogate_error());
                }
            }
        }
        Ok(Link {
            name: self.name.unwrap_or(Value::Null),
            command,
            materials,
            products,
            byproducts,
            environment,
        })
    }

    fn into_layout(self, marked: Option<char>) -> Result<Layout> {
        Layout::from_value_marked(&Value::Object(self.layout), marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload buffer gives its bytes only once every one is written, and takes no
    /// more than it has room for.
    #[test]
    fn payload_buffer_is_read_only_when_full() {
        let text = b"aGVsbG8gd29ybGQh"; // "hello world!", 12 bytes, no padding
        let mut b = PayloadBuf::new(text.len(), &text[12..]);
        assert!(b.quanta(&text[..8]).is_some());
        assert!(b.last(&text[12..]).is_none(), "6 bytes would be missing");
        assert!(b.quanta(&text[8..12]).is_some());
        assert!(b.quanta(b"AAAAAAAA").is_none(), "no room for more");
        assert!(b.last(&text[12..]).is_some());
        assert_eq!(&*b.finish().expect("full"), b"hello world!");

        let padded = b"aGk="; // "hi"
        let mut b = PayloadBuf::new(4, padded);
        assert!(b.quanta(b"").is_some());
        assert!(b.quanta(b"aGk").is_none(), "not whole quanta");
        let half = PayloadBuf::new(4, padded);
        assert!(half.finish().is_none(), "nothing written");
        assert!(b.last(padded).is_some());
        assert_eq!(&*b.finish().expect("full"), b"hi");
        assert_eq!(
            b64dec_canonical(b"aGVsbG8gd29ybGQh").as_deref(),
            Some(&b"hello world!"[..])
        );
        assert!(b64dec_canonical(b"aGVsbG8gd29ybGQ").is_none());
    }

    #[test]
    fn canonical_base64_fast_path_agrees() {
        for s in [
            "", "YQ==", "YWI=", "YWJj", "YWJjZA==", "YWJjZGVm", "YQ", "YR==", "YWJ=", "====",
            "YQ==YQ==", "-_8=", "YW Jj", "YWJjZ", "=YQ=", "/+/+", "////", "AAAA",
        ] {
            if let Some(fast) = b64dec_canonical(s.as_bytes()) {
                assert_eq!(&*fast, &b64dec(s).unwrap()[..], "{s}");
            }
        }
    }

    /// The SIMD bulk decoder accepts exactly canonical base64: every canonical encoding
    /// decodes to its bytes, and any alteration is either refused (the general decoder
    /// then decides) or decodes as the general decoder does.
    #[test]
    fn canonical_base64_fast_path_agrees_on_altered_long_texts() {
        use base64::Engine as _;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"=-_ \n\"\\\x00AZaz09+/";
        for case in 0..3000 {
            let len = (next() % 300) as usize;
            let raw: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let text = base64::engine::general_purpose::STANDARD.encode(&raw);
            assert_eq!(
                b64dec_canonical(text.as_bytes()),
                Some(Arc::from(&raw[..])),
                "canonical, case {case}"
            );
            let mut bytes = text.into_bytes();
            if bytes.is_empty() {
                continue;
            }
            let at = (next() as usize) % bytes.len();
            let c = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => bytes[at] = c,
                1 => bytes.insert(at, c),
                _ => {
                    bytes.remove(at);
                }
            }
            let Ok(altered) = String::from_utf8(bytes) else {
                continue;
            };
            if let Some(fast) = b64dec_canonical(altered.as_bytes()) {
                assert_eq!(
                    &*fast,
                    &b64dec(&altered).unwrap()[..],
                    "case {case}: {altered:?}"
                );
            }
        }
    }

    #[test]
    fn classification() {
        assert_eq!(
            Metadata::from_bytes(b"{}").unwrap_err().class,
            "InvalidMetadata"
        );
        assert_eq!(
            Metadata::from_bytes(b"[]").unwrap_err().class,
            "InvalidMetadata"
        );
        assert_eq!(
            Metadata::from_bytes(b"").unwrap_err().class,
            "JSONDecodeError"
        );
        assert_eq!(
            Metadata::from_bytes(br#"{"payload": "e30=", "payloadType": "x", "signed": {}}"#)
                .unwrap_err()
                .class,
            "InvalidMetadata"
        );
        assert_eq!(
            Metadata::from_bytes(br#"{"signed": {"_type": "other"}}"#)
                .unwrap_err()
                .class,
            "FormatError"
        );
        let m = Metadata::from_bytes(br#"{"signed": {"_type": "link", "x": 1}}"#).unwrap();
        assert_eq!(m.format(), Format::Legacy);
        assert!(matches!(m.payload().unwrap(), Payload::Link(_)));
    }

    fn err(text: &[u8]) -> (Exc, String) {
        let e = Metadata::from_bytes(text).unwrap_err();
        (e.class, e.message)
    }

    fn link_of(m: &Metadata) -> &Link {
        match m.payload().unwrap() {
            Payload::Link(l) => l,
            Payload::Layout(_) => panic!("not a link"),
        }
    }

    fn dsse(payload: impl AsRef<[u8]>, signatures: &str) -> Vec<u8> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(payload.as_ref());
        format!(
            r#"{{"payload": "{b64}", "payloadType": "{PAYLOAD_TYPE}", "signatures": {signatures}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn top_level_non_objects_like_metadata_from_dict() {
        let type_error = |t: &str| {
            (
                Exc::TypeError,
                format!("argument of type '{t}' is not iterable"),
            )
        };
        let no_get = |t: &str| {
            (
                Exc::AttributeError,
                format!("'{t}' object has no attribute 'get'"),
            )
        };
        let invalid = (Exc::InvalidMetadata, String::new());
        assert_eq!(err(b"5"), type_error("int"));
        assert_eq!(err(b" -0 "), type_error("int"));
        assert_eq!(err(b"1.5"), type_error("float"));
        assert_eq!(err(b"1e5"), type_error("float"));
        assert_eq!(err(b"NaN"), type_error("float"));
        assert_eq!(err(b"true"), type_error("bool"));
        assert_eq!(err(b"null"), type_error("NoneType"));
        // `in` on a string is a substring test, on a list an item test.
        assert_eq!(err(br#""a payload""#), no_get("str"));
        assert_eq!(err(br#""\u0070ayload""#), no_get("str"));
        assert_eq!(err(br#""unsigned""#), no_get("str"));
        assert_eq!(err(br#""nothing""#), invalid);
        assert_eq!(err(br#"[1, "signed"]"#), no_get("list"));
        assert_eq!(
            err(br#"[{"payload": 1}, ["payload"], "pay", "load"]"#),
            invalid
        );
        assert_eq!(err(b"[]"), invalid);
        // An object keyed by serde_json's number token is an object.
        assert_eq!(err(br#"{"$serde_json::private::Number": "5"}"#), invalid);
        // `signed` that is not a dict.
        assert_eq!(err(br#"{"signed": 5}"#), no_get("int"));
        assert_eq!(err(br#"{"signed": 2.5}"#), no_get("float"));
        assert_eq!(err(br#"{"signed": [1]}"#), no_get("list"));
    }

    #[test]
    fn invalid_utf8_is_a_unicode_decode_error() {
        let want = |pos: usize| {
            (
                Exc::UnicodeDecodeError,
                format!(
                    "'utf-8' codec can't decode byte 0xff in position {pos}: invalid start byte"
                ),
            )
        };
        // In a field the parsers read, in an ignored field (which serde_json skips without
        // checking UTF-8), and where the JSON is broken anyway (the text is decoded first).
        assert_eq!(
            err(b"{\"signed\": {\"_type\": \"link\", \"name\": \"\xff\"}}"),
            want(38)
        );
        assert_eq!(
            err(b"{\"signed\": {\"_type\": \"link\", \"x\": \"\xff\"}}"),
            want(35)
        );
        assert_eq!(
            err(b"{\"x\": \"\xff\", \"signed\": {\"_type\": \"link\"}}"),
            want(7)
        );
        assert_eq!(err(b"{\"signed\": {,,,}} \xff"), want(18));
        // In a DSSE payload (`payload.decode("utf-8")`), after the envelope is read.
        let text = dsse(b"{\"_type\": \"link\", \"x\": \"\xff\"}", "[]");
        let e = Metadata::from_bytes(&text)
            .unwrap()
            .payload()
            .unwrap_err()
            .clone();
        assert_eq!((e.class, e.message), want(24));
    }

    #[test]
    fn deep_nesting_is_a_recursion_error() {
        let want = |kind: &str| {
            (
                Exc::RecursionError,
                format!(
                    "maximum recursion depth exceeded while decoding a JSON {kind} from a unicode string"
                ),
            )
        };
        let n = 200_000;
        let nest = |open: &str, close: &str| format!("{}{}", open.repeat(n), close.repeat(n));
        let text = format!(r#"{{"signatures": [], "signed": {}}}"#, nest("[", "]"));
        assert_eq!(err(text.as_bytes()), want("array"));
        let text = format!("{}1{}", r#"{"a": "#.repeat(n), "}".repeat(n));
        assert_eq!(err(text.as_bytes()), want("object"));
        let text = format!(
            r#"{{"signed": {{"_type": "layout", "readme": {}}}}}"#,
            nest("[", "]")
        );
        assert_eq!(err(text.as_bytes()), want("array"));
        let text = format!(
            r#"{{"signed": {{"_type": "link", "x": {{"y": {}}}}}}}"#,
            nest("[", "]")
        );
        assert_eq!(err(text.as_bytes()), want("array"));
        let text = format!(r#"[{}]"#, nest("[", "]"));
        assert_eq!(err(text.as_bytes()), want("array"));
        let text = format!(
            r#"{{"signed": {{"_type": "link", "materials": {}}}}}"#,
            nest("[", "]")
        );
        assert_eq!(err(text.as_bytes()), want("array"));
        // A syntax error before the deep part wins (document order).
        let text = format!(
            r#"{{"signed": {{"_type": "link",, "x": {}}}}}"#,
            nest("[", "]")
        );
        assert_eq!(err(text.as_bytes()).0, "JSONDecodeError");
        // In a DSSE payload.
        let text = dsse(
            format!(r#"{{"_type": "link", "x": {}}}"#, nest("[", "]")),
            "[]",
        );
        let e = Metadata::from_bytes(&text)
            .unwrap()
            .payload()
            .unwrap_err()
            .clone();
        assert_eq!((e.class, e.message), want("array"));
    }

    #[test]
    fn dsse_signatures_iterated_like_python() {
        let payload = r#"{"_type": "link"}"#;
        for empty in ["{}", r#""""#, "[]"] {
            let m = Metadata::from_bytes(&dsse(payload, empty)).unwrap();
            assert!(m.signature_keyids().is_empty(), "{empty}");
        }
        let str_index = "string indices must be integers, not 'str'";
        for (sigs, want) in [
            (r#"{"a": {"keyid": "k", "sig": "AA=="}}"#, str_index),
            (r#""ab""#, str_index),
            (r#"["x"]"#, str_index),
            ("[[1]]", "list indices must be integers or slices, not str"),
            ("[5]", "'int' object is not subscriptable"),
            ("[1.5]", "'float' object is not subscriptable"),
            ("[null]", "'NoneType' object is not subscriptable"),
            ("[true]", "'bool' object is not subscriptable"),
            ("5", "'int' object is not iterable"),
            ("null", "'NoneType' object is not iterable"),
        ] {
            assert_eq!(
                err(&dsse(payload, sigs)),
                (Exc::TypeError, want.to_string()),
                "{sigs}"
            );
        }
    }

    #[test]
    fn integers_over_4300_digits_are_a_value_error() {
        let digits = "1".repeat(5000);
        let want = (
            Exc::ValueError,
            "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 \
             digits; use sys.set_int_max_str_digits() to increase the limit"
                .to_string(),
        );
        let link = |field: &str| {
            format!(r#"{{"signatures": [], "signed": {{"_type": "link", {field}}}}}"#)
        };
        assert_eq!(
            err(link(&format!(r#""byproducts": {{"return-value": {digits}}}"#)).as_bytes()),
            want
        );
        assert_eq!(err(link(&format!(r#""x": [-{digits}]"#)).as_bytes()), want);
        assert_eq!(
            err(format!(
                r#"{{"signed": {{"_type": "layout", "steps": [{{"threshold": {digits}}}]}}}}"#
            )
            .as_bytes()),
            want
        );
        // Fine for Python: a float, or digits in a string.
        Metadata::from_bytes(link(&format!(r#""x": {digits}.5, "name": "{digits}""#)).as_bytes())
            .unwrap();
        // An error before the literal wins; one after it does not.
        assert_eq!(
            err(link(&format!(r#""y": [1,], "x": {digits}"#)).as_bytes()).0,
            "JSONDecodeError"
        );
        assert_eq!(
            err(link(&format!(r#""x": {digits}, "y": [1,]"#)).as_bytes()),
            want
        );
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(
            err(link(&format!(r#""y": {deep}, "x": {digits}"#)).as_bytes()).0,
            "RecursionError"
        );
        assert_eq!(
            err(link(&format!(r#""x": {digits}, "y": {deep}"#)).as_bytes()),
            want
        );
        // After the document: "Extra data".
        assert_eq!(
            err(format!(r#"{{"signed": {{"_type": "link"}}}} {digits}"#).as_bytes()).0,
            "JSONDecodeError"
        );
        // In a DSSE payload.
        let text = dsse(format!(r#"{{"_type": "link", "x": {digits}}}"#), "[]");
        let e = Metadata::from_bytes(&text)
            .unwrap()
            .payload()
            .unwrap_err()
            .clone();
        assert_eq!((e.class, e.message), want);
    }

    #[test]
    fn number_token_keys_are_plain_keys() {
        let token = "$serde_json::private::Number";
        let text = format!(
            r#"{{"signatures": [], "signed": {{"_type": "link", "name": "x",
            "byproducts": {{"a": {{"{token}": "not a number"}}}},
            "command": [{{"\u0024serde_json::private::Number": "1.5"}}],
            "environment": {{"{token}": "1"}},
            "materials": {{"{token}": {{"{token}": "00"}}, "b": {{}}}}}}}}"#
        );
        let m = Metadata::from_bytes(text.as_bytes()).unwrap();
        let l = link_of(&m);
        assert_eq!(
            l.byproducts["a"],
            serde_json::json!({token: "not a number"})
        );
        assert_eq!(l.command[0], serde_json::json!({token: "1.5"}));
        assert_eq!(l.environment[token], "1");
        assert_eq!(l.materials.get(token).unwrap().get(token), Some("00"));
        assert_eq!(l.materials.paths().collect::<Vec<_>>(), [token, "b"]);
        // The canonical bytes (what a signature covers) hold the key as written.
        let canonical = String::from_utf8(l.canonical().unwrap()).unwrap();
        assert!(
            canonical.contains(&format!(r#""environment":{{"{token}":"1"}}"#)),
            "{canonical}"
        );
        assert!(!canonical.contains('\u{fdd1}'));
        assert_eq!(
            l.canonical().unwrap(),
            json::canonical(&l.to_value()).unwrap()
        );
        // Where the reference wants a dict, such an object is one.
        let text = format!(
            r#"{{"signed": {{"_type": "link", "environment": {{"x": 1}}, "byproducts": {{"{token}": "1"}}}}}}"#
        );
        Metadata::from_bytes(text.as_bytes()).unwrap();
        // Where it wants something else, the message shows the dict.
        let text = format!(r#"{{"signed": {{"_type": "link", "command": {{"{token}": "1"}}}}}}"#);
        assert_eq!(
            err(text.as_bytes()).1,
            "Invalid Link: field `command` must be of type list, got: <class 'dict'>"
        );
        let text = format!(
            r#"{{"signed": {{"_type": "link", "materials": {{"a": {{"sha256": {{"{token}": "1"}}}}}}}}}}"#
        );
        assert!(
            err(text.as_bytes())
                .1
                .contains(&format!("'{{'{token}': '1'}} (<class 'dict'>)'"))
        );
        // Real numbers are still numbers.
        let text = r#"{"signed": {"_type": "link", "environment": 1, "materials": {"a": 2.5}}}"#;
        assert_eq!(
            err(text.as_bytes()).1,
            "Invalid Link: field `environment` must be of type dict, got: <class 'int'>"
        );
        let text = r#"{"signed": {"_type": "link", "materials": {"a": 2.5}}}"#;
        assert!(
            err(text.as_bytes()).1.contains("<class 'float'>"),
            "{:?}",
            err(text.as_bytes())
        );
        // In a DSSE payload too.
        let text = dsse(
            format!(r#"{{"_type": "link", "environment": {{"{token}": "1"}}}}"#),
            "[]",
        );
        let m = Metadata::from_bytes(&text).unwrap();
        assert_eq!(link_of(&m).environment[token], "1");
    }

    #[test]
    fn link_field_checks() {
        let bad = |body: &str| {
            Metadata::from_bytes(format!(r#"{{"signed": {{"_type": "link", {body}}}}}"#).as_bytes())
                .unwrap_err()
        };
        assert_eq!(bad(r#""materials": []"#).class, "FormatError");
        assert_eq!(
            bad(r#""materials": {"a": {"sha256": "xyz"}}"#).class,
            "FormatError"
        );
        assert_eq!(
            bad(r#""materials": {"a": {"sha256": 5}}"#).class,
            "FormatError"
        );
        assert_eq!(bad(r#""materials": {"a": 5}"#).class, "FormatError");
        assert_eq!(bad(r#""products": null"#).class, "FormatError");
        assert_eq!(bad(r#""command": "make""#).class, "FormatError");
        assert_eq!(bad(r#""byproducts": []"#).class, "FormatError");
        // Empty hash dicts are accepted; duplicate paths keep the last value.
        let m = Metadata::from_bytes(
            br#"{"signed": {"_type": "link", "materials": {"a": {}, "b": {"sha256": "01"}, "b": {"sha256": "02"}}}}"#,
        )
        .unwrap();
        let Payload::Link(l) = m.payload().unwrap() else {
            panic!()
        };
        assert_eq!(l.materials.len(), 2);
        assert_eq!(l.materials.get("b").unwrap().get("sha256"), Some("02"));
    }

    #[test]
    fn link_canonical_matches_generic_canonical() {
        let text = br#"{"signed": {"_type": "link", "name": "s", "command": ["a", 1],
            "materials": {"z": {"sha512": "AA", "sha256": "bb"}, "a\"b": {}},
            "products": {"\u00e9": {"sha256": "00"}}, "byproducts": {"return-value": 0, "stdout": "x\n"},
            "environment": {}, "extra": 1}}"#;
        let m = Metadata::from_bytes(text).unwrap();
        let Payload::Link(l) = m.payload().unwrap() else {
            panic!()
        };
        let generic = json::canonical(&l.to_value()).unwrap();
        assert_eq!(l.canonical().unwrap(), generic);
    }
}
