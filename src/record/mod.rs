//! The artifact recorder: hashes of materials and products, as the reference's
//! `in_toto.runlib.record_artifacts_as_dict` (in-toto 3.1.0) computes them.
//!
//! * Plain paths (and `file:` URIs, whose prefix is kept in the name) go through the
//!   reference's `FileResolver`: `normpath`, exclude patterns (gitignore semantics of
//!   `pathspec`'s `GitIgnoreSpec`, see [`ExcludeSpec`]), missing paths skipped, files hashed,
//!   directories walked (excluded subdirectories pruned, broken symlinks skipped,
//!   symlinked directories followed if asked).
//! * `dir:<path>` URIs (`DirectoryResolver`) record one entry whose hash is the SHA-256 of
//!   the `"<sha256>  <relpath>\n"` lines of the directory's files, sorted.
//! * `ostree:<ref>` URIs (`OSTreeResolver`) record the hash of the ref's commit object.
//!
//! The files are listed first, then hashed in parallel (rayon); errors are reported in the
//! order the reference would meet them. Nothing changes the process's working directory:
//! `base_path` is joined to the paths instead.

mod hash;
mod pathspec;
mod walk;

pub use crate::py::path::normpath;
pub use hash::hash_file;
pub use pathspec::ExcludeSpec;

use crate::Exc;
use crate::error::Error;
use crate::model::link::{Artifacts, HashDict};
use crate::py::oserror::os_error;
use crate::py::path::join;
use hash::{HashError, hash_file_with};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use walk::{FoundFile, walk};

/// The reference's default exclude patterns (`in_toto.settings.ARTIFACT_EXCLUDE_PATTERNS`).
pub const DEFAULT_EXCLUDES: &[&str] = &["*.link*", ".git", "*.pyc", "*~"];

/// How to record artifacts (the arguments of `record_artifacts_as_dict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOptions {
    /// Exclude patterns; `None` (or, like the reference, an empty list) means
    /// [`DEFAULT_EXCLUDES`]. A non-empty list replaces the defaults.
    pub exclude: Option<Vec<String>>,
    /// Record relative to this directory (the names do not include it). An empty path
    /// counts as none. `dir:` URIs are, as in the reference, relative to the process's
    /// working directory, not to this.
    pub base_path: Option<PathBuf>,
    /// Prefixes to strip from the recorded names (the first that matches is stripped).
    pub lstrip_paths: Vec<String>,
    /// Walk into symlinked directories (in-toto-run, -record and inspections do).
    pub follow_symlink_dirs: bool,
    /// Hash `\r\n` and `\r` as `\n`.
    pub normalize_line_endings: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            exclude: None,
            base_path: None,
            lstrip_paths: Vec::new(),
            follow_symlink_dirs: true,
            normalize_line_endings: false,
        }
    }
}

