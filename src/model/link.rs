//! Link metadata: what a step actually did.
//!
//! Artifacts are parsed straight from the JSON text into sorted, compact vectors (no
//! intermediate `serde_json::Value`), validated like the reference (`materials` and
//! `products` are dicts of hash dicts whose values are hex strings), and canonicalised
//! straight from these structures for signature checks.

use crate::error::{Error, Result};
use crate::model::json::{self, canonical_into, canonical_str, py_type};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// A hash dict (`{"sha256": "<hex>"}`), compared as a whole like the reference's dicts.
/// Entries are sorted by algorithm name; the hex text is kept exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HashDict(Box<[(Box<str>, Box<str>)]>);

impl HashDict {
    /// Build from (algorithm, hex) pairs; a repeated algorithm keeps the last value.
    pub fn new(mut pairs: Vec<(Box<str>, Box<str>)>) -> HashDict {
        dedup_last_by_key(&mut pairs);
        HashDict(pairs.into_boxed_slice())
    }

    /// A dict with one SHA-256 entry.
    pub fn sha256(hex: &str) -> HashDict {
        HashDict(vec![("sha256".into(), hex.into())].into_boxed_slice())
    }

    pub fn get(&self, alg: &str) -> Option<&str> {
        self.0.iter().find(|(a, _)| &**a == alg).map(|(_, h)| &**h)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(a, h)| (&**a, &**h))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short text for people: `sha256:1a2b3c4d…` (all algorithms, comma-separated).
    pub fn short(&self) -> String {
        if self.0.is_empty() {
            return "{}".into();
        }
        self.iter()
            .map(|(a, h)| format!("{a}:{}", &h[..h.len().min(12)]))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn canonical_into(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (a, h)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            canonical_str(out, a);
            out.push(b':');
            canonical_str(out, h);
        }
        out.push(b'}');
    }

    pub fn to_value(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(a, h)| (a.to_string(), Value::String(h.to_string())))
                .collect(),
        )
    }
}

/// Sort by key and keep the last of equal keys (Python dict semantics for duplicates).
fn dedup_last_by_key<V>(pairs: &mut Vec<(Box<str>, V)>) {
    if pairs.windows(2).all(|w| w[0].0 < w[1].0) {
        return;
    }
    // Stable sort keeps file order among equal keys; then keep the last of each run.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(Box<str>, V)> = Vec::with_capacity(pairs.len());
    for item in pairs.drain(..) {
        match out.last_mut() {
            Some(last) if last.0 == item.0 => *last = item,
            _ => out.push(item),
        }
    }
    *pairs = out;
}

/// The materials or products of a link: paths with their hash dicts, sorted by path
/// (code point order), paths unique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Artifacts {
    entries: Vec<(Box<str>, HashDict)>,
}

impl Artifacts {
    /// Build from (path, hashes) pairs in any order; a repeated path keeps the last value.
    pub fn from_pairs(mut pairs: Vec<(Box<str>, HashDict)>) -> Artifacts {
        dedup_last_by_key(&mut pairs);
        Artifacts { entries: pairs }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `path`, if present.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.entries.binary_search_by(|(p, _)| (**p).cmp(path)).ok()
    }

    pub fn get(&self, path: &str) -> Option<&HashDict> {
        self.index_of(path).map(|i| &self.entries[i].1)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.index_of(path).is_some()
    }

    /// The path at position `i`.
    pub fn path(&self, i: usize) -> &str {
        &self.entries[i].0
    }

    /// The hashes at position `i`.
    pub fn hashes(&self, i: usize) -> &HashDict {
        &self.entries[i].1
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &HashDict)> {
        self.entries.iter().map(|(p, h)| (&**p, h))
    }

    pub fn paths(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entries.iter().map(|(p, _)| &**p)
    }

