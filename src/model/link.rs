//! Link metadata: what a step actually did.
//!
//! Artifacts are parsed straight from the JSON text into sorted, compact vectors (no
//! intermediate `serde_json::Value`), validated like the reference (`materials` and
//! `products` are dicts of hash dicts whose values are hex strings), and canonicalised
//! straight from these structures for signature checks.

use crate::Exc;
use crate::crypto::sha512x::Source as _;
use crate::error::{Error, Result};
use crate::py::hex::{Hex64, decode64, encode32};
use crate::py::json::{self, Reader, canonical_into, canonical_str, py_type};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// A hash dict (`{"sha256": "<hex>"}`), compared as a whole like the reference's dicts.
/// Entries are sorted by algorithm name; the hex text is kept exactly as written.
///
/// The common case, one `sha256` entry of 64 hex digits, is stored inline (no
/// allocation); anything else as (algorithm, hex) pairs. The representation is unique for
/// a given dict, so equality compares representations.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HashDict(HashRepr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum HashRepr {
    /// `{"sha256": <64 hex digits, as written>}` (ASCII, so any slice of it is a `str`).
    Sha256([u8; 64]),
    /// Any other dict, sorted by algorithm, algorithms unique.
    Pairs(Box<[(Box<str>, Box<str>)]>),
}

impl Default for HashRepr {
    fn default() -> Self {
        HashRepr::Pairs(Box::default())
    }
}

impl fmt::Debug for HashDict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The inline form of a SHA-256 hex text, when it is 64 hex digits.
#[inline]
fn sha256_inline(hex: &str) -> Option<[u8; 64]> {
    let h: [u8; 64] = hex.as_bytes().try_into().ok()?;
    all_hex(&h).then_some(h)
}

#[inline]
fn inline_str(h: &[u8; 64]) -> &str {
    std::str::from_utf8(h).expect("inline hashes are ASCII hex")
}

impl HashDict {
    /// Build from (algorithm, hex) pairs; a repeated algorithm keeps the last value.
    pub fn new(mut pairs: Vec<(Box<str>, Box<str>)>) -> HashDict {
        dedup_last_by_key(&mut pairs);
        if let [(alg, hex)] = &pairs[..]
            && &**alg == "sha256"
            && let Some(h) = sha256_inline(hex)
        {
            return HashDict(HashRepr::Sha256(h));
        }
        HashDict(HashRepr::Pairs(pairs.into_boxed_slice()))
    }

    /// A dict with one SHA-256 entry.
    pub fn sha256(hex: &str) -> HashDict {
        HashDict::single("sha256", hex)
    }

    /// The dict with one algorithm (`{alg: hex}`).
    pub fn single(alg: &str, hex: &str) -> HashDict {
        if alg == "sha256"
            && let Some(h) = sha256_inline(hex)
        {
            return HashDict(HashRepr::Sha256(h));
        }
        HashDict(HashRepr::Pairs(
            vec![(alg.into(), hex.into())].into_boxed_slice(),
        ))
    }

    /// `{"sha256": hex}` for 64 bytes already checked to be hex digits.
    pub(crate) fn sha256_hex64(hex: [u8; 64]) -> HashDict {
        debug_assert!(all_hex(&hex));
        HashDict(HashRepr::Sha256(hex))
    }

    /// The hex text of algorithm `alg`, as written.
    pub fn get(&self, alg: &str) -> Option<&str> {
        self.iter().find(|(a, _)| *a == alg).map(|(_, h)| h)
    }

