//! Reading a metadata file in one pass of [`json::Reader`]: the fields the reference looks
//! at are built (the artifact dicts, nearly all of a big link, straight into
//! [`ArtifactsField`]), everything else is checked and skipped. Errors of the JSON text are
//! the reference's `json.loads` errors, in document order; the reference's checks of the
//! values come after the whole text is read (in `envelope.rs`), as they come after
//! `json.loads` there.

use super::{RawBody, RawSigned, short_type};
use crate::Result;
use crate::model::link::ArtifactsField;
use crate::py::json::Reader;
use serde_json::Value;
use std::sync::Arc;

/// What the top of a metadata file is.
pub(super) enum Doc {
    Object(Top),
    /// Not an object (`Metadata.from_dict` then fails on it by its type).
    Other(Value),
}

/// The top-level object of a metadata file, as far as the reference reads it.
#[derive(Default)]
pub(super) struct Top {
    pub signatures: Option<Value>,
    pub signed: Option<RawSigned>,
    pub payload: Option<PayloadText>,
    pub payload_type: Option<Value>,
    pub has_payload: bool,
    pub has_signed: bool,
}

/// A DSSE `payload` field.
pub(super) enum PayloadText {
    /// Canonical base64, already decoded.
    Decoded(Arc<[u8]>),
    Value(Value),
}

/// A payload decoded beforehand, standing for the empty string at that place of the text
/// (the offset of its opening quote).
pub(super) type Predecoded = (usize, Arc<[u8]>);

/// Read a whole metadata file (with `pre`, one whose payload was decoded beforehand); the
/// stand-in for lone surrogates comes with it.
pub(super) fn top(bytes: &[u8], mut pre: Option<Predecoded>) -> Result<(Doc, Option<char>)> {
    let mut r = Reader::new(bytes)?;
    let doc = if r.peek() == Some(b'{') {
        let mut top = Top::default();
        r.object(|r, key| {
            match &*key {
                "signatures" => top.signatures = Some(r.value()?),
                "signed" => {
                    top.has_signed = true;
                    top.signed = Some(signed(r)?);
                }
                "payload" => {
                    top.has_payload = true;
                    top.payload = Some(payload(r, &mut pre)?);
                }
                "payloadType" => top.payload_type = Some(r.value()?),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Doc::Object(top)
    } else {
        Doc::Other(r.value()?)
    };
    Ok((doc, r.finish()?))
}

/// Read a document that is one link or layout object (a DSSE payload).
pub(super) fn signed_doc(bytes: &[u8]) -> Result<(RawSigned, Option<char>)> {
    let mut r = Reader::new(bytes)?;
    let signed = signed(&mut r)?;
    Ok((signed, r.finish()?))
}

/// A link or layout object (`signed`, or a whole DSSE payload).
fn signed(r: &mut Reader<'_>) -> Result<RawSigned> {
    if r.peek() != Some(b'{') {
        return Ok(RawSigned::NotObject(short_type(&r.value()?)));
    }
    let mut b = RawBody::default();
    r.object(|r, key| {
        match &*key {
            "_type" => b.type_ = Some(r.value()?),
            "name" => b.name = Some(r.value()?),
            "command" => b.command = Some(r.value()?),
            "materials" => b.materials = Some(ArtifactsField::read(r)?),
            "products" => b.products = Some(ArtifactsField::read(r)?),
            "byproducts" => b.byproducts = Some(r.value()?),
            "environment" => b.environment = Some(r.value()?),
            "steps" | "inspect" | "keys" | "expires" | "readme" => {
                let v = r.value()?;
                b.layout.insert(key.into_owned(), v);
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(RawSigned::Body(Box::new(b)))
}

fn payload(r: &mut Reader<'_>, pre: &mut Option<Predecoded>) -> Result<PayloadText> {
    let rest = r.rest();
    if rest.first() == Some(&b'"') {
        let at = r.offset();
        if rest.starts_with(b"\"\"")
            && let Some((_, decoded)) = pre.take_if(|p| p.0 == at)
        {
            r.seek(at + 2);
            return Ok(PayloadText::Decoded(decoded));
        }
        // The usual payload is canonical base64, megabytes of it: find the closing quote
        // with `memchr` and decode. Decoding checks that every byte is a base64 letter (so
        // the text has no escape, and that quote is its end); anything else is read as a
        // string, the general way.
        if let Some(len) = memchr::memchr(b'"', &rest[1..])
            && let Some(decoded) = super::b64dec_canonical(&rest[1..1 + len])
        {
            r.seek(at + len + 2);
            return Ok(PayloadText::Decoded(decoded));
        }
    }
    Ok(PayloadText::Value(r.value()?))
}