    /// Replace or insert one artifact (what-if edits).
    pub fn set(&mut self, path: &str, hashes: HashDict) {
        match self.entries.binary_search_by(|(p, _)| (**p).cmp(path)) {
            Ok(i) => self.entries[i].1 = hashes,
            Err(i) => self.entries.insert(i, (path.into(), hashes)),
        }
    }

    /// Remove one artifact; returns whether it was there.
    pub fn remove(&mut self, path: &str) -> bool {
        match self.index_of(path) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    fn canonical_into(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (p, h)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            canonical_str(out, p);
            out.push(b':');
            h.canonical_into(out);
        }
        out.push(b'}');
    }

    pub fn to_value(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(p, h)| (p.to_string(), h.to_value()))
                .collect(),
        )
    }
}

/// A link's signed content, normalised as the reference's `Link` object: unknown fields
/// dropped, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// `name` (any JSON value in the reference; `null` when missing).
    pub name: Value,
    pub command: Vec<Value>,
    pub materials: Arc<Artifacts>,
    pub products: Arc<Artifacts>,
    pub byproducts: Map<String, Value>,
    pub environment: Map<String, Value>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            name: Value::Null,
            command: Vec::new(),
            materials: Arc::default(),
            products: Arc::default(),
            byproducts: Map::new(),
            environment: Map::new(),
        }
    }
}

impl Link {
    /// The name as Python's `str()` shows it.
    pub fn name_str(&self) -> String {
        json::py_str(&self.name)
    }

    /// The command as strings (non-strings shown as Python would print them).
    pub fn command_strings(&self) -> Vec<String> {
        self.command.iter().map(json::py_str).collect()
    }

    /// `byproducts["return-value"]` when it is an integer.
    pub fn return_value(&self) -> Option<i64> {
        self.byproducts.get("return-value").and_then(|v| match v {
            Value::Number(n) if json::number_is_int(n) => json::int_text(n).parse().ok(),
            _ => None,
        })
    }

    /// The artifacts of one kind.
    pub fn artifacts(&self, kind: crate::model::rule::ArtifactKind) -> &Artifacts {
        match kind {
            crate::model::rule::ArtifactKind::Materials => &self.materials,
            crate::model::rule::ArtifactKind::Products => &self.products,
        }
    }

    /// Canonical JSON of the normalised link: the bytes a legacy signature covers.
    pub fn canonical(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(
            64 + 100 * (self.materials.len() + self.products.len())
                + self
                    .byproducts
                    .values()
                    .map(|v| v.as_str().map_or(16, str::len))
                    .sum::<usize>(),
        );
        let enc = |e: json::CanonicalError| Error::format(e.to_string());
        out.extend_from_slice(b"{\"_type\":\"link\",\"byproducts\":");
        canonical_into(&mut out, &Value::Object(self.byproducts.clone())).map_err(enc)?;
        out.extend_from_slice(b",\"command\":");
        canonical_into(&mut out, &Value::Array(self.command.clone())).map_err(enc)?;
        out.extend_from_slice(b",\"environment\":");
        canonical_into(&mut out, &Value::Object(self.environment.clone())).map_err(enc)?;
        out.extend_from_slice(b",\"materials\":");
        self.materials.canonical_into(&mut out);
        out.extend_from_slice(b",\"name\":");
        canonical_into(&mut out, &self.name).map_err(enc)?;
        out.extend_from_slice(b",\"products\":");
        self.products.canonical_into(&mut out);
        out.push(b'}');
        Ok(out)
    }

    /// The normalised link as a JSON value (`attr.asdict(link)`).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), Value::String("link".into()));
        m.insert("byproducts".into(), Value::Object(self.byproducts.clone()));
        m.insert("command".into(), Value::Array(self.command.clone()));
        m.insert(
            "environment".into(),
            Value::Object(self.environment.clone()),
        );
        m.insert("materials".into(), self.materials.to_value());
        m.insert("name".into(), self.name.clone());
        m.insert("products".into(), self.products.to_value());
        Value::Object(m)
    }
}

