//! File hashing: the reference's `_hash_file` (SHA-256, optional line-ending normalisation).

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Read buffer size. The result does not depend on it (see [`LineEndings`]).
const BUF_SIZE: usize = 256 * 1024;

/// Report read progress at least every this many bytes for big files.
const PROGRESS_STEP: u64 = 8 * 1024 * 1024;

/// Where hashing a file failed: Python names the file only for `open()` errors.
#[derive(Debug)]
pub(crate) enum HashError {
    Open(io::Error),
    Read(io::Error),
}

impl HashError {
    pub(crate) fn into_io(self) -> io::Error {
        match self {
            HashError::Open(e) | HashError::Read(e) => e,
        }
    }
}

/// The SHA-256 hex digest of a file's contents, as in-toto records it. With
/// `normalize_line_endings`, `\r\n` and lone `\r` are hashed as `\n`.
pub fn hash_file(path: &Path, normalize_line_endings: bool) -> io::Result<String> {
    hash_file_with(path, normalize_line_endings, None, &mut |_| {}).map_err(HashError::into_io)
}

/// [`hash_file`], calling `on_bytes(n)` as bytes are read (in steps, and once at the end
/// with the remainder). `size`: the file's size when it was listed, if known; a read that
/// comes short exactly there is taken as the end of the file, which saves the read that
/// would only confirm it (a file that grew since is read on: its reads end elsewhere).
pub(crate) fn hash_file_with(
    path: &Path,
    normalize_line_endings: bool,
    size: Option<u64>,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<String, HashError> {
    let mut file = File::open(path).map_err(HashError::Open)?;
    // One read buffer per thread: zeroing a fresh 256 KiB buffer for every file costs more
    // than hashing a small file.
    // (Taken out while in use, so a nested call just allocates its own.)
    let mut buf = READ_BUF.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
    if buf.len() != BUF_SIZE {
        buf = vec![0u8; BUF_SIZE];
    }
    let result = hash_reader(&mut file, &mut buf, normalize_line_endings, size, on_bytes);
    READ_BUF.with(|cell| *cell.borrow_mut() = buf);
    result
}

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn hash_reader(
    file: &mut impl Read,
    buf: &mut [u8],
    normalize_line_endings: bool,
    size: Option<u64>,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<String, HashError> {
    let mut hasher = Sha256::new();
    let mut norm = LineEndings::default();
    let mut out = Vec::new();
    let mut unreported = 0u64;
    let mut total = 0u64;
    let mut short = false;
    loop {
        if short && Some(total) == size {
            break;
        }
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HashError::Read(e)),
        };
        if normalize_line_endings {
            out.clear();
            norm.feed(&buf[..n], &mut out);
            hasher.update(&out);
        } else {
            hasher.update(&buf[..n]);
        }
        short = n < buf.len();
        total += n as u64;
        unreported += n as u64;
        if unreported >= PROGRESS_STEP {
            on_bytes(unreported);
            unreported = 0;
        }
    }
    if unreported > 0 {
        on_bytes(unreported);
    }
    Ok(crate::py::hex::hex(hasher.finalize()))
}

/// Streaming form of the reference's normalisation. The reference reads 4096-byte chunks,
/// extends a chunk that ends in `\r` byte by byte until it does not (or the file ends),
/// then replaces `\r\n` by `\n` and then `\r` by `\n` in the chunk. As a chunk never ends
/// in `\r` unless the file does, no `\r\n` spans two chunks, so this equals the same
/// replacements on the whole file: every `\r\n` and every other `\r` become one `\n`.
#[derive(Default)]
pub(crate) struct LineEndings {
    after_cr: bool,
}

