//! The reference's directory walk: `os.walk(top, followlinks=...)` (top-down, errors
//! ignored) with in-toto's filtering of excluded subdirectories and files.

use super::pathspec::ExcludeSpec;
use crate::Exc;
use crate::error::Error;
use crate::model::fsname::fs_name;
use crate::py::path::{join, normpath};
use rayon::prelude::*;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// A regular file found by the walk.
#[derive(Debug)]
pub(crate) struct FoundFile {
    /// The recorded path before mangling: `normpath(join(base, name))`.
    pub name: String,
    /// Where to read it.
    pub fs: PathBuf,
    /// Its size when found (for progress).
    pub size: u64,
}

/// Identity of a directory, to count symlink loops.
#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

#[cfg(unix)]
fn dir_id(path: &Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(path: &Path) -> Option<DirId> {
    fs::canonicalize(path).ok()
}

struct Frame {
    id: Option<DirId>,
    /// Subdirectories still to walk: (Python path as `os.walk` builds it, file system path).
    subdirs: std::vec::IntoIter<(String, PathBuf)>,
}

/// How many times a walk may enter a directory that it is already walking further up (a
/// symlinked directory that loops back). One loop is entered once per level until the kernel
/// refuses the path (`ELOOP`, 40 symlinks): a few dozen times. Two loops side by side branch
/// at every level, and the reference's `os.walk` then never finishes; past this bound the
/// walk fails with a clear error instead of hanging or leaving files out.
pub(crate) const MAX_LOOP_ENTRIES: usize = 10_000;

/// Walk `top` (its Python path text `top_py`, found at `top_fs`) like in-toto's
/// `FileResolver` does, appending the files to record in the reference's order.
///
/// Symlinked directories that loop back are followed as `os.walk(followlinks=True)` follows
/// them, so the same files are recorded under every path the reference records (until the
/// kernel refuses a path with too many symlinks, where `os.walk` silently stops too). A walk
/// whose loops branch fails after [`MAX_LOOP_ENTRIES`] re-entries.
pub(crate) fn walk(
    top_py: &str,
    top_fs: &Path,
    spec: &ExcludeSpec,
    follow_symlink_dirs: bool,
    out: &mut Vec<FoundFile>,
) -> Result<(), Error> {
    let mut loop_entries = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    if let Some(subdirs) = visit(top_py, top_fs, spec, follow_symlink_dirs, out) {
        stack.push(Frame {
            id: dir_id(top_fs),
            subdirs: subdirs.into_iter(),
        });
    }
    loop {
        let next = match stack.last_mut() {
            None => break,
            Some(frame) => frame.subdirs.next(),
        };
        let Some((py, fs_path)) = next else {
            stack.pop();
            continue;
        };
        let id = dir_id(&fs_path);
        if id.is_some() && stack.iter().any(|f| f.id == id) {
            loop_entries += 1;
            if loop_entries > MAX_LOOP_ENTRIES {
                return Err(Error::new(
                    Exc::OSError,
                    format!(
                        "[Errno 40] Too many levels of symbolic links: '{top_py}' (symlinked \
                         directories below it loop back more than {MAX_LOOP_ENTRIES} times; \
                         in-toto 3.1.0 would walk them without end)"
                    ),
                ));
            }
        }
        if let Some(subdirs) = visit(&py, &fs_path, spec, follow_symlink_dirs, out) {
            stack.push(Frame {
                id,
                subdirs: subdirs.into_iter(),
            });
        }
    }
    Ok(())
}

/// One `os.walk` step for `top`: record its files, return the subdirectories to walk.
/// `None` if the directory cannot be listed (`os.walk` then yields nothing for it).
fn visit(
    top_py: &str,
    top_fs: &Path,
    spec: &ExcludeSpec,
    follow_symlink_dirs: bool,
    out: &mut Vec<FoundFile>,
) -> Option<Vec<(String, PathBuf)>> {
    let entries = fs::read_dir(top_fs).ok()?;
    let mut dirs: Vec<(OsString, String, bool)> = Vec::new();
    // Non-directories, with the entry when it is no symlink (its metadata is then read
    // relative to the open directory: no path lookup per file).
    let mut nondirs: Vec<(OsString, String, Option<fs::DirEntry>)> = Vec::new();
    for entry in entries {
        // An error while listing: `os.walk` drops the whole directory.
        let entry = entry.ok()?;
        let os_name = entry.file_name();
        let name = fs_name(&os_name);
        // `DirEntry.is_dir()` follows symlinks; errors count as "not a directory".
        let (is_dir, is_link, known) = match entry.file_type() {
            Ok(ft) if ft.is_symlink() => (
                fs::metadata(entry.path())
                    .map(|m| m.is_dir())
                    .unwrap_or(false),
                true,
                false,
            ),
            Ok(ft) => (ft.is_dir(), false, true),
            Err(_) => (false, false, false),
        };
        if is_dir {
            dirs.push((os_name, name, is_link));
        } else {
            nondirs.push((os_name, name, known.then_some(entry)));
        }
    }

    // in-toto prunes excluded subdirectories before os.walk descends.
    dirs.retain(|(_, name, _)| !spec.is_excluded(&normpath(&join(top_py, name))));

    // The files to record, with their metadata read in parallel (a `stat` per file is
    // most of a walk over many small files).
    let candidates: Vec<(String, PathBuf, Option<fs::DirEntry>)> = nondirs
        .into_iter()
        .filter_map(|(os_name, name, entry)| {
            let filepath = normpath(&join(top_py, &name));
            (!spec.is_excluded(&filepath)).then(|| (filepath, top_fs.join(&os_name), entry))
        })
        .collect();
    let found: Vec<Option<FoundFile>> = candidates
        .into_par_iter()
        .with_min_len(16)
        .map(|(name, fs_path, entry)| {
            // Broken symlinks and anything that is not a regular file are skipped. (For an
            // entry that is no symlink, its own metadata is what `metadata(path)` would say.)
            let meta = match entry {
                Some(entry) => entry.metadata(),
                None => fs::metadata(&fs_path),
            };
            match meta {
                Ok(meta) if meta.is_file() => Some(FoundFile {
                    name,
                    fs: fs_path,
                    size: meta.len(),
                }),
                _ => None,
            }
        })
        .collect();
    out.extend(found.into_iter().flatten());

    Some(
        dirs.into_iter()
            .filter(|(_, _, is_link)| follow_symlink_dirs || !is_link)
            .map(|(os_name, name, _)| (join(top_py, &name), top_fs.join(os_name)))
            .collect(),
    )
}