impl RecordOptions {
    /// The exclude patterns in force.
    pub fn effective_excludes(&self) -> Vec<String> {
        match &self.exclude {
            Some(list) if !list.is_empty() => list.clone(),
            _ => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Hashing progress, reported to the optional callback of [`record_artifacts`]: once
/// before hashing starts, then as files are read (from several threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// The progress callback type.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// Record the artifacts at `paths` (plain paths, `file:`, `dir:` or `ostree:` URIs) like
/// `in_toto.runlib.record_artifacts_as_dict(paths, ...)`.
///
/// Errors carry the reference's exception class: `PrefixError` (overlapping
/// `lstrip_paths`, or names that stripping makes equal), `GitIgnorePatternError` and
/// `error` (invalid exclude patterns), `ValueError` (`dir:` path that is no directory),
/// `FileNotFoundError`/`NotADirectoryError` (bad `base_path`), `PermissionError` etc.
/// (unreadable files).
pub fn record_artifacts<S: AsRef<str>>(
    paths: &[S],
    opts: &RecordOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<Artifacts, Error> {
    if paths.is_empty() {
        return Ok(Artifacts::default());
    }
    // FileResolver.__init__: prefixes first, then the patterns.
    check_lstrip_paths(&opts.lstrip_paths)?;
    let spec = ExcludeSpec::new(&opts.effective_excludes())?;
    let base = opts
        .base_path
        .as_deref()
        .filter(|b| !b.as_os_str().is_empty());

    let mut planner = Planner {
        spec: &spec,
        follow: opts.follow_symlink_dirs,
        jobs: Vec::new(),
        steps: Vec::new(),
    };
    planner.plan(paths, base);
    let Planner { jobs, steps, .. } = planner;

    let results = hash_jobs(&jobs, opts.normalize_line_endings, progress);
    assemble(steps, results, &opts.lstrip_paths, base)
}

/// The reference's check that no prefix is a prefix of another.
fn check_lstrip_paths(lstrip_paths: &[String]) -> Result<(), Error> {
    for (i, a) in lstrip_paths.iter().enumerate() {
        for b in &lstrip_paths[i + 1..] {
            if a.starts_with(b.as_str()) || b.starts_with(a.as_str()) {
                return Err(Error::new(
                    Exc::PrefixError,
                    format!("'{a}' and '{b}' triggered a left substring error"),
                ));
            }
        }
    }
    Ok(())
}

/// Which resolver handles a URI (`Resolver.for_uri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    File,
    Dir,
    Ostree,
}

fn scheme_of(uri: &str) -> Scheme {
    match uri.split_once(':') {
        Some(("dir", _)) => Scheme::Dir,
        Some(("ostree", _)) => Scheme::Ostree,
        _ => Scheme::File,
    }
}

/// A file to hash.
struct Job {
    fs: PathBuf,
    size: u64,
}

/// What to record, in the reference's order.
enum Step {
    /// A resolver's batch starts: the duplicate check only sees names of the same batch.
    Batch,
    /// A file of the `FileResolver`: `path` is its normalised path, `prefix` `"file:"` or
    /// `""`.
    File {
        path: String,
        prefix: &'static str,
        job: usize,
    },
    /// A `dir:` URI (path after the scheme) with its files (relative path, job).
    Dir {
        path: String,
        files: Vec<(String, usize)>,
    },
    /// The `ostree:` URIs (paths after the scheme), hashed when reached.
    Ostree { paths: Vec<String> },
    /// The reference raises this here.
    Fail(Error),
}

struct Planner<'a> {
    spec: &'a ExcludeSpec,
    follow: bool,
    jobs: Vec<Job>,
    steps: Vec<Step>,
}

impl Planner<'_> {
    /// List what to record: resolvers in the order of their first URI, as the reference
    /// batches them. Stops at the first error the reference raises before hashing.
    fn plan<S: AsRef<str>>(&mut self, paths: &[S], base: Option<&Path>) {
        let mut batches: Vec<(Scheme, Vec<&str>)> = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let scheme = scheme_of(p);
            match batches.iter_mut().find(|(s, _)| *s == scheme) {
                Some((_, uris)) => uris.push(p),
                None => batches.push((scheme, vec![p])),
            }
        }
        for (scheme, uris) in batches {
            self.steps.push(Step::Batch);
            let ok = match scheme {
                Scheme::File => self.plan_file_batch(&uris, base),
                Scheme::Dir => self.plan_dir_batch(&uris),
                Scheme::Ostree => {
                    let paths = uris
                        .iter()
                        .map(|u| u.strip_prefix("ostree:").unwrap_or(u).to_string())
                        .collect();
                    self.steps.push(Step::Ostree { paths });
                    true
                }
            };
            if !ok {
                return;
            }
        }
    }

    fn plan_file_batch(&mut self, uris: &[&str], base: Option<&Path>) -> bool {
        match self.plan_files(uris, base) {
            Ok(files) => {
                for (path, prefix, job) in files {
                    self.steps.push(Step::File { path, prefix, job });
                }
                true
            }
            Err(e) => {
                self.steps.push(Step::Fail(e));
                false
            }
        }
    }

    fn plan_dir_batch(&mut self, uris: &[&str]) -> bool {
        for uri in uris {
            let path = uri.strip_prefix("dir:").unwrap_or(uri);
            // Relative to the working directory, like the reference.
            if !fs::metadata(path).is_ok_and(|m| m.is_dir()) {
                let e = Error::new(Exc::ValueError, format!("path '{path}' is not a directory"));
                self.steps.push(Step::Fail(e));
                return false;
            }
            match self.plan_files(&["."], Some(Path::new(path))) {
                Ok(files) => {
                    let files = files.into_iter().map(|(p, _, job)| (p, job)).collect();
                    self.steps.push(Step::Dir {
                        path: path.to_string(),
                        files,
                    });
                }
                Err(e) => {
                    self.steps.push(Step::Fail(e));
                    return false;
                }
            }
        }
        true
    }

