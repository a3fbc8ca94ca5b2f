//! The verification cache of `serve`: a bounded LRU of image outcomes, so that the same image
//! admitted again (every replica of a Deployment, every restart of a Pod) is not verified
//! again.
//!
//! The key is a SHA-256 over everything a verification reads: the rule as written (globs,
//! bind, mode, inspections, parameters), the image reference and digest, the bytes of the
//! layout and of the owner keys, and the path and bytes of every file in the image's evidence
//! directory. Changing any of them (a new policy, a re-signed layout, replaced evidence) misses
//! the cache. A success is kept no longer than the layout is valid (its `expires`) and no
//! longer than the time to live; a denial no longer than the time to live. Only outcomes of a
//! verification that ran to its verdict are kept: a timeout, a panic or an unreadable file is
//! decided again next time.

use super::policy::Rule;
use jiff::{SignedDuration, Timestamp};
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;

/// The most evidence files a key is computed over; a store with more is not cached (it is
/// still verified, every time).
const MAX_EVIDENCE_FILES: usize = 10_000;

/// What a verification decided about one image, without its report (a 10 x 50,000 chain's
/// report holds its links: hundreds of megabytes a cache must not keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Verified and bound: by which product, with which warnings.
    Verified {
        bound_by: String,
        warnings: Vec<String>,
    },
    /// Refused: why (the whole diagnosis).
    Refused(String),
}

#[derive(Debug)]
struct Entry {
    outcome: Outcome,
    until: Timestamp,
}

/// The cache key of one image under one rule.
pub type Key = [u8; 32];

/// A bounded LRU of outcomes. Shared by the server's handlers (a mutex: each hit or insert
/// holds it for a hash-map operation, never during a verification).
#[derive(Debug)]
pub struct Cache {
    entries: Mutex<LruCache<Key, Entry>>,
    ttl: SignedDuration,
}

impl Cache {
    /// A cache of at most `capacity` outcomes (`None` for 0: no caching), each kept at most
    /// `ttl`.
    pub fn new(capacity: usize, ttl: std::time::Duration) -> Option<Cache> {
        let capacity = NonZeroUsize::new(capacity)?;
        Some(Cache {
            entries: Mutex::new(LruCache::new(capacity)),
            ttl: SignedDuration::try_from(ttl).unwrap_or(SignedDuration::MAX),
        })
    }