    /// (algorithm, hex) pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let (single, pairs) = match &self.0 {
            HashRepr::Sha256(h) => (Some(("sha256", inline_str(h))), &[][..]),
            HashRepr::Pairs(p) => (None, &p[..]),
        };
        single
            .into_iter()
            .chain(pairs.iter().map(|(a, h)| (&**a, &**h)))
    }

    pub fn is_empty(&self) -> bool {
        matches!(&self.0, HashRepr::Pairs(p) if p.is_empty())
    }

    /// A short text for people: `sha256:1a2b3c4d…` (all algorithms, comma-separated).
    /// Every `alg:hex` in full, comma-separated (`{}` for none).
    pub fn full(&self) -> String {
        if self.is_empty() {
            return "{}".into();
        }
        self.iter()
            .map(|(a, h)| format!("{a}:{h}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn short(&self) -> String {
        if self.is_empty() {
            return "{}".into();
        }
        self.iter()
            .map(|(a, h)| format!("{a}:{}", crate::py::prefix(h, 12)))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn canonical_into(&self, out: &mut Vec<u8>) {
        match &self.0 {
            HashRepr::Sha256(h) => {
                out.extend_from_slice(b"{\"sha256\":\"");
                out.extend_from_slice(h);
                out.extend_from_slice(b"\"}");
            }
            HashRepr::Pairs(p) => {
                out.push(b'{');
                for (i, (a, h)) in p.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    canonical_str(out, a);
                    out.push(b':');
                    canonical_str(out, h);
                }
                out.push(b'}');
            }
        }
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

/// One artifact: its path (a range of the arena) and hashes: the 32 bytes of a SHA-256
/// digest written in lower-case hex (`{"sha256": "<64 hex>"}`, nearly every artifact), or
/// (with [`OTHER`] set in `len`) the index of its dict in the list's `others`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    hash: [u8; 32],
}

/// In [`Entry::len`]: the hash dict is not a lower-case SHA-256 digest.
const OTHER: u32 = 1 << 31;

impl Entry {
    #[inline]
    fn path_len(&self) -> u32 {
        self.len & !OTHER
    }

    /// The index in `others`, for an entry with [`OTHER`].
    #[inline]
    fn other(&self) -> Option<usize> {
        (self.len & OTHER != 0)
            .then(|| u32::from_le_bytes(self.hash[..4].try_into().expect("four bytes")) as usize)
    }
}

/// The materials or products of a link: paths with their hash dicts, sorted by path
/// (code point order), paths unique.
///
/// Compact: all paths live in one string (the arena), each entry holds a range of it and
/// its digest (other hash dicts are kept aside), so a link of 100,000 artifacts is a
/// handful of allocations of 40 bytes per artifact plus its path.
#[derive(Clone, Default)]
pub struct Artifacts {
    arena: String,
    entries: Vec<Entry>,
    /// The hash dicts that are not a lower-case SHA-256 digest.
    others: Vec<HashDict>,
}

impl fmt::Debug for Artifacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Artifacts {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && (0..self.len())
                .all(|i| self.same_hashes(i, other, i) && self.path(i) == other.path(i))
    }
}

impl Eq for Artifacts {}

/// The arena range `start..start + len` as an entry holds it.
fn span(start: usize, len: usize) -> (u32, u32) {
    let start = u32::try_from(start).expect("artifact paths exceed 4 GiB");
    let len = u32::try_from(len)
        .ok()
        .filter(|l| l & OTHER == 0)
        .expect("artifact path exceeds 2 GiB");
    (start, len)
}

/// An entry for `hashes` at `start..start + len` of the arena, its dict kept in `others`
/// when it is not a lower-case SHA-256 digest.
fn entry(start: usize, len: usize, hashes: HashDict, others: &mut Vec<HashDict>) -> Entry {
    let (start, len) = span(start, len);
    if let HashRepr::Sha256(h) = &hashes.0
        && let Hex64::Lower(hash) = decode64(h)
    {
        return Entry { start, len, hash };
    }
    let mut hash = [0u8; 32];
    let index = u32::try_from(others.len()).expect("fewer than 4 billion artifacts");
    hash[..4].copy_from_slice(&index.to_le_bytes());
    others.push(hashes);
    Entry {
        start,
        len: len | OTHER,
        hash,
    }
}

/// Builds [`Artifacts`] from paths in any order (a repeated path keeps the last value).
#[derive(Default)]
pub(crate) struct ArtifactsBuilder {
    arena: String,
    entries: Vec<Entry>,
    others: Vec<HashDict>,
    sorted: bool,
}

/// An entry's path in the arena of its list.
#[inline]
#[allow(clippy::string_slice)] // Entries are made from whole `&str` paths pushed onto the arena.
fn path_in<'a>(arena: &'a str, e: &Entry) -> &'a str {
    &arena[e.start as usize..(e.start + e.path_len()) as usize]
}

impl ArtifactsBuilder {
    pub(crate) fn with_capacity(entries: usize, arena: usize) -> ArtifactsBuilder {
        ArtifactsBuilder {
            arena: String::with_capacity(arena),
            entries: Vec::with_capacity(entries),
            others: Vec::new(),
            sorted: true,
        }
    }

