//! Big DSSE envelopes read in pieces. Nearly all of such a file is its `payload`, base64
//! text that is only ever decoded; reading the file in small steps and decoding each
//! piece while it is still in the CPU's cache saves a pass over the text, the memory for
//! the whole file and the UTF-8 check of the base64 letters (the decoder accepts nothing
//! but ASCII letters).
//!
//! This applies to envelopes that open with the payload, `{"payload": "`, as the reference
//! and this tool write them. The end of the payload is guessed from the end of the file
//! (the first `"` there, as base64 holds none) and confirmed by the decoding: every byte up
//! to it must be a base64 letter, and it must be a `"`. The rest of the envelope is then
//! parsed as a small document whose payload is the empty string, standing for the bytes
//! decoded here. Anything unexpected (another layout of the file, non-canonical base64, a
//! read error, a file that changes while it is read) declines, and the caller reads the
//! whole file the usual way, which then decides and reports.

use super::{Metadata, PayloadBuf, read};
use std::fs::File;
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;

/// Envelopes smaller than this are read whole.
const MIN_SIZE: u64 = 1 << 20;
/// Bytes read per step: well inside a core's L2 cache, with the bytes decoded from them.
const CHUNK: usize = 256 << 10;
/// How much of the end of the file is read to find where the payload ends.
const TAIL: usize = 64 << 10;
/// How much of the start of the file is read to find where the payload starts.
const HEAD: usize = 4 << 10;

/// Read and parse a big DSSE envelope from the start of `file` (`size` bytes long), using
/// `buf` for the pieces; `None` when this declines (the file's position is then anywhere).
pub(super) fn load(
    file: &mut File,
    size: u64,
    buf: &mut Vec<u8>,
) -> Option<crate::Result<Metadata>> {
    if size < MIN_SIZE {
        return None;
    }
    let size = usize::try_from(size).ok()?;
    // `buf[at..end]` holds the bytes read and not yet used. The opening first: another
    // kind of file declines after reading a few KiB.
    buf.clear();
    buf.resize(CHUNK, 0);
    let mut end = fill(file, &mut buf[..HEAD], 0)?;
    let start = payload_start(&buf[..end])?;
    let head = buf[..start].to_vec();

    // The payload's closing quote: the first `"` of the file's end, if decoding confirms it.
    let tail_len = TAIL.min(size.checked_sub(start)?);
    let tail_at = size - tail_len;
    let mut tail = vec![0u8; tail_len];
    file.read_exact_at(&mut tail, tail_at as u64).ok()?;
    let quote = memchr::memchr(b'"', &tail)?;
    let letters = tail_at + quote - start;
    if quote < 4 || !letters.is_multiple_of(4) {
        return None;
    }
    let mut out = PayloadBuf::new(letters, &tail[quote - 4..quote]);
    drop(tail);

    // All quanta but the last, piece by piece.
    let body = letters - 4;
    let mut done = 0;
    let mut at = start;
    loop {
        let take = (end - at).min(body - done) / 4 * 4;
        out.quanta(&buf[at..at + take])?;
        done += take;
        at += take;
        if done == body {
            break;
        }
        // Keep the letters of an unfinished quantum and read on.
        (at, end) = refill(file, buf, at, end)?;
    }
    // The last quantum and the closing quote.
    while end < at + 5 {
        (at, end) = refill(file, buf, at, end)?;
    }
    out.last(&buf[at..at + 4])?;
    if buf[at + 4] != b'"' {
        return None;
    }

    // The rest of the envelope, after the opening: `"`, then what follows the payload.
    let mut doc = head;
    doc.extend_from_slice(&buf[at + 4..end]);
    file.read_to_end(&mut doc).ok()?;
    // An error in the JSON text would be reported at offsets of this shorter text: the
    // whole file is then read again the usual way, for the reference's message.
    let (doc, marked) = read::top(&doc, Some((start - 1, out.finish()?))).ok()?;
    Some(Metadata::from_doc(doc, marked))
}