    /// `FileResolver.hash_artifacts` up to hashing: (normalised path, prefix, job) for
    /// each file to record.
    fn plan_files(
        &mut self,
        uris: &[&str],
        base: Option<&Path>,
    ) -> Result<Vec<(String, &'static str, usize)>, Error> {
        if let Some(b) = base {
            check_chdir(b)?;
        }
        let mut out = Vec::new();
        for uri in uris {
            let (path, prefix) = match uri.strip_prefix("file:") {
                Some(rest) => (rest, "file:"),
                None => (*uri, ""),
            };
            let path = normpath(path);
            if self.spec.is_excluded(&path) {
                continue;
            }
            let fs_path = resolve(base, &path);
            let Ok(meta) = fs::metadata(&fs_path) else {
                continue; // missing (or unreachable): skipped
            };
            if meta.is_file() {
                let job = self.job(fs_path, meta.len());
                out.push((path, prefix, job));
            } else if meta.is_dir() {
                let mut found = Vec::new();
                walk(&path, &fs_path, self.spec, self.follow, &mut found)?;
                for FoundFile { name, fs, size } in found {
                    let job = self.job(fs, size);
                    out.push((name, prefix, job));
                }
            }
        }
        Ok(out)
    }

    fn job(&mut self, fs: PathBuf, size: u64) -> usize {
        self.jobs.push(Job { fs, size });
        self.jobs.len() - 1
    }
}

/// A path as seen from `base` (the reference changes into `base` first).
fn resolve(base: Option<&Path>, path: &str) -> PathBuf {
    match base {
        Some(b) => b.join(path),
        None => PathBuf::from(path),
    }
}

/// The error `os.chdir(base)` would raise, if any.
fn check_chdir(base: &Path) -> Result<(), Error> {
    let shown = base.to_string_lossy();
    match fs::metadata(base) {
        Err(e) => Err(os_error(&e, Some(&shown))),
        Ok(m) if !m.is_dir() => Err(os_error(
            &std::io::Error::from_raw_os_error(20),
            Some(&shown),
        )),
        Ok(_) => Ok(()),
    }
}

/// Hash all jobs in parallel, reporting progress.
fn hash_jobs(
    jobs: &[Job],
    normalize: bool,
    progress: Option<ProgressFn<'_>>,
) -> Vec<Result<String, HashError>> {
    let files_total = jobs.len();
    let bytes_total: u64 = jobs.iter().map(|j| j.size).sum();
    let files_done = AtomicUsize::new(0);
    let bytes_done = AtomicU64::new(0);
    let report = |files: usize, bytes: u64| {
        if let Some(cb) = progress {
            cb(Progress {
                files_done: files,
                files_total,
                bytes_done: bytes,
                bytes_total,
            });
        }
    };
    report(0, 0);
    jobs.par_iter()
        .map(|job| {
            let mut on_bytes = |n: u64| {
                let bytes = bytes_done.fetch_add(n, Ordering::Relaxed) + n;
                report(files_done.load(Ordering::Relaxed), bytes);
            };
            let result = hash_file_with(&job.fs, normalize, Some(job.size), &mut on_bytes);
            let files = files_done.fetch_add(1, Ordering::Relaxed) + 1;
            report(files, bytes_done.load(Ordering::Relaxed));
            result
        })
        .collect()
}

/// The error Python raises for a failed `_hash_file(path)`.
fn hash_error(e: &HashError, path: &str) -> Error {
    match e {
        HashError::Open(e) => os_error(e, Some(path)),
        HashError::Read(e) => os_error(e, None),
    }
}

/// The reference's `_mangle`: `\` → `/`, then the first matching prefix stripped.
fn lstrip<'a>(path: &'a str, lstrip_paths: &[String]) -> &'a str {
    lstrip_paths
        .iter()
        .find_map(|p| path.strip_prefix(p.as_str()))
        .unwrap_or(path)
}

fn non_unique(name: &str) -> Error {
    Error::new(
        Exc::PrefixError,
        format!("Prefix selection has resulted in non unique dictionary key '{name}'"),
    )
}

