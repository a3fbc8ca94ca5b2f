//! Safe file writing: every write is atomic (temporary file in the same directory, fsync,
//! rename, directory fsync), an existing file keeps its mode, private keys are created
//! with mode 0600, and an optional `.bak` keeps the previous version.

use crate::Exc;
use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How to write a file.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Mode for a new file (an existing file keeps its mode unless `force_mode`).
    pub mode: Option<u32>,
    /// Apply `mode` even when the file exists (private keys).
    pub force_mode: bool,
    /// Keep the previous contents as `<path>.bak`.
    pub backup: bool,
    /// Fail if the file exists.
    pub create_new: bool,
}

impl WriteOptions {
    /// A private key: mode 0600, never overwrite.
    pub fn private_key() -> Self {
        WriteOptions {
            mode: Some(0o600),
            force_mode: true,
            backup: false,
            create_new: true,
        }
    }
}

fn io(e: std::io::Error, path: &Path) -> Error {
    crate::py::oserror::path_error(&e, path)
}

/// The prefix of the temporary files of `path` written by this process: `.<name>.tmp-<pid>-`
/// (then a random suffix from `tempfile`). The pid tells a later save whether the writer
/// is gone ([`remove_stale_temp_files`]).
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    format!(".{name}.tmp-{}-", std::process::id())
}

/// The writer's pid in a temporary file name of ours (`.<name>.tmp-<pid>-<suffix>`).
fn temp_file_pid(file_name: &str) -> Option<u32> {
    let (_, rest) = file_name.rsplit_once(".tmp-")?;
    let (pid, suffix) = rest.split_once('-')?;
    if !file_name.starts_with('.') || suffix.is_empty() || suffix.contains('-') {
        return None;
    }
    pid.parse().ok()
}

/// Remove the temporary files of our naming in `dir` whose writer is no longer running
/// (a save killed between creating its temp file and renaming it leaves one). Files of a
/// live process — another save under way — and anything that is not a regular file stay.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_file_pid) else {
            continue;
        };
        let alive = pid == me || Path::new("/proc").join(pid.to_string()).exists();
        if !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Write `bytes` to `path` atomically: readers see either the old or the new file, never
/// a mix, even if the process is killed.
pub fn atomic_write(path: &Path, bytes: &[u8], opts: WriteOptions) -> Result<()> {
    let existing = fs::metadata(path).ok();
    if opts.create_new && existing.is_some() {
        return Err(Error::new(
            Exc::FileExistsError,
            format!(
                "[Errno 17] File exists: '{}' (use --force to overwrite)",
                path.display()
            ),
        ));
    }
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(Error::new(
            Exc::IsADirectoryError,
            format!("Is a directory: '{}'", path.display()),
        ));
    }
    let mode = match (&existing, opts.mode) {
        (_, Some(mode)) if opts.force_mode => mode,
        (Some(m), _) => m.permissions().mode() & 0o7777,
        (None, mode) => mode.unwrap_or(0o644),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    remove_stale_temp_files(dir);
    // The temp file is removed by `tempfile` on every error path (and by the next save in
    // this folder if the process is killed).
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(|e| io(e, dir))?;
    let tmp_path = tmp.path().to_path_buf();
    // The umask may have narrowed the mode; set it exactly.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| io(e, &tmp_path))?;
    tmp.write_all(bytes).map_err(|e| io(e, &tmp_path))?;
    tmp.as_file().sync_all().map_err(|e| io(e, &tmp_path))?;
    if opts.backup && existing.is_some() {
        let bak = backup_path(path);
        // A hard link keeps the old inode as the backup without copying.
        let _ = fs::remove_file(&bak);
        if fs::hard_link(path, &bak).is_err() {
            fs::copy(path, &bak).map_err(|e| io(e, &bak))?;
        }
    }
    if opts.create_new {
        // Refuse to replace a file created meanwhile.
        tmp.persist_noclobber(path).map_err(|e| io(e.error, path))?;
    } else {
        tmp.persist(path).map_err(|e| io(e.error, path))?;
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Copy a directory tree to a new directory: regular files, directories, and symlinks as
/// links. Anything else (FIFOs, sockets, devices) is not copied — opening a FIFO would block
/// for ever, a device could be endless — and is returned, for the caller to report.
pub fn copy_tree(from: &Path, to: &Path) -> Result<Vec<PathBuf>> {
    let mut skipped = Vec::new();
    copy_tree_into(from, to, &mut skipped)?;
    Ok(skipped)
}

fn copy_tree_into(from: &Path, to: &Path, skipped: &mut Vec<PathBuf>) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| io(e, to))?;
    for entry in fs::read_dir(from).map_err(|e| io(e, from))? {
        let entry = entry.map_err(|e| io(e, from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ft = entry.file_type().map_err(|e| io(e, &src))?;
        if ft.is_symlink() {
            let target = fs::read_link(&src).map_err(|e| io(e, &src))?;
            std::os::unix::fs::symlink(&target, &dst).map_err(|e| io(e, &dst))?;
        } else if ft.is_dir() {
            copy_tree_into(&src, &dst, skipped)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst).map_err(|e| io(e, &src))?;
        } else {
            skipped.push(src);
        }
    }
    Ok(())
}

/// Write `bytes` to `path` in place of what is there, refusing to write through a symlink
/// or over anything that is not a regular file: the name may come from files an attacker
/// placed (an inspection's link in a working directory that a product tarball filled).
/// Atomic: a temp file in the same directory, then a rename over the name itself.
pub fn write_regular_no_follow(path: &Path, bytes: &[u8]) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            return Err(Error::new(
                Exc::OSError,
                format!(
                    "refusing to write '{}': it is a symbolic link (to '{target}'), and \
                     nothing is written through one",
                    path.display()
                ),
            ));
        }
        Ok(m) if !m.is_file() => {
            return Err(Error::new(
                Exc::OSError,
                format!(
                    "refusing to write '{}': it exists and is not a regular file",
                    path.display()
                ),
            ));
        }
        _ => {}
    }
    atomic_write(path, bytes, WriteOptions::default())
}

