//! Reading ahead: every candidate link file is read, parsed and signature-checked in one
//! parallel pass before the stages judge the results in the reference's order. A check has
//! no side effects, so doing it early changes nothing but speed and memory: a big link is
//! kept only as its parsed link (the file's bytes, a DSSE payload and the signatures go as
//! soon as its signature is checked).
//!
//! Signature checks wait for the SHA-512 of their messages; as soon as enough messages wait
//! to fill the lanes of the multi-message SHA-512 ([`sha512x::batch`]), they are hashed in a
//! task of their own, so that hashing overlaps with the reading of other files.

use super::LinkSource;
use crate::crypto::PublicKey;
use crate::crypto::sha512x::{self, Source};
use crate::model::envelope::{Format, Metadata, Payload, PreparedSignature};
use crate::model::link::Link;
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// One file to read, and the key its signature is checked with (`None`: not checked).
pub(super) struct Request<'a> {
    pub path: &'a Path,
    pub key: Option<&'a PublicKey>,
}

/// The part of a read file that the stages need: a link as its parsed link only; anything
/// else (a sublayout, or a DSSE payload that did not decode) as the whole metadata, for the
/// sublayout stage.
pub(super) enum Content {
    Link(Arc<Link>),
    Other(Arc<Metadata>),
}

/// A file read ahead, with its signature check.
pub(super) struct Loaded {
    pub format: Format,
    pub signed_by: Vec<String>,
    pub content: Content,
    /// `None`: no key to check with, or the source decides the check.
    pub signature: Option<crate::Result<()>>,
}

/// Read every request in parallel: per request, in order, `None` for an empty path (not
/// to be read), else what reading it gave.
pub(super) fn prefetch(
    requests: &[Request<'_>],
    source: &dyn LinkSource,
) -> Vec<Option<crate::Result<Loaded>>> {
    let all = Prefetch {
        source,
        results: requests.iter().map(|_| OnceLock::new()).collect(),
        unread: AtomicUsize::new(requests.len()),
        waiting: Mutex::default(),
        verdicts: Mutex::default(),
    };
    rayon::scope(|s| {
        for (i, r) in requests.iter().enumerate() {
            let all = &all;
            s.spawn(move |s| all.load(s, i, r));
        }
    });
    let mut results: Vec<Option<crate::Result<Loaded>>> = all
        .results
        .into_iter()
        .map(|slot| slot.into_inner().expect("every file was read"))
        .collect();
    for (i, verdict) in all.verdicts.into_inner().expect("not poisoned") {
        if let Some(Ok(l)) = &mut results[i] {
            l.signature = Some(verdict);
        }
    }
    results
}

/// What the reading tasks share.
struct Prefetch<'a> {
    source: &'a dyn LinkSource,
    results: Vec<OnceLock<Option<crate::Result<Loaded>>>>,
    /// Files not read yet.
    unread: AtomicUsize,
    /// Messages waiting to be hashed (their count, and the checks with their requests).
    waiting: Mutex<(usize, Vec<(usize, PreparedSignature)>)>,
    /// Signature verdicts by request.
    verdicts: Mutex<Vec<(usize, crate::Result<()>)>>,
}

impl<'a> Prefetch<'a> {
    /// Read, parse and prepare the signature check of request `i`; the task that reads the
    /// last file hashes the messages still waiting, spread over the threads.
    fn load(&'a self, s: &rayon::Scope<'a>, i: usize, r: &Request<'_>) {
        let source = self.source;
        let loaded = (!r.path.as_os_str().is_empty()).then(|| {
            source.load(r.path).map(|md| {
                let prepared = match r.key {
                    Some(k) if source.signature_override(r.path).is_none() => {
                        Some(md.prepare_signature(k))
                    }
                    _ => None,
                };
                let content = match md.payload() {
                    Ok(Payload::Link(l)) => Content::Link(l.clone()),
                    _ => Content::Other(md.clone()),
                };
                let format = md.format();
                let signed_by = md.signature_keyids();
                drop(md);
                if let Some(p) = prepared {
                    let batch = {
                        let mut w = self.waiting.lock().expect("not poisoned");
                        w.0 += p.message_count();
                        w.1.push((i, p));
                        if w.0 >= sha512x::batch() {
                            w.0 = 0;
                            std::mem::take(&mut w.1)
                        } else {
                            Vec::new()
                        }
                    };
                    if !batch.is_empty() {
                        s.spawn(move |_| self.hash(batch, false));
                    }
                }
                Loaded {
                    format,
                    signed_by,
                    content,
                    signature: None,
                }
            })
        });
        let _ = self.results[i].set(loaded);
        if self.unread.fetch_sub(1, Ordering::AcqRel) == 1 {
            let rest = std::mem::take(&mut self.waiting.lock().expect("not poisoned").1);
            if !rest.is_empty() {
                self.hash(rest, true);
            }
        }
    }

    /// Hash messages and record the verdicts of their checks.
    fn hash(&self, batch: Vec<(usize, PreparedSignature)>, spread: bool) {
        let (ids, batch): (Vec<usize>, Vec<PreparedSignature>) = batch.into_iter().unzip();
        let done = finish_signatures(batch, spread);
        self.verdicts
            .lock()
            .expect("not poisoned")
            .extend(ids.into_iter().zip(done));
    }
}

/// A message to hash: (which prepared check, which of its messages, the text).
type HashJob<'a> = (usize, usize, Box<dyn Source + Send + 'a>);

/// Finish prepared signature checks: the SHA-512 of every message, several at once
/// ([`sha512x::digest_all`]); with `spread`, over all threads, given about equal amounts
/// of text, else on this thread.
fn finish_signatures(prepared: Vec<PreparedSignature>, spread: bool) -> Vec<crate::Result<()>> {
    let sources: Vec<Vec<Box<dyn Source + Send + '_>>> =
        prepared.iter().map(PreparedSignature::sources).collect();
    let mut digests: Vec<Vec<[u8; 64]>> = sources
        .iter()
        .map(|list| vec![[0u8; 64]; list.len()])
        .collect();
    let mut jobs: Vec<HashJob<'_>> = sources
        .into_iter()
        .enumerate()
        .flat_map(|(p, list)| list.into_iter().enumerate().map(move |(i, s)| (p, i, s)))
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.2.len_hint()));
    let threads = if spread {
        rayon::current_num_threads().clamp(1, jobs.len().max(1))
    } else {
        1
    };
    let mut groups: Vec<(usize, Vec<HashJob<'_>>)> =
        (0..threads).map(|_| (0, Vec::new())).collect();
    for job in jobs {
        let lightest = groups
            .iter_mut()
            .min_by_key(|g| g.0)
            .expect("at least one group");
        lightest.0 += job.2.len_hint();
        lightest.1.push(job);
    }
    let hashed: Vec<Vec<(usize, usize, [u8; 64])>> = groups
        .into_par_iter()
        .with_max_len(1)
        .map(|(_, mut group)| {
            let mut refs: Vec<&mut dyn Source> = group
                .iter_mut()
                .map(|j| &mut *j.2 as &mut dyn Source)
                .collect();
            let digests = sha512x::digest_all(&mut refs);
            group
                .iter()
                .zip(digests)
                .map(|(j, d)| (j.0, j.1, d))
                .collect()
        })
        .collect();
    for (p, i, d) in hashed.into_iter().flatten() {
        digests[p][i] = d;
    }
    prepared
        .into_iter()
        .zip(digests)
        .map(|(p, d)| p.finish(&d))
        .collect()
}