    pub(crate) fn push(&mut self, path: &str, hashes: HashDict) {
        let e = entry(self.arena.len(), path.len(), hashes, &mut self.others);
        self.push_entry(path, e);
    }

    /// [`Self::push`] of `{"sha256": <64 hex digits>}`, with `None` (and nothing added)
    /// when the 64 characters are not all hex digits.
    #[inline]
    pub(crate) fn push_sha256(&mut self, path: &str, hex: &[u8; 64]) -> Option<()> {
        match decode64(hex) {
            Hex64::Lower(hash) => {
                let (start, len) = span(self.arena.len(), path.len());
                self.push_entry(path, Entry { start, len, hash });
            }
            Hex64::Mixed => self.push(path, HashDict::sha256_hex64(*hex)),
            Hex64::NotHex => return None,
        }
        Some(())
    }

    #[inline]
    fn push_entry(&mut self, path: &str, e: Entry) {
        if self.sorted
            && let Some(last) = self.entries.last()
        {
            let prev = &self.arena.as_bytes()
                [last.start as usize..(last.start + last.path_len()) as usize];
            if prev >= path.as_bytes() {
                self.sorted = false;
            }
        }
        self.arena.push_str(path);
        self.entries.push(e);
    }

    pub(crate) fn finish(self) -> Artifacts {
        let ArtifactsBuilder {
            mut arena,
            mut entries,
            others,
            sorted,
        } = self;
        if !sorted {
            let key = |e: &Entry| path_in(&arena, e);
            // Stable: file order among equal paths, then keep the last of each run.
            entries.sort_by(|a, b| key(a).cmp(key(b)));
            let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
            for e in entries {
                match out.last_mut() {
                    Some(last) if key(last) == key(&e) => *last = e,
                    _ => out.push(e),
                }
            }
            entries = out;
        }
        arena.shrink_to_fit();
        entries.shrink_to_fit();
        Artifacts {
            arena,
            entries,
            others,
        }
    }
}

impl Artifacts {
    /// Build from (path, hashes) pairs in any order; a repeated path keeps the last value.
    pub fn from_pairs(pairs: Vec<(Box<str>, HashDict)>) -> Artifacts {
        let arena_len = pairs.iter().map(|(p, _)| p.len()).sum();
        let mut b = ArtifactsBuilder::with_capacity(pairs.len(), arena_len);
        for (p, h) in pairs {
            b.push(&p, h);
        }
        b.finish()
    }

    #[inline]
    fn at(&self, e: &Entry) -> &str {
        path_in(&self.arena, e)
    }