/// A fresh, private (0700) scratch directory under the system temp dir, removed on drop.
pub struct ScratchDir(tempfile::TempDir);

impl ScratchDir {
    pub fn new(prefix: &str) -> Result<ScratchDir> {
        tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir()
            .map(ScratchDir)
            .map_err(|e| io(e, &std::env::temp_dir()))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Open a file for reading only if it is a regular file (following symlinks). A FIFO,
/// socket or device (`/dev/zero`, `/dev/stdin`, ...) would block the reader forever or feed
/// it without end, so it is refused with an error that is not `NotFound` and not a
/// directory error; a directory gives `EISDIR` as reading it would.
/// Returns the file and its size.
pub fn open_regular(path: &Path) -> std::io::Result<(File, u64)> {
    // O_NONBLOCK: opening a FIFO nobody writes to must not block.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
    }
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok((file, meta.len()))
}

/// Read a whole regular file into `buf` (cleared first); see [`open_regular`].
pub fn read_regular_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let (mut file, size) = open_regular(path)?;
    read_open_into(&mut file, size, buf)
}

/// Read the whole of a file from [`open_regular`] (of `size` bytes when opened, from its
/// start wherever its position is) into `buf` (cleared first).
pub fn read_open_into(file: &mut File, size: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::{Read as _, Seek as _};
    file.rewind()?;
    let size = usize::try_from(size).unwrap_or(0);
    buf.clear();
    // Fallible: a file bigger than the memory left is an error (`MemoryError`), not an abort.
    buf.try_reserve_exact(size.saturating_add(1))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
    file.read_to_end(buf)?;
    Ok(())
}

/// Read a whole regular file; see [`open_regular`].
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    read_regular_into(path, &mut buf)?;
    Ok(buf)
}

/// Read a whole regular file as UTF-8 text; see [`open_regular`] (a FIFO or device is
/// refused instead of blocking or reading for ever).
pub fn read_regular_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// `<path>.bak`
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo");
        let e = read_regular(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file");
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_regular(&zero).is_err());
        let e = read_regular(dir.path()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
        let e = read_regular(&dir.path().join("missing")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let f = dir.path().join("f");
        fs::write(&f, b"data").unwrap();
        assert_eq!(read_regular(&f).unwrap(), b"data");
    }

    #[test]
    fn writes_atomically_with_modes_and_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("root.layout");
        atomic_write(&p, b"one", WriteOptions::default()).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(
            &p,
            b"two",
            WriteOptions {
                backup: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read(backup_path(&p)).unwrap(), b"one");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640,
            "mode kept"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_save_removes_the_temp_files_of_writers_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("root.layout");
        let me = std::process::id();
        let dead = ".root.layout.tmp-4194305-Ab12Cd"; // above any pid_max: never running
        let dead_other = ".x.link.tmp-4194306-zz";
        let live = format!(".root.layout.tmp-{me}-Ef34Gh"); // this process: kept
        let init = ".y.tmp-1-q"; // pid 1 runs
        let not_ours = ".root.layout.tmp-4194305"; // no suffix: not our naming
        for n in [dead, dead_other, live.as_str(), init, not_ours] {
            fs::write(dir.path().join(n), b"partial").unwrap();
        }
        fs::create_dir(dir.path().join(".d.tmp-4194307-dir")).unwrap();
        atomic_write(&p, b"one", WriteOptions::default()).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        let mut want = vec![
            ".d.tmp-4194307-dir".to_string(),
            not_ours.to_string(),
            live.clone(),
            init.to_string(),
            "root.layout".to_string(),
        ];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn temp_names_carry_the_writer() {
        assert_eq!(temp_file_pid(".a.link.tmp-123-xYz"), Some(123));
        assert_eq!(temp_file_pid(".a.tmp-b.tmp-7-q"), Some(7));
        assert_eq!(temp_file_pid("a.tmp-123-x"), None);
        assert_eq!(temp_file_pid(".a.tmp-123-"), None);
        assert_eq!(temp_file_pid(".a.tmp-x-1"), None);
        let prefix = temp_prefix(Path::new("d/root.layout"));
        assert_eq!(
            temp_file_pid(&format!("{prefix}R4nd0m")),
            Some(std::process::id())
        );
    }

    #[test]
    fn private_keys_are_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        atomic_write(&p, b"secret", WriteOptions::private_key()).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let e = atomic_write(&p, b"other", WriteOptions::private_key()).unwrap_err();
        assert_eq!(e.class, "FileExistsError");
        assert_eq!(fs::read(&p).unwrap(), b"secret");
    }
}