/// Build the result from the plan and the hashes, raising errors in the reference's order.
fn assemble(
    steps: Vec<Step>,
    mut results: Vec<Result<String, HashError>>,
    lstrip_paths: &[String],
    base: Option<&Path>,
) -> Result<Artifacts, Error> {
    let mut take = |job: usize, path: &str| -> Result<String, Error> {
        std::mem::replace(&mut results[job], Ok(String::new())).map_err(|e| hash_error(&e, path))
    };
    let mut pairs: Vec<(Box<str>, HashDict)> = Vec::new();
    let mut batch: HashSet<String> = HashSet::new();
    for step in steps {
        match step {
            Step::Batch => batch.clear(),
            Step::File { path, prefix, job } => {
                let slashed = path.replace('\\', "/");
                let name = lstrip(&slashed, lstrip_paths);
                // The reference compares the name without its `file:` prefix.
                if !lstrip_paths.is_empty() && batch.contains(name) {
                    return Err(non_unique(name));
                }
                let hex = take(job, &path)?;
                let full = format!("{prefix}{name}");
                batch.insert(full.clone());
                pairs.push((full.into(), HashDict::sha256(&hex)));
            }
            Step::Dir { path, files } => {
                let mut keys: Vec<String> = Vec::new();
                let mut hashes: HashMap<String, String> = HashMap::new();
                for (file, job) in files {
                    let hex = take(job, &file)?;
                    let key = file.replace('\\', "/");
                    if hashes.insert(key.clone(), hex).is_none() {
                        keys.push(key);
                    }
                }
                let hex = dir_hash(keys, &hashes);
                let slashed = path.replace('\\', "/");
                let name = format!("dir:{}", lstrip(&slashed, lstrip_paths));
                if !lstrip_paths.is_empty() && batch.contains(&name) {
                    return Err(non_unique(&name));
                }
                batch.insert(name.clone());
                pairs.push((name.into(), HashDict::sha256(&hex)));
            }
            Step::Ostree { paths } => {
                if let Some(b) = base {
                    check_chdir(b)?;
                }
                for path in paths {
                    let hex = ostree_hash(base, &path)?;
                    pairs.push((format!("ostree:{path}").into(), HashDict::sha256(&hex)));
                }
            }
            Step::Fail(e) => return Err(e),
        }
    }
    Ok(Artifacts::from_pairs(pairs))
}

/// `DirectoryResolver._hash`: SHA-256 of `"<sha256>  <path>\n"` lines sorted by code point
/// (the C locale's `strcoll`).
fn dir_hash(mut keys: Vec<String>, hashes: &HashMap<String, String>) -> String {
    keys.sort_unstable();
    let mut text = String::new();
    for k in &keys {
        text.push_str(&hashes[k]);
        text.push_str("  ");
        text.push_str(k);
        text.push('\n');
    }
    crate::py::hex::hex(Sha256::digest(text.as_bytes()))
}