/// Read into `buf[from..]` until it is full or the file ends; the new end of the data,
/// `None` on a read error.
fn fill(file: &mut File, buf: &mut [u8], mut from: usize) -> Option<usize> {
    while from < buf.len() {
        match file.read(&mut buf[from..]) {
            Ok(0) => break,
            Ok(n) => from += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(from)
}

/// Move the unused bytes `buf[at..end]` to the front and read more after them; their
/// new place, `None` at the end of the file or on a read error.
fn refill(file: &mut File, buf: &mut [u8], at: usize, end: usize) -> Option<(usize, usize)> {
    buf.copy_within(at..end, 0);
    let kept = end - at;
    let end = fill(file, buf, kept)?;
    (end > kept).then_some((0, end))
}

/// Where the payload's letters start when the text opens with `{"payload": "` (any JSON
/// whitespace between the tokens).
fn payload_start(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for token in [&b"{"[..], b"\"payload\"", b":", b"\""] {
        while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            i += 1;
        }
        if !b.get(i..)?.starts_with(token) {
            return None;
        }
        i += token.len();
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::envelope::{Format, Payload};
    use crate::model::link::{Artifacts, HashDict, Link};
    use serde_json::Value;
    use std::sync::Arc;

    #[test]
    fn finds_the_payload_after_the_opening_only() {
        assert_eq!(payload_start(b"{\"payload\": \"abc"), Some(13));
        assert_eq!(payload_start(b" {\n\"payload\"\t:\r\"abc"), Some(16));
        assert_eq!(payload_start(b"{\"payload\":\"\""), Some(12));
        for text in [
            &b"{\"payloadType\": \"x\", \"payload\": \"abc"[..],
            b"{\"payload\": 12",
            b"{\"pay\\u006coad\": \"abc",
            b"\xef\xbb\xbf{\"payload\": \"abc",
            b"[\"payload\": \"abc",
            b"{\"payload\"",
            b"",
        ] {
            assert_eq!(payload_start(text), None, "{text:?}");
        }
    }

    /// A DSSE envelope of a link with `n` products, named `name`.
    fn envelope(n: usize, name: &str) -> Vec<u8> {
        let pairs = (0..n)
            .map(|i| {
                (
                    format!("src/module-{}/file-{i:06}.rs", i % 7).into_boxed_str(),
                    HashDict::sha256(&format!("{:064x}", i * 7919)),
                )
            })
            .collect();
        let link = Link {
            name: Value::String(name.into()),
            products: std::sync::Arc::new(Artifacts::from_pairs(pairs)),
            ..Link::default()
        };
        let text = Metadata::new(Payload::Link(Arc::new(link)), Format::Dsse).to_bytes();
        String::from_utf8(text)
            .unwrap()
            .replace(
                "\"signatures\": []",
                "\"signatures\": [{\"keyid\": \"ab\", \"sig\": \"AAAA\"}]",
            )
            .into_bytes()
    }

    /// Streams `bytes` from a file (`None` if declined), and checks that loading the file
    /// gives what parsing the whole text gives.
    fn streamed(bytes: &[u8]) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.link");
        std::fs::write(&path, bytes).unwrap();
        let whole = format!("{:?}", Metadata::from_bytes(bytes));
        assert_eq!(format!("{:?}", Metadata::load(&path)), whole);
        let (mut file, size) = crate::fsutil::open_regular(&path).unwrap();
        let got = load(&mut file, size, &mut Vec::new()).map(|md| format!("{md:?}"));
        if let Some(got) = &got {
            assert_eq!(got, &whole);
        }
        got
    }

    fn replace_first(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .replacen(from, to, 1)
            .into_bytes()
    }

    #[test]
    fn big_envelopes_stream_and_agree_with_the_whole_text() {
        // Payload lengths with no padding, one `=` and two.
        for name in ["build", "build1", "build12", "bü-ünïcode"] {
            let text = envelope(12_000, name);
            assert!(text.len() as u64 >= MIN_SIZE);
            let got = streamed(&text).expect("streamed");
            assert!(got.contains("Ok(Dsse"), "{name}");
        }
        let text = envelope(12_000, "build");
        // Whitespace in the opening.
        let spaced = replace_first(&text, "{\"payload\": \"", " {\n  \"payload\" :\t\"");
        assert!(streamed(&spaced).is_some());
        // A second payload wins, as in the general path.
        let again = replace_first(
            &text,
            "\"payloadType\"",
            "\"payload\": \"e30=\", \"payloadType\"",
        );
        assert!(streamed(&again).is_some());
        // Semantic errors after the payload are the whole text's.
        let typed = replace_first(&text, "application/vnd.in-toto+json", "text/plain");
        assert!(streamed(&typed).is_some_and(|e| e.contains("Err")));
        let unsigned = replace_first(&text, "\"keyid\": \"ab\", ", "");
        assert!(streamed(&unsigned).is_some_and(|e| e.contains("KeyError")));
    }

    #[test]
    fn anything_unusual_is_left_to_the_whole_text() {
        let text = envelope(12_000, "build");
        let at = text.len() / 2;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Not canonical base64 in the middle: a newline, an escape, padding, a quote.
        for c in [&b"\n"[..], b"\\u0041", b"=", b"\"", b"\xc3\xa9", b"\xff"] {
            let mut t = text.clone();
            t.splice(at..at, c.iter().copied());
            cases.push(t);
        }
        // Cut short, inside the payload or just after it.
        cases.push(text[..at].to_vec());
        let payload_end = text.windows(3).position(|w| w == b"\", ").unwrap();
        cases.push(text[..payload_end].to_vec());
        cases.push(text[..payload_end + 1].to_vec());
        // Payload not first; more than the tail after the payload; trailing text; bad UTF-8
        // after the payload; nothing after the payload but the closing brace.
        cases.push(replace_first(
            &text,
            "{\"payload\": ",
            "{\"a\": 1, \"payload\": ",
        ));
        let long = format!("\"x\": \"{}\", \"payloadType\"", "A".repeat(TAIL + 10));
        cases.push(replace_first(&text, "\"payloadType\"", &long));
        let mut trailing = text.clone();
        trailing.extend_from_slice(b" x");
        cases.push(trailing);
        let mut bad = replace_first(
            &text,
            "\"payloadType\"",
            "\"x\": \"\u{1}\", \"payloadType\"",
        );
        let b = bad.iter().position(|&c| c == 1).unwrap();
        bad[b] = 0xff;
        cases.push(bad);
        cases.push(
            text[..payload_end + 1]
                .iter()
                .chain(b"}")
                .copied()
                .collect(),
        );
        // Each agrees with the whole text (checked in `streamed`); only the last (a payload
        // and nothing else) is streamed.
        let declined: Vec<bool> = cases.iter().map(|c| streamed(c).is_none()).collect();
        assert!(
            declined[..declined.len() - 1].iter().all(|&d| d),
            "{declined:?}"
        );
        assert!(!declined[declined.len() - 1]);
    }
}