    /// The outcome kept for `key`, if it is still valid at `now` (an expired one is dropped).
    pub fn get(&self, key: &Key, now: Timestamp) -> Option<Outcome> {
        let mut entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some(e) if now < e.until => Some(e.outcome.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Keep an outcome decided at `now`; a success of a layout that expires at
    /// `layout_expires` is kept until then at the latest.
    pub fn put(
        &self,
        key: Key,
        outcome: Outcome,
        now: Timestamp,
        layout_expires: Option<Timestamp>,
    ) {
        let mut until = now.saturating_add(self.ttl).unwrap_or(now);
        if let (Outcome::Verified { .. }, Some(e)) = (&outcome, layout_expires) {
            until = until.min(e);
        }
        if until <= now {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(key, Entry { outcome, until });
        }
    }

    /// How many outcomes are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The key of `image` (digest `hex`) under `rule`, over every file its verification reads.
/// `None` when a file cannot be read or the evidence holds too many files: then there is no
/// caching, and the verification says what is wrong.
pub fn key(rule: &Rule, image: &str, hex: &str, evidence: &Path) -> Option<Key> {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(format!("{rule:?}").as_bytes());
    field(image.as_bytes());
    field(hex.as_bytes());
    // Regular files only (a FIFO or a device is refused, never waited on).
    let read = |p: &Path| crate::fsutil::read_regular(p).ok();
    field(&read(&rule.layout)?);
    for k in &rule.owner_keys {
        field(&read(k)?);
    }
    let mut files = Vec::new();
    walk(evidence, &mut files, 0)?;
    files.sort();
    for f in files {
        // The path inside the store (a fetched store lives in a new scratch folder each time).
        let rel = f.strip_prefix(evidence).unwrap_or(&f);
        field(rel.as_os_str().as_encoded_bytes());
        field(&Sha256::digest(read(&f)?));
    }
    Some(h.finalize().into())
}

/// Every file under `dir` (sublayout folders are nested link directories); `None` for
/// anything that is neither a regular file nor a folder (a symbolic link, a FIFO): such a
/// store is verified every time, and the verifier says what it makes of it.
fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>, depth: usize) -> Option<()> {
    if depth > 16 {
        return None;
    }
    for e in std::fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        let t = e.file_type().ok()?;
        if t.is_dir() {
            walk(&e.path(), out, depth + 1)?;
        } else if t.is_file() {
            out.push(e.path());
            if out.len() > MAX_EVIDENCE_FILES {
                return None;
            }
        } else {
            return None;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn verified() -> Outcome {
        Outcome::Verified {
            bound_by: "product m of step push".into(),
            warnings: vec![],
        }
    }

    #[test]
    fn a_success_is_kept_no_longer_than_the_layout_is_valid() {
        let c = Cache::new(8, Duration::from_secs(600)).unwrap();
        let now = t("2026-01-01T00:00:00Z");
        c.put([1; 32], verified(), now, Some(t("2026-01-01T00:01:00Z")));
        c.put(
            [2; 32],
            Outcome::Refused("no".into()),
            now,
            Some(t("2026-01-01T00:01:00Z")),
        );
        assert_eq!(c.get(&[1; 32], t("2026-01-01T00:00:59Z")), Some(verified()));
        assert_eq!(
            c.get(&[1; 32], t("2026-01-01T00:01:00Z")),
            None,
            "the layout expired"
        );
        // A denial is not kept by the layout's expiry, only by the time to live.
        assert!(c.get(&[2; 32], t("2026-01-01T00:09:59Z")).is_some());
        assert_eq!(c.get(&[2; 32], t("2026-01-01T00:10:00Z")), None);
        // An already expired layout's success is not kept at all.
        c.put([3; 32], verified(), now, Some(t("2025-12-31T00:00:00Z")));
        assert_eq!(c.get(&[3; 32], now), None);
    }

    #[test]
    fn the_cache_is_bounded_and_drops_the_least_recently_used() {
        let c = Cache::new(2, Duration::from_secs(60)).unwrap();
        let now = t("2026-01-01T00:00:00Z");
        for i in 0..3u8 {
            c.put([i; 32], verified(), now, None);
            if i == 1 {
                assert!(c.get(&[0; 32], now).is_some());
            }
        }
        assert_eq!(c.len(), 2);
        assert!(c.get(&[0; 32], now).is_some(), "used recently");
        assert!(
            c.get(&[1; 32], now).is_none(),
            "the least recently used went"
        );
        assert!(Cache::new(0, Duration::from_secs(1)).is_none());
    }

    #[test]
    fn the_key_changes_with_every_file_verification_reads() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("ev/sub.12345678")).unwrap();
        for (f, text) in [
            ("root.layout", "layout"),
            ("owner.pub", "key"),
            ("ev/a.link", "a"),
            ("ev/sub.12345678/b.link", "b"),
        ] {
            std::fs::write(d.join(f), text).unwrap();
        }
        let rule: Rule = toml::from_str(&format!(
            "name = \"r\"\nimages = [\"x/*\"]\nlayout = {:?}\nowner_keys = [{:?}]\n\
             evidence = \"ev\"\nbind = {{ step = \"push\", artifact = \"m\" }}\n",
            d.join("root.layout"),
            d.join("owner.pub")
        ))
        .unwrap();
        let ev = d.join("ev");
        let k0 = key(&rule, "x/y@sha256:aa", "aa", &ev).unwrap();
        assert_eq!(
            key(&rule, "x/y@sha256:aa", "aa", &ev),
            Some(k0),
            "deterministic"
        );
        assert_ne!(
            key(&rule, "x/z@sha256:aa", "aa", &ev),
            Some(k0),
            "the image"
        );
        let mut other = rule.clone();
        other.bind.artifact = "n".into();
        assert_ne!(
            key(&other, "x/y@sha256:aa", "aa", &ev),
            Some(k0),
            "the rule"
        );
        for f in [
            "root.layout",
            "owner.pub",
            "ev/a.link",
            "ev/sub.12345678/b.link",
        ] {
            let old = std::fs::read(d.join(f)).unwrap();
            std::fs::write(d.join(f), "changed").unwrap();
            assert_ne!(key(&rule, "x/y@sha256:aa", "aa", &ev), Some(k0), "{f}");
            std::fs::write(d.join(f), old).unwrap();
        }
        std::fs::write(d.join("ev/c.link"), "new").unwrap();
        assert_ne!(
            key(&rule, "x/y@sha256:aa", "aa", &ev),
            Some(k0),
            "a new file"
        );
        std::fs::remove_file(d.join("owner.pub")).unwrap();
        assert_eq!(
            key(&rule, "x/y@sha256:aa", "aa", &ev),
            None,
            "unreadable: no caching"
        );
    }
}