/// `OSTreeResolver._hash`: the hash of `objects/<xx>/<rest>.commit` for the commit named in
/// `refs/heads/<path>`.
fn ostree_hash(base: Option<&Path>, path: &str) -> Result<String, Error> {
    let ref_path = join(&join("refs", "heads"), path);
    let bytes = fs::read(resolve(base, &ref_path)).map_err(|e| os_error(&e, Some(&ref_path)))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::unicode_decode(e.as_bytes(), &e.utf8_error()))?;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let commit = text.trim_matches('\n');
    let split = commit
        .char_indices()
        .nth(2)
        .map_or(commit.len(), |(i, _)| i);
    let (head, rest) = commit.split_at(split);
    let object_path = join(&join("objects", head), &format!("{rest}.commit"));
    hash_file_with(&resolve(base, &object_path), false, None, &mut |_| {})
        .map_err(|e| hash_error(&e, &object_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lstrip_prefix_errors() {
        let e = check_lstrip_paths(&strings(&["a/", "b/", "a/b"])).unwrap_err();
        assert_eq!(e.class, "PrefixError");
        assert_eq!(e.message, "'a/' and 'a/b' triggered a left substring error");
        let e = check_lstrip_paths(&strings(&["x", "ab", "a"])).unwrap_err();
        assert_eq!(e.message, "'ab' and 'a' triggered a left substring error");
        assert!(check_lstrip_paths(&strings(&["a/", "b/"])).is_ok());
        assert!(check_lstrip_paths(&strings(&[""])).is_ok());
        assert!(check_lstrip_paths(&strings(&["", "a"])).is_err());
    }

    #[test]
    fn lstrip_first_match() {
        let l = strings(&["sub/", "s"]);
        assert_eq!(lstrip("sub/a", &l), "a");
        assert_eq!(lstrip("sx", &l), "x");
        assert_eq!(lstrip("q", &l), "q");
    }

    #[test]
    fn record_in_tempdir() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("sub/deep")).unwrap();
        fs::write(d.join("a.txt"), "a").unwrap();
        fs::write(d.join("sub/b.txt"), "b").unwrap();
        fs::write(d.join("sub/deep/c.txt"), "c").unwrap();
        fs::write(d.join("x.link"), "l").unwrap();
        let opts = RecordOptions {
            base_path: Some(d.to_path_buf()),
            ..Default::default()
        };
        let got = record_artifacts(&["."], &opts, None).unwrap();
        let names: Vec<&str> = got.paths().collect();
        assert_eq!(names, ["a.txt", "sub/b.txt", "sub/deep/c.txt"]);
        assert_eq!(
            got.get("a.txt").unwrap().get("sha256"),
            Some(crate::py::hex::hex(Sha256::digest(b"a")).as_str())
        );

        let opts = RecordOptions {
            base_path: Some(d.to_path_buf()),
            lstrip_paths: strings(&["sub/", "sub/deep/"]),
            ..Default::default()
        };
        assert_eq!(
            record_artifacts(&["sub"], &opts, None).unwrap_err().class,
            "PrefixError"
        );

        let opts = RecordOptions {
            base_path: Some(d.to_path_buf()),
            lstrip_paths: strings(&["sub/"]),
            ..Default::default()
        };
        let got = record_artifacts(&["sub", "file:a.txt"], &opts, None).unwrap();
        let names: Vec<&str> = got.paths().collect();
        assert_eq!(names, ["b.txt", "deep/c.txt", "file:a.txt"]);
        let e = record_artifacts(&["sub/b.txt", "./sub/b.txt"], &opts, None).unwrap_err();
        assert_eq!(
            e.message,
            "Prefix selection has resulted in non unique dictionary key 'b.txt'"
        );

        let missing = RecordOptions {
            base_path: Some(d.join("nope")),
            ..Default::default()
        };
        assert_eq!(
            record_artifacts(&["."], &missing, None).unwrap_err().class,
            "FileNotFoundError"
        );
        assert!(
            record_artifacts::<&str>(&[], &missing, None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn progress_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            fs::write(dir.path().join(format!("f{i}")), vec![b'x'; i * 100]).unwrap();
        }
        let last = std::sync::Mutex::new(Vec::new());
        let cb = |p: Progress| last.lock().unwrap().push(p);
        let opts = RecordOptions {
            base_path: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let got = record_artifacts(&["."], &opts, Some(&cb)).unwrap();
        assert_eq!(got.len(), 20);
        let seen = last.into_inner().unwrap();
        assert_eq!(
            seen[0],
            Progress {
                files_done: 0,
                files_total: 20,
                bytes_done: 0,
                bytes_total: 19000
            }
        );
        assert!(
            seen.iter()
                .any(|p| p.files_done == 20 && p.bytes_done == 19000)
        );
    }

    #[test]
    fn symlink_loops_terminate() {
        #[cfg(unix)]
        {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            fs::create_dir(d.join("a")).unwrap();
            fs::write(d.join("a/f"), "f").unwrap();
            std::os::unix::fs::symlink("..", d.join("a/up")).unwrap();
            std::os::unix::fs::symlink(".", d.join("a/self")).unwrap();
            let opts = RecordOptions {
                base_path: Some(d.to_path_buf()),
                ..Default::default()
            };
            // Two loops side by side branch at every level: a clear error, not a hang.
            let e = record_artifacts(&["a"], &opts, None).unwrap_err();
            assert_eq!(e.class, "OSError");
            assert!(
                e.message.contains("Too many levels of symbolic links"),
                "{e}"
            );
            // One loop is followed level by level, as os.walk follows it, until the kernel
            // refuses the path (40 symlinks).
            fs::remove_file(d.join("a/up")).unwrap();
            let got = record_artifacts(&["a"], &opts, None).unwrap();
            assert!(got.contains("a/f") && got.contains("a/self/self/f"));
            assert_eq!(got.len(), 41);
        }
    }
}