/// A field of a metadata body whose value failed the reference's type checks: the error
/// is reported after the whole document parsed (as the reference validates after
/// `json.load`).
pub(crate) type Checked<T> = std::result::Result<T, String>;

fn expected(what: &str, got: &str) -> String {
    format!("expected {what}, got {got}")
}

/// serde_json (with `arbitrary_precision`) hands a number to `deserialize_any` as a map
/// with this single key.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Deserialises `materials`/`products` directly into [`Artifacts`].
pub(crate) struct ArtifactsField(pub Checked<Artifacts>);

impl<'de> serde::Deserialize<'de> for ArtifactsField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArtifactsField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a dict of artifacts")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut pairs: Vec<(Box<str>, HashDict)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(16));
                let mut error: Option<String> = None;
                let mut first = true;
                while let Some(path) = map.next_key::<Box<str>>()? {
                    if first && &*path == NUMBER_TOKEN {
                        let _: IgnoredAny = map.next_value()?;
                        return Ok(ArtifactsField(Err("<class 'int'>".into())));
                    }
                    first = false;
                    let HashDictField(hd) = map.next_value()?;
                    match hd {
                        Ok(hd) => pairs.push((path, hd)),
                        Err(e) => {
                            error.get_or_insert(e);
                        }
                    }
                }
                Ok(ArtifactsField(match error {
                    Some(e) => Err(e),
                    None => Ok(Artifacts::from_pairs(pairs)),
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ArtifactsField(Err("<class 'list'>".into())))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'str'>".into())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'bool'>".into())))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'NoneType'>".into())))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'int'>".into())))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'int'>".into())))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(ArtifactsField(Err("<class 'float'>".into())))
            }
        }
        d.deserialize_any(V)
    }
}

/// One hash dict, validated: string keys, hex-string values.
struct HashDictField(Checked<HashDict>);

impl<'de> serde::Deserialize<'de> for HashDictField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HashDictField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a hash dict")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(1);
                let mut error = None;
                let mut first = true;
                while let Some(alg) = map.next_key::<Box<str>>()? {
                    if first && &*alg == NUMBER_TOKEN {
                        let n: String = map.next_value()?;
                        return Ok(HashDictField(Err(expected(
                            "dict",
                            &format!("'{n} (<class 'int'>)'"),
                        ))));
                    }
                    first = false;
                    let v: Value = map.next_value()?;
                    match v {
                        Value::String(h) if is_hex(&h) => pairs.push((alg, h.into_boxed_str())),
                        Value::String(h) => {
                            error.get_or_insert(expected(
                                "hex string",
                                &format!("'{h} (<class 'str'>)'"),
                            ));
                        }
                        other => {
                            error.get_or_insert(expected(
                                "str",
                                &format!("'{} ({})'", json::py_str(&other), py_type(&other)),
                            ));
                        }
                    }
                }
                Ok(HashDictField(match error {
                    Some(e) => Err(e),
                    None => Ok(HashDict::new(pairs)),
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(HashDictField(Err(expected(
                    "dict",
                    "a list (<class 'list'>)",
                ))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(HashDictField(Err(expected(
                    "dict",
                    &format!("'{v} (<class 'str'>)'"),
                ))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
                let b = if v { "True" } else { "False" };
                Ok(HashDictField(Err(expected(
                    "dict",
                    &format!("'{b} (<class 'bool'>)'"),
                ))))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(HashDictField(Err(expected(
                    "dict",
                    "'None (<class 'NoneType'>)'",
                ))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(HashDictField(Err(expected(
                    "dict",
                    &format!("'{v} (<class 'int'>)'"),
                ))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(HashDictField(Err(expected(
                    "dict",
                    &format!("'{v} (<class 'int'>)'"),
                ))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(HashDictField(Err(expected(
                    "dict",
                    &format!("'{v} (<class 'float'>)'"),
                ))))
            }
        }
        d.deserialize_any(V)
    }
}

/// `^[0-9a-fA-F]+$`
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}