impl LineEndings {
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.reserve(data.len());
        for &b in data {
            match b {
                b'\r' => {
                    out.push(b'\n');
                    self.after_cr = true;
                }
                b'\n' if self.after_cr => self.after_cr = false,
                _ => {
                    out.push(b);
                    self.after_cr = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's algorithm, literally (4096-byte chunks).
    fn reference(data: &[u8]) -> Vec<u8> {
        fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < hay.len() {
                if hay[i..].starts_with(from) {
                    out.extend_from_slice(to);
                    i += from.len();
                } else {
                    out.push(hay[i]);
                    i += 1;
                }
            }
            out
        }
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let end = (pos + 4096).min(data.len());
            let mut chunk = data[pos..end].to_vec();
            pos = end;
            while chunk.last() == Some(&b'\r') && pos < data.len() {
                chunk.push(data[pos]);
                pos += 1;
            }
            let chunk = replace(&replace(&chunk, b"\r\n", b"\n"), b"\r", b"\n");
            out.extend_from_slice(&chunk);
        }
        out
    }

    fn streaming(data: &[u8], piece: usize) -> Vec<u8> {
        let mut n = LineEndings::default();
        let mut out = Vec::new();
        for c in data.chunks(piece) {
            n.feed(c, &mut out);
        }
        out
    }

    #[test]
    fn line_endings_match_reference_algorithm() {
        let mut samples: Vec<Vec<u8>> = vec![
            b"a\r\nb\rc\n\r\r\n\n\r".to_vec(),
            b"\r".to_vec(),
            b"\r\r\r\n\n".to_vec(),
            Vec::new(),
        ];
        // CRs and CRLFs around the 4096-byte chunk boundary.
        for at in [4093usize, 4094, 4095, 4096, 4097, 8191] {
            for tail in [&b"\r\n"[..], b"\r\r\n", b"\r", b"\n\r", b"\r\r\r\r"] {
                let mut v = vec![b'x'; at];
                v.extend_from_slice(tail);
                v.extend_from_slice(b"yz\r\n");
                samples.push(v);
            }
        }
        // Pseudo-random bytes drawn from a small alphabet.
        let mut x: u32 = 12345;
        let mut v = Vec::new();
        for _ in 0..20000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            v.push([b'\r', b'\n', b'a'][(x >> 16) as usize % 3]);
        }
        samples.push(v);
        for s in &samples {
            let want = reference(s);
            for piece in [1, 2, 3, 4096, 5000, 1 << 20] {
                assert_eq!(streaming(s, piece), want);
            }
        }
    }

    #[test]
    fn hashes_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"a\r\nb\n").unwrap();
        assert_eq!(
            hash_file(&p, false).unwrap(),
            crate::py::hex::hex(Sha256::digest(b"a\r\nb\n"))
        );
        assert_eq!(
            hash_file(&p, true).unwrap(),
            crate::py::hex::hex(Sha256::digest(b"a\nb\n"))
        );
        assert_eq!(
            hash_file(&dir.path().join("missing"), false)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    /// A reader that counts its reads.
    struct Counted<'a> {
        data: &'a [u8],
        reads: usize,
    }

    impl Read for Counted<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_known_size_saves_only_the_confirming_read() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let digest = |len: usize| crate::py::hex::hex(Sha256::digest(&data[..len]));
        for len in [0, 1, 99, 100, 101, 250, 1000, 10_000] {
            for normalize in [false, true] {
                let run = |size: Option<u64>| {
                    let mut r = Counted {
                        data: &data[..len],
                        reads: 0,
                    };
                    let mut buf = [0u8; 100];
                    let got = hash_reader(&mut r, &mut buf, normalize, size, &mut |_| {});
                    (got.unwrap(), r.reads)
                };
                let (plain, reads) = run(None);
                if !normalize {
                    assert_eq!(plain, digest(len));
                }
                // The size as listed: one read fewer where the last read came short.
                let (hinted, fewer) = run(Some(len as u64));
                assert_eq!(hinted, plain, "{len}");
                let short_last = len % 100 != 0;
                assert_eq!(fewer, if short_last { reads - 1 } else { reads }, "{len}");
                // A file that grew or shrank since it was listed is read to its end.
                for stale in [len as u64 / 2, len as u64 + 1, len as u64 + 100] {
                    if stale != len as u64 {
                        assert_eq!(run(Some(stale)), (plain.clone(), reads), "{len} {stale}");
                    }
                }
            }
        }
    }
}