    /// The hash dict of an entry.
    fn dict(&self, e: &Entry) -> HashDict {
        match e.other() {
            Some(k) => self.others[k].clone(),
            None => HashDict::sha256_hex64(encode32(&e.hash)),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The path bytes of an entry (byte order is code point order for UTF-8).
    #[inline]
    fn key(&self, e: &Entry) -> &[u8] {
        &self.arena.as_bytes()[e.start as usize..(e.start + e.path_len()) as usize]
    }

    /// The position of `path`, if present.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.search(path).ok()
    }

    /// Binary search: `Ok(position)` of `path`, or `Err(insertion point)`.
    pub fn search(&self, path: &str) -> Result<usize, usize> {
        let path = path.as_bytes();
        self.entries.binary_search_by(|e| self.key(e).cmp(path))
    }

    /// The position of `path` at or after `from` (for lookups of increasing paths: a
    /// galloping search from the previous position, so a sorted walk costs O(n)).
    /// Returns `Err(i)` with the insertion point when absent; pass it as the next `from`.
    pub fn seek(&self, from: usize, path: &str) -> Result<usize, usize> {
        let path = path.as_bytes();
        let n = self.entries.len();
        let mut lo = from.min(n);
        // Gallop: find a window [lo, hi) whose end is past `path`.
        let mut step = 1;
        let mut hi = lo;
        loop {
            if hi >= n {
                hi = n;
                break;
            }
            match self.key(&self.entries[hi]).cmp(path) {
                std::cmp::Ordering::Less => {
                    lo = hi + 1;
                    hi += step;
                    step *= 2;
                }
                std::cmp::Ordering::Equal => return Ok(hi),
                std::cmp::Ordering::Greater => break,
            }
        }
        match self.entries[lo..hi].binary_search_by(|e| self.key(e).cmp(path)) {
            Ok(i) => Ok(lo + i),
            Err(i) => Err(lo + i),
        }
    }

    pub fn get(&self, path: &str) -> Option<HashDict> {
        self.index_of(path).map(|i| self.hashes(i))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.index_of(path).is_some()
    }

    /// The path at position `i`.
    pub fn path(&self, i: usize) -> &str {
        self.at(&self.entries[i])
    }

    /// The hashes at position `i`.
    pub fn hashes(&self, i: usize) -> HashDict {
        self.dict(&self.entries[i])
    }

    /// Whether the hashes at position `i` equal those at position `j` of `other`.
    #[inline]
    pub fn same_hashes(&self, i: usize, other: &Artifacts, j: usize) -> bool {
        let (a, b) = (&self.entries[i], &other.entries[j]);
        match (a.other(), b.other()) {
            (None, None) => a.hash == b.hash,
            (Some(x), Some(y)) => self.others[x] == other.others[y],
            // A lower-case SHA-256 digest is never kept aside.
            _ => false,
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, HashDict)> {
        self.entries.iter().map(|e| (self.at(e), self.dict(e)))
    }

    pub fn paths(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entries.iter().map(|e| self.at(e))
    }

    /// Replace or insert one artifact (what-if edits).
    pub fn set(&mut self, path: &str, hashes: HashDict) {
        match self.search(path) {
            Ok(i) => {
                let e = &mut self.entries[i];
                *e = entry(
                    e.start as usize,
                    e.path_len() as usize,
                    hashes,
                    &mut self.others,
                );
            }
            Err(i) => {
                let e = entry(self.arena.len(), path.len(), hashes, &mut self.others);
                self.arena.push_str(path);
                self.entries.insert(i, e);
            }
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

    /// The canonical JSON of the entries from `from` on, `,`-separated (without the
    /// braces), appended to `out` until it is at least `until` bytes long; returns the index
    /// of the first entry not written.
    fn canonical_entries_into(&self, out: &mut Vec<u8>, from: usize, until: usize) -> usize {
        let mut i = from;
        while i < self.entries.len() && out.len() < until {
            if i > 0 {
                out.push(b',');
            }
            let e = &self.entries[i];
            canonical_str(out, self.at(e));
            out.push(b':');
            match e.other() {
                Some(k) => self.others[k].canonical_into(out),
                None => {
                    out.extend_from_slice(b"{\"sha256\":\"");
                    out.extend_from_slice(&encode32(&e.hash));
                    out.extend_from_slice(b"\"}");
                }
            }
            i += 1;
        }
        i
    }

    /// An upper bound of the canonical size (for reserving buffers).
    fn canonical_size_hint(&self) -> usize {
        // Per entry: quotes, colon, comma and the hash dict (`{"sha256":"<64>"}` is 77).
        self.arena.len() + self.entries.len() * 84 + 2
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

    /// The reference encodes a new `Link` canonically as UTF-8 as soon as it is made (in
    /// `validate`), so a name recorded from a file name that is not UTF-8 (a surrogate there,
    /// see [`crate::model::fsname`]) raises `UnicodeEncodeError` then, before any signature
    /// or file. The same check, with the reference's message (its position counts code
    /// points of the canonical text).
    pub fn check_encodable(&self) -> Result<()> {
        use crate::model::fsname::escaped_byte;
        let escaped = |a: &Artifacts| {
            a.paths()
                .any(|p| !p.is_ascii() && p.chars().any(|c| escaped_byte(c).is_some()))
        };
        if !escaped(&self.materials) && !escaped(&self.products) {
            return Ok(());
        }
        let text = String::from_utf8(self.canonical()?).unwrap_or_default();
        match text
            .chars()
            .enumerate()
            .find_map(|(pos, c)| escaped_byte(c).map(|b| (pos, b)))
        {
            Some((pos, b)) => Err(Error::new(
                Exc::UnicodeEncodeError,
                format!(
                    "'utf-8' codec can't encode character '\\udc{b:02x}' in position {pos}: \
                     surrogates not allowed"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Canonical JSON of the normalised link: the bytes a legacy signature covers.
    pub fn canonical(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.canonical_into(&mut out)?;
        Ok(out)
    }

    /// [`Link::canonical`], appended to `out` (which is reserved for the whole text first).
    pub fn canonical_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let parts = self.canonical_parts()?;
        out.reserve(
            parts.head.len()
                + parts.mid.len()
                + self.materials.canonical_size_hint()
                + self.products.canonical_size_hint(),
        );
        parts.stream().fill(out, usize::MAX);
        Ok(())
    }

    /// The canonical JSON of the link as [`CanonicalParts`]: the small fields are encoded
    /// now (so a value canonical JSON cannot hold fails here), the artifacts as it is read.
    pub fn canonical_parts(&self) -> Result<CanonicalParts> {
        let enc = |e: json::CanonicalError| Error::format(e.to_string());
        let mut head = Vec::with_capacity(
            256 + self
                .byproducts
                .values()
                .map(|v| v.as_str().map_or(16, str::len))
                .sum::<usize>(),
        );
        head.extend_from_slice(b"{\"_type\":\"link\",\"byproducts\":");
        json::canonical_map_into(&mut head, &self.byproducts).map_err(enc)?;
        head.extend_from_slice(b",\"command\":");
        json::canonical_array_into(&mut head, &self.command).map_err(enc)?;
        head.extend_from_slice(b",\"environment\":");
        json::canonical_map_into(&mut head, &self.environment).map_err(enc)?;
        head.extend_from_slice(b",\"materials\":{");
        let mut mid = b"},\"name\":".to_vec();
        canonical_into(&mut mid, &self.name).map_err(enc)?;
        mid.extend_from_slice(b",\"products\":{");
        Ok(CanonicalParts {
            head,
            materials: Arc::clone(&self.materials),
            mid,
            products: Arc::clone(&self.products),
        })
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

/// A link's canonical JSON in pieces: the encoded small fields around the two artifact
/// dicts, which [`CanonicalStream`] encodes as the text is read (so the whole text of a
/// big link never needs to exist at once, e.g. while its signature is hashed).
pub struct CanonicalParts {
    /// Up to and including `"materials":{`.
    head: Vec<u8>,
    materials: Arc<Artifacts>,
    /// From the `}` closing the materials up to and including `"products":{`.
    mid: Vec<u8>,
    products: Arc<Artifacts>,
}

impl CanonicalParts {
    /// A reader of the text from its start.
    pub fn stream(&self) -> CanonicalStream<'_> {
        CanonicalStream {
            parts: self,
            stage: 0,
            index: 0,
        }
    }

    /// A guess of the text's length.
    pub fn len_hint(&self) -> usize {
        self.head.len()
            + self.mid.len()
            + self.materials.canonical_size_hint()
            + self.products.canonical_size_hint()
    }
}

/// Reads the canonical JSON of [`CanonicalParts`] piece by piece.
pub struct CanonicalStream<'a> {
    parts: &'a CanonicalParts,
    /// 0 head, 1 materials, 2 mid, 3 products, 4 the closing `}}`, 5 done.
    stage: u8,
    /// The next artifact entry to write in stage 1 or 3.
    index: usize,
}

impl crate::crypto::sha512x::Source for CanonicalStream<'_> {
    fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> bool {
        let until = out.len().saturating_add(want);
        while self.stage < 5 && out.len() < until {
            match self.stage {
                0 => out.extend_from_slice(&self.parts.head),
                2 => out.extend_from_slice(&self.parts.mid),
                4 => out.extend_from_slice(b"}}"),
                _ => {
                    let list = if self.stage == 1 {
                        &self.parts.materials
                    } else {
                        &self.parts.products
                    };
                    self.index = list.canonical_entries_into(out, self.index, until);
                    if self.index < list.len() {
                        return true;
                    }
                    self.index = 0;
                }
            }
            self.stage += 1;
        }
        self.stage < 5
    }

    fn len_hint(&self) -> usize {
        self.parts.len_hint()
    }
}

/// A field of a metadata body whose value failed the reference's type checks: the error
/// is reported after the whole document parsed (as the reference validates after
/// `json.load`).
pub(crate) type Checked<T> = std::result::Result<T, String>;

fn expected(what: &str, got: &str) -> String {
    format!("expected {what}, got {got}")
}

/// `materials`/`products`, read straight into [`Artifacts`].
pub(crate) struct ArtifactsField(pub Checked<Artifacts>);

impl ArtifactsField {
    /// Read the value here: a dict of hash dicts (anything else is an error of the field,
    /// reported after the whole document is read, as the reference validates after
    /// `json.load`).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<ArtifactsField> {
        if r.peek() != Some(b'{') {
            return Ok(ArtifactsField(Err(py_type(&r.value()?).into())));
        }
        // Room for as many entries as the text left could hold (an artifact with a SHA-256
        // digest takes at least 80 bytes of it) and for all of it as paths: growing these
        // vectors copies them into fresh memory, which costs more than reserving address
        // space that is never touched. `finish` gives back what is left over.
        let rest = r.rest().len();
        let mut out = ArtifactsBuilder::with_capacity(rest / 80 + 16, rest);
        let mut error: Option<String> = None;
        r.object(|r, path| {
            // `{"sha256": "<64 hex digits>"}`, nearly every artifact, in one go.
            let at = r.offset();
            if let Some(hex) = r.one_member_plain(b"sha256", 64)
                && out
                    .push_sha256(&path, hex.try_into().expect("64 bytes"))
                    .is_some()
            {
                return Ok(());
            }
            r.seek(at);
            match read_hash_dict(r)? {
                Ok(hd) => out.push(&path, hd),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
            Ok(())
        })?;
        Ok(ArtifactsField(match error {
            Some(e) => Err(e),
            None => Ok(out.finish()),
        }))
    }
}

/// One hash dict, validated: string keys, hex-string values.
fn read_hash_dict(r: &mut Reader<'_>) -> Result<Checked<HashDict>> {
    if r.peek() != Some(b'{') {
        let v = r.value()?;
        return Ok(Err(match v {
            Value::Array(_) => expected("dict", "a list (<class 'list'>)"),
            other => expected(
                "dict",
                &format!("'{} ({})'", json::py_str(&other), py_type(&other)),
            ),
        }));
    }
    let mut pairs = Vec::with_capacity(1);
    let mut error = None;
    r.object(|r, alg| {
        match r.value()? {
            Value::String(h) if is_hex(&h) => pairs.push((alg.into(), h.into_boxed_str())),
            Value::String(h) => {
                error.get_or_insert(expected("hex string", &format!("'{h} (<class 'str'>)'")));
            }
            other => {
                error.get_or_insert(expected(
                    "str",
                    &format!("'{} ({})'", json::py_str(&other), py_type(&other)),
                ));
            }
        }
        Ok(())
    })?;
    Ok(match error {
        Some(e) => Err(e),
        None => Ok(HashDict::new(pairs)),
    })
}

/// `^[0-9a-fA-F]+$`
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && all_hex(s.as_bytes())
}

static HEX_DIGIT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_hexdigit();
        c += 1;
    }
    t
};

/// Whether every byte is a hex digit (without a branch per byte: hashes are random, so
/// digit/letter branches would mispredict).
#[inline]
pub(crate) fn all_hex(b: &[u8]) -> bool {
    b.iter().fold(true, |acc, &c| acc & HEX_DIGIT[c as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_artifacts(text: &str) -> Checked<Artifacts> {
        let mut r = Reader::new(text.as_bytes()).unwrap();
        let field = ArtifactsField::read(&mut r).unwrap();
        r.finish().unwrap();
        field.0
    }

    #[test]
    fn artifacts_read_as_the_reference_checks_them() {
        let token = "$serde_json::private::Number";
        let text =
            format!(r#"{{"b": {{"sha256": "00"}}, "{token}": {{"{token}": "ab"}}, "a": {{}}}}"#);
        let a = read_artifacts(&text).unwrap();
        // Sorted by path (`$` sorts first), any key an ordinary key.
        assert_eq!(a.paths().collect::<Vec<_>>(), [token, "a", "b"]);
        assert_eq!(a.get(token).unwrap().get(token), Some("ab"));
        let e = read_artifacts(&format!(r#"{{"a": {{"sha256": {{"{token}": 1}}}}}}"#)).unwrap_err();
        assert!(e.contains(&format!("{{'{token}': 1}}")), "{e}");
        // Not a dict: its Python type; a hash that is not a dict, or not hex.
        assert_eq!(read_artifacts("1.5").unwrap_err(), "<class 'float'>");
        assert_eq!(
            read_artifacts(r#"{"a": 7}"#).unwrap_err(),
            "expected dict, got '7 (<class 'int'>)'"
        );
        assert_eq!(
            read_artifacts(r#"{"a": [1]}"#).unwrap_err(),
            "expected dict, got a list (<class 'list'>)"
        );
        assert_eq!(
            read_artifacts(r#"{"a": {"sha256": "xyz"}}"#).unwrap_err(),
            "expected hex string, got 'xyz (<class 'str'>)'"
        );
        // The one-go read and the general one give the same dicts: escapes, mixed case,
        // 64 characters that are not hex, repeats.
        let hex = "0123456789abcdefABCDEF".repeat(3)[..64].to_string();
        let a = read_artifacts(&format!(
            r#"{{"x": {{"sha256": "{hex}"}}, "y": {{"sha256": "{}\u0030"}}, "z": {{"sha256": "{hex}", "sha256": "{}"}}}}"#,
            &hex[1..],
            "f".repeat(64)
        ))
        .unwrap();
        assert_eq!(a.get("x").unwrap().get("sha256"), Some(&hex[..]));
        assert_eq!(
            a.get("y").unwrap().get("sha256").unwrap(),
            format!("{}0", &hex[1..])
        );
        assert_eq!(a.get("z").unwrap().get("sha256").unwrap(), "f".repeat(64));
        let e = read_artifacts(&format!(r#"{{"x": {{"sha256": "{}g"}}}}"#, &hex[1..])).unwrap_err();
        assert!(e.starts_with("expected hex string"), "{e}");
    }

    #[test]
    fn compact_entries_keep_every_hash_dict_as_written() {
        let lower = "ab".repeat(32);
        let upper = "AB".repeat(32);
        let mixed = format!("{}aB", "ab".repeat(31));
        let given: Vec<(&str, HashDict)> = vec![
            ("a", HashDict::sha256(&lower)),
            ("b", HashDict::sha256(&upper)),
            ("c", HashDict::sha256(&mixed)),
            (
                "d",
                HashDict::new(vec![
                    ("sha256".into(), lower.as_str().into()),
                    ("sha512".into(), "00".into()),
                ]),
            ),
            ("e", HashDict::single("md5", &lower)),
            ("f", HashDict::new(Vec::new())),
            ("g", HashDict::sha256("abc")),
        ];
        let pairs = |list: &[(&str, HashDict)]| {
            list.iter()
                .map(|(p, h)| (Box::<str>::from(*p), h.clone()))
                .collect::<Vec<_>>()
        };
        let arts = Artifacts::from_pairs(pairs(&given));
        let mut expected = Vec::new();
        for (i, (p, h)) in given.iter().enumerate() {
            assert_eq!(arts.path(i), *p);
            assert_eq!(&arts.hashes(i), h, "{p}");
            assert_eq!(arts.get(p).as_ref(), Some(h));
            assert!(arts.same_hashes(i, &arts, i));
            if i > 0 {
                expected.push(b',');
            }
            canonical_str(&mut expected, p);
            expected.push(b':');
            h.canonical_into(&mut expected);
        }
        // The canonical text writes each dict as given (upper case kept).
        let mut out = Vec::new();
        assert_eq!(
            arts.canonical_entries_into(&mut out, 0, usize::MAX),
            given.len()
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        // Hashes compare equal exactly when the dicts do, across lists.
        let other = Artifacts::from_pairs(pairs(&[
            ("x", HashDict::sha256(&lower)),
            ("y", HashDict::sha256(&upper)),
            ("z", HashDict::sha256(&"cd".repeat(32))),
        ]));
        for i in 0..given.len() {
            for j in 0..other.len() {
                assert_eq!(
                    arts.same_hashes(i, &other, j),
                    arts.hashes(i) == other.hashes(j),
                    "{i} {j}"
                );
            }
        }
        assert!(arts.same_hashes(0, &other, 0) && arts.same_hashes(1, &other, 1));
        // Edits switch an entry between the two forms.
        let mut edited = arts.clone();
        edited.set("a", HashDict::sha256(&upper));
        edited.set("b", HashDict::sha256(&lower));
        edited.set("h", HashDict::sha256(&lower));
        assert_eq!(edited.hashes(0), HashDict::sha256(&upper));
        assert_eq!(edited.hashes(1), HashDict::sha256(&lower));
        assert_eq!(edited.get("h"), Some(HashDict::sha256(&lower)));
        assert!(edited.same_hashes(1, &arts, 0) && edited.same_hashes(0, &arts, 1));
        assert_ne!(edited, arts);
        assert!(edited.remove("h"));
        edited.set("a", HashDict::sha256(&lower));
        edited.set("b", HashDict::sha256(&upper));
        assert_eq!(edited, arts);
    }
}
