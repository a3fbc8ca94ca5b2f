//! SHA-512 of several messages at once: the digests ed25519 needs when many links are
//! checked together.
//!
//! An ed25519 check hashes `R || A || message`, and for a big link that hash is most of
//! the work (300 to 600 MB/s per core for one SHA-512 stream on current x86 CPUs).
//! SHA-512 cannot be split within a message, but four independent messages fit the four
//! 64-bit lanes of a 256-bit vector: with AVX-512 (`avx512f` + `avx512vl`, for
//! one-instruction rotates and three-input logic) the four-lane compression below runs
//! about three times the throughput of one stream.
//! Without those CPU features every message is hashed as one [`Stream`].
//!
//! Messages are produced piece by piece by a [`Source`] (canonical JSON generated as it is
//! hashed, or a DSSE payload), so nothing holds a whole message that does not already
//! exist, and a message that does (a DSSE payload) is read in place rather than copied
//! into the lane's buffer. Each lane takes the next message when its current one ends;
//! the last blocks (padding) and a lone remaining message go through `sha2`'s own
//! compression. Tests compare every digest with the `sha2` crate's, and run the lane
//! bookkeeping with the same compression compiled without AVX-512 (`compress_portable`),
//! so they check it on every CPU.

#[cfg(not(feature = "openssl"))]
use sha2::{Digest as _, Sha512};

/// The producer of one message, piece by piece.
pub trait Source {
    /// Append the next bytes of the message to `out`: at least `want` bytes unless the
    /// message ends first. Return whether bytes remain after this call.
    fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> bool;

    /// A guess of the total length (used to give lanes messages of similar length).
    fn len_hint(&self) -> usize;

    /// The next bytes of the message where they already are in memory (not consumed),
    /// for the hasher to read in place; empty when the source has none at hand (it then
    /// only [`fill`](Source::fill)s) or the message has ended.
    fn direct(&self) -> &[u8] {
        &[]
    }

    /// Consume `n` bytes of [`Source::direct`] (at most its length), read in place.
    fn advance(&mut self, n: usize) {
        debug_assert_eq!(n, 0, "Source::advance without Source::direct");
    }
}

/// A message that already exists as one or more byte slices, in order.
pub struct Slices<'a> {
    parts: Vec<&'a [u8]>,
    part: usize,
    offset: usize,
}

impl<'a> Slices<'a> {
    pub fn new(parts: Vec<&'a [u8]>) -> Slices<'a> {
        let mut s = Slices {
            parts,
            part: 0,
            offset: 0,
        };
        s.skip_ended();
        s
    }

    /// Move past parts with nothing left, so `part` is the end or has bytes left.
    fn skip_ended(&mut self) {
        while self.part < self.parts.len() && self.offset == self.parts[self.part].len() {
            self.part += 1;
            self.offset = 0;
        }
    }
}

impl Source for Slices<'_> {
    fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> bool {
        let mut need = want;
        while self.part < self.parts.len() && need > 0 {
            let rest = &self.parts[self.part][self.offset..];
            let take = rest.len().min(need);
            out.extend_from_slice(&rest[..take]);
            need -= take;
            self.offset += take;
            self.skip_ended();
        }
        self.part < self.parts.len()
    }

    fn len_hint(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }

    fn direct(&self) -> &[u8] {
        match self.parts.get(self.part) {
            Some(p) => &p[self.offset..],
            None => &[],
        }
    }

    fn advance(&mut self, n: usize) {
        debug_assert!(n <= self.direct().len());
        self.offset += n;
        self.skip_ended();
    }
}

/// A message that starts with 64 given bytes (ed25519's `R || A`) and goes on with another
/// source's.
pub struct Prefixed<S> {
    prefix: [u8; 64],
    /// How much of the prefix was consumed.
    at: usize,
    inner: S,
}

impl<S: Source> Prefixed<S> {
    pub fn new(prefix: &[u8; 64], inner: S) -> Prefixed<S> {
        Prefixed {
            prefix: *prefix,
            at: 0,
            inner,
        }
    }
}

impl<S: Source> Source for Prefixed<S> {
    fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> bool {
        let mut want = want;
        if self.at < self.prefix.len() {
            let rest = &self.prefix[self.at..];
            let take = rest.len().min(want);
            out.extend_from_slice(&rest[..take]);
            self.at += take;
            want -= take;
            if self.at < self.prefix.len() {
                return true;
            }
        }
        self.inner.fill(out, want)
    }

    fn len_hint(&self) -> usize {
        self.prefix.len() + self.inner.len_hint()
    }

    fn direct(&self) -> &[u8] {
        if self.at < self.prefix.len() {
            &self.prefix[self.at..]
        } else {
            self.inner.direct()
        }
    }

    fn advance(&mut self, n: usize) {
        let in_prefix = n.min(self.prefix.len() - self.at);
        self.at += in_prefix;
        self.inner.advance(n - in_prefix);
    }
}

/// How many messages [`digest_all`] hashes at once (when the CPU allows).
pub const LANES: usize = 4;

/// How many messages are worth hashing together on this CPU: [`LANES`] with the AVX-512
/// lanes, else 1 (one stream; waiting for more only keeps messages in memory longer).
pub fn batch() -> usize {
    if lanes::available() { LANES } else { 1 }
}

/// How much each lane buffers ahead (a multiple of the 128-byte block).
const CHUNK: usize = 64 * 1024;
const BLOCK: usize = 128;

const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// The SHA-512 digest of every source's message, in the order given.
pub fn digest_all(sources: &mut [&mut dyn Source]) -> Vec<[u8; 64]> {
    if sources.len() >= 2 && lanes::available() {
        lanes::digest_all(sources)
    } else {
        sources.iter_mut().map(|s| digest_one(&mut **s)).collect()
    }
}

/// The SHA-512 digest of one source's message, as one [`Stream`]; a part already in
/// memory is hashed in place.
pub fn digest_one(source: &mut dyn Source) -> [u8; 64] {
    let mut h = Stream::new();
    let mut buf = Vec::new();
    loop {
        let direct = source.direct();
        if !direct.is_empty() {
            let n = direct.len();
            h.update(direct);
            source.advance(n);
            continue;
        }
        if buf.capacity() == 0 {
            buf.reserve(CHUNK + 4096);
        }
        buf.clear();
        let more = source.fill(&mut buf, CHUNK);
        h.update(&buf);
        // (A source that claims more but gives nothing ends there.)
        if !more || buf.is_empty() {
            break;
        }
    }
    h.finish()
}

/// One SHA-512 stream. With the `openssl` feature it is OpenSSL's: its assembly (AVX2
/// message schedule, BMI2 rotates) hashes about 1.5 times as fast as the `sha2` crate,
/// `ring` or `aws-lc-rs` on x86 CPUs without AVX-512 (450 against 300, 360 and 360 MB/s
/// on the machine of `docs/performance.md`), and this hash is most of a DSSE `verify`.
/// Without the feature (the core alone) it is `sha2`'s.
pub struct Stream(
    #[cfg(feature = "openssl")] openssl::sha::Sha512,
    #[cfg(not(feature = "openssl"))] Sha512,
);

impl Stream {
    pub fn new() -> Stream {
        #[cfg(feature = "openssl")]
        return Stream(openssl::sha::Sha512::new());
        #[cfg(not(feature = "openssl"))]
        return Stream(Sha512::new());
    }

    #[inline]
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> [u8; 64] {
        #[cfg(feature = "openssl")]
        return self.0.finish();
        #[cfg(not(feature = "openssl"))]
        return self.0.finalize().into();
    }
}

impl Default for Stream {
    fn default() -> Stream {
        Stream::new()
    }
}

/// The end of a message whose whole blocks are already compressed into `state`: `rest`
/// (less than one block) plus the padding for a message of `total` bytes.
fn finish(mut state: [u64; 8], rest: &[u8], total: u128) -> [u8; 64] {
    debug_assert!(rest.len() < BLOCK);
    let mut tail = [0u8; 2 * BLOCK];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let blocks = if rest.len() < BLOCK - 16 { 1 } else { 2 };
    let end = blocks * BLOCK;
    tail[end - 16..end].copy_from_slice(&(total * 8).to_be_bytes());
    let chunks: Vec<[u8; BLOCK]> = tail[..end]
        .chunks_exact(BLOCK)
        .map(|c| c.try_into().expect("whole blocks"))
        .collect();
    sha2::block_api::compress512(&mut state, &chunks);
    let mut out = [0u8; 64];
    for (o, w) in out.chunks_exact_mut(8).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// Compress the whole blocks at the front of `data` into `state` with `sha2`.
fn compress_scalar(state: &mut [u64; 8], data: &[u8]) {
    let (blocks, _) = data.as_chunks::<BLOCK>();
    sha2::block_api::compress512(state, blocks);
}

mod lanes {
    use super::{BLOCK, CHUNK, IV, Source, compress_scalar, finish};

    include!("sha512_k.rs");

    const L: usize = super::LANES;

    /// `n` blocks of each lane's data compressed into that lane's state.
    type Compress = fn(&mut [[u64; L]; 8], &[&[u8]; L], usize);

    pub(super) fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        return std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// [`digest_all_with`] the AVX-512 compression; only called when [`available`].
    pub(super) fn digest_all(sources: &mut [&mut dyn Source]) -> Vec<[u8; 64]> {
        #[cfg(target_arch = "x86_64")]
        return digest_all_with(sources, |state, data, n| {
            assert!(available(), "AVX-512 lanes used on a CPU without AVX-512");
            // SAFETY: the CPU has the features `compress4` is compiled for (just checked).
            unsafe { compress4(state, data, n) }
        });
        #[cfg(not(target_arch = "x86_64"))]
        digest_all_with(sources, compress_portable)
    }

    /// One lane's message in progress.
    struct Lane {
        job: usize,
        buf: Vec<u8>,
        pos: usize,
        more: bool,
        state: [u64; 8],
        total: u128,
    }

    impl Lane {
        /// Bytes buffered and not compressed yet.
        fn buffered(&self) -> usize {
            self.buf.len() - self.pos
        }

        /// Make the next whole block ready, unless the message has ended: in the buffer,
        /// or (with an empty buffer) in place in the source's memory. A source with bytes
        /// in memory is copied only up to the end of a block (at its start, and where its
        /// parts meet); another is buffered [`CHUNK`] bytes at a time.
        fn top_up(&mut self, source: &mut dyn Source) {
            while self.more && self.buffered() < BLOCK {
                let direct = source.direct().len();
                if self.buffered() == 0 && direct >= BLOCK {
                    return;
                }
                self.buf.drain(..self.pos);
                self.pos = 0;
                let before = self.buf.len();
                let want = if direct > 0 {
                    BLOCK - before
                } else {
                    CHUNK - before
                };
                self.more = source.fill(&mut self.buf, want);
                // A source that claims more but gives nothing would stall the lanes: its
                // message ends there (a wrong digest, so its check fails).
                debug_assert!(!self.more || self.buf.len() > before, "Source::fill");
                self.more &= self.buf.len() > before;
                self.total += (self.buf.len() - before) as u128;
            }
        }

        /// The whole blocks ready (at most [`CHUNK`] bytes of them), after
        /// [`Lane::top_up`]: buffered, or else in place.
        fn ready<'s>(&'s self, source: &'s dyn Source) -> &'s [u8] {
            let data = if self.buffered() >= BLOCK {
                &self.buf[self.pos..]
            } else {
                source.direct()
            };
            let whole = (data.len() / BLOCK * BLOCK).min(CHUNK);
            &data[..whole]
        }

        /// `n` bytes of [`Lane::ready`] compressed.
        fn consumed(&mut self, source: &mut dyn Source, n: usize) {
            if self.buffered() >= BLOCK {
                self.pos += n;
            } else {
                source.advance(n);
                self.total += n as u128;
            }
        }
    }

    /// Every source's digest, four messages at a time through `compress`.
    pub(super) fn digest_all_with(
        sources: &mut [&mut dyn Source],
        compress: Compress,
    ) -> Vec<[u8; 64]> {
        let mut out = vec![[0u8; 64]; sources.len()];
        // Longest first, so lanes tend to end together.
        let mut order: Vec<usize> = (0..sources.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sources[i].len_hint()));
        let mut queue = order.into_iter();
        let mut lanes: [Option<Lane>; L] = Default::default();
        let mut spare: Vec<Vec<u8>> = Vec::new();
        loop {
            for slot in lanes.iter_mut().filter(|s| s.is_none()) {
                if let Some(job) = queue.next() {
                    let mut buf = spare.pop().unwrap_or_default();
                    buf.clear();
                    *slot = Some(Lane {
                        job,
                        buf,
                        pos: 0,
                        more: true,
                        state: IV,
                        total: 0,
                    });
                }
            }
            // Top up every lane; finish the lanes whose message has ended.
            let mut freed = false;
            for slot in lanes.iter_mut() {
                let Some(lane) = slot else { continue };
                lane.top_up(&mut *sources[lane.job]);
                if !lane.more && lane.buffered() < BLOCK {
                    let lane = slot.take().expect("lane in use");
                    out[lane.job] = finish(lane.state, &lane.buf[lane.pos..], lane.total);
                    spare.push(lane.buf);
                    freed = true;
                }
            }
            if freed && queue.len() > 0 {
                continue;
            }
            let active: Vec<usize> = (0..L).filter(|&i| lanes[i].is_some()).collect();
            if active.is_empty() {
                break;
            }
            if active.len() == 1 && queue.len() == 0 {
                let lane = lanes[active[0]].take().expect("lane in use");
                let job = lane.job;
                out[job] = finish_alone(lane, &mut *sources[job]);
                break;
            }
            let ready: [&[u8]; L] = std::array::from_fn(|li| {
                // An idle lane repeats the first active lane's data; its result is unused.
                let l = lanes[li]
                    .as_ref()
                    .or(lanes[active[0]].as_ref())
                    .expect("active");
                l.ready(&*sources[l.job])
            });
            let n = active
                .iter()
                .map(|&i| ready[i].len() / BLOCK)
                .min()
                .expect("at least one lane");
            let mut state = [[0u64; L]; 8];
            for (li, slot) in lanes.iter().enumerate() {
                let l = slot.as_ref().or(lanes[active[0]].as_ref()).expect("active");
                for (w, s) in state.iter_mut().zip(l.state) {
                    w[li] = s;
                }
            }
            let data: [&[u8]; L] = std::array::from_fn(|li| &ready[li][..n * BLOCK]);
            compress(&mut state, &data, n);
            for (li, slot) in lanes.iter_mut().enumerate() {
                if let Some(l) = slot {
                    for (s, w) in l.state.iter_mut().zip(&state) {
                        *s = w[li];
                    }
                    l.consumed(&mut *sources[l.job], n * BLOCK);
                }
            }
        }
        out
    }

    /// Hash the rest of a lane's message alone.
    fn finish_alone(mut lane: Lane, source: &mut dyn Source) -> [u8; 64] {
        loop {
            lane.top_up(source);
            if !lane.more && lane.buffered() < BLOCK {
                return finish(lane.state, &lane.buf[lane.pos..], lane.total);
            }
            let mut state = lane.state;
            let ready = lane.ready(source);
            let n = ready.len();
            compress_scalar(&mut state, ready);
            lane.state = state;
            lane.consumed(source, n);
        }
    }

    /// `n` blocks of each lane's data compressed into that lane's state, compiled for
    /// AVX-512 (one-instruction rotates and three-input logic on 256-bit vectors).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl")]
    fn compress4(state: &mut [[u64; L]; 8], data: &[&[u8]; L], n: usize) {
        compress_portable(state, data, n)
    }

    /// The same compression for any CPU: the tests' reference for the lane bookkeeping.
    #[inline(always)]
    pub(super) fn compress_portable(state: &mut [[u64; L]; 8], data: &[&[u8]; L], n: usize) {
        for b in 0..n {
            let block: [&[u8]; L] = std::array::from_fn(|l| &data[l][b * BLOCK..(b + 1) * BLOCK]);
            compress_block(state, &block);
        }
    }

    /// The SHA-512 compression function (FIPS 180-4, 6.4.2) on `L` lanes at once, written
    /// lane-wise so the compiler keeps each variable in one vector register.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // index form: one statement per lane, as the spec reads
    fn compress_block(state: &mut [[u64; L]; 8], block: &[&[u8]; L]) {
        let mut w = [[0u64; L]; 16];
        for (t, wt) in w.iter_mut().enumerate() {
            for l in 0..L {
                let bytes: [u8; 8] = block[l][8 * t..8 * t + 8].try_into().expect("8 bytes");
                wt[l] = u64::from_be_bytes(bytes);
            }
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        for (t, k) in K64.iter().enumerate() {
            if t >= 16 {
                for l in 0..L {
                    let x = w[(t - 15) & 15][l];
                    let s0 = x.rotate_right(1) ^ x.rotate_right(8) ^ (x >> 7);
                    let y = w[(t - 2) & 15][l];
                    let s1 = y.rotate_right(19) ^ y.rotate_right(61) ^ (y >> 6);
                    w[t & 15][l] = w[t & 15][l]
                        .wrapping_add(s0)
                        .wrapping_add(w[(t - 7) & 15][l])
                        .wrapping_add(s1);
                }
            }
            for l in 0..L {
                let s1 = e[l].rotate_right(14) ^ e[l].rotate_right(18) ^ e[l].rotate_right(41);
                let ch = (e[l] & f[l]) ^ (!e[l] & g[l]);
                let t1 = h[l]
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(*k)
                    .wrapping_add(w[t & 15][l]);
                let s0 = a[l].rotate_right(28) ^ a[l].rotate_right(34) ^ a[l].rotate_right(39);
                let maj = (a[l] & b[l]) ^ (a[l] & c[l]) ^ (b[l] & c[l]);
                let t2 = s0.wrapping_add(maj);
                h[l] = g[l];
                g[l] = f[l];
                f[l] = e[l];
                e[l] = d[l].wrapping_add(t1);
                d[l] = c[l];
                c[l] = b[l];
                b[l] = a[l];
                a[l] = t1.wrapping_add(t2);
            }
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            for l in 0..L {
                s[l] = s[l].wrapping_add(v[l]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha512};

    /// A message handed out in uneven pieces: sometimes more than asked for, as a
    /// generator of whole JSON entries does.
    struct Uneven {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Source for Uneven {
        fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> bool {
            let target = self.at + want;
            while self.at < target.min(self.data.len()) {
                let end = (self.at + self.step).min(self.data.len());
                out.extend_from_slice(&self.data[self.at..end]);
                self.at = end;
            }
            self.at < self.data.len()
        }
        fn len_hint(&self) -> usize {
            self.data.len()
        }
    }

    fn message(len: usize, seed: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(31).wrapping_add(seed * 7) >> 3) as u8)
            .collect()
    }

    fn check(lengths: &[usize], step: usize) {
        let msgs: Vec<Vec<u8>> = lengths
            .iter()
            .enumerate()
            .map(|(i, &n)| message(n, i))
            .collect();
        let expected: Vec<[u8; 64]> = msgs.iter().map(|m| Sha512::digest(m).into()).collect();
        let mut uneven: Vec<Uneven> = msgs
            .iter()
            .map(|m| Uneven {
                data: m.clone(),
                at: 0,
                step: step.max(1),
            })
            .collect();
        let mut sources: Vec<&mut dyn Source> =
            uneven.iter_mut().map(|u| u as &mut dyn Source).collect();
        assert_eq!(digest_all(&mut sources), expected, "lengths {lengths:?}");
        // The multi-lane bookkeeping itself, whatever `digest_all` chose and whatever the
        // CPU has: with the portable compression (the AVX-512 one is the same code).
        let lanes_digest_all = |sources: &mut [&mut dyn Source]| {
            lanes::digest_all_with(sources, lanes::compress_portable)
        };
        if lengths.len() >= 2 {
            let mut slices: Vec<Slices> = msgs
                .iter()
                .map(|m| {
                    let (a, b) = m.split_at(m.len() / 3);
                    Slices::new(vec![a, b])
                })
                .collect();
            let mut sources: Vec<&mut dyn Source> =
                slices.iter_mut().map(|u| u as &mut dyn Source).collect();
            assert_eq!(
                lanes_digest_all(&mut sources),
                expected,
                "lengths {lengths:?}"
            );
            // As ed25519 checks give them: a 64-byte prefix, then parts read in place
            // (a DSSE header and payload) or produced piece by piece (canonical JSON).
            let long: Vec<usize> = (0..msgs.len()).filter(|&i| msgs[i].len() >= 64).collect();
            if long.len() >= 2 {
                let mut direct: Vec<Prefixed<Slices>> = long
                    .iter()
                    .map(|&i| {
                        let (prefix, rest) = msgs[i].split_at(64);
                        let (a, b) = rest.split_at(rest.len().min(step % 97 + 1));
                        Prefixed::new(prefix.try_into().unwrap(), Slices::new(vec![a, &[], b]))
                    })
                    .collect();
                let mut produced: Vec<Prefixed<Uneven>> = long
                    .iter()
                    .map(|&i| {
                        let (prefix, rest) = msgs[i].split_at(64);
                        let inner = Uneven {
                            data: rest.to_vec(),
                            at: 0,
                            step: step.max(1),
                        };
                        Prefixed::new(prefix.try_into().unwrap(), inner)
                    })
                    .collect();
                let expected: Vec<[u8; 64]> = long.iter().map(|&i| expected[i]).collect();
                let mut sources: Vec<&mut dyn Source> =
                    direct.iter_mut().map(|u| u as &mut dyn Source).collect();
                assert_eq!(lanes_digest_all(&mut sources), expected, "{lengths:?}");
                let mut sources: Vec<&mut dyn Source> =
                    produced.iter_mut().map(|u| u as &mut dyn Source).collect();
                assert_eq!(lanes_digest_all(&mut sources), expected, "{lengths:?}");
            }
        }
    }

    #[test]
    fn padding_edges_one_message() {
        for n in [
            0, 1, 63, 64, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 257,
        ] {
            check(&[n], 7);
        }
    }

    #[test]
    fn many_messages_of_mixed_lengths_match_sha2() {
        check(&[0, 1], 5);
        check(&[128, 128, 128, 128], 128);
        check(&[111, 112, 240, 241, 1000], 13);
        check(
            &[300_000, 5, 200_000, 70_000, 64 * 1024, 64 * 1024 + 1],
            4096,
        );
        check(
            &[
                1 << 20,
                (1 << 20) - 17,
                3 << 19,
                12_345,
                999_999,
                0,
                77,
                65_536,
                131_072,
            ],
            97,
        );
    }

    #[test]
    fn one_long_message_among_short_ones() {
        check(&[2_000_000, 10, 20, 30, 40, 50, 60], 1000);
    }

    #[test]
    fn slices_fill_exactly_and_report_the_end() {
        let a = [1u8; 10];
        let b = [2u8; 5];
        let mut s = Slices::new(vec![&a, &[], &b]);
        let mut out = Vec::new();
        assert!(s.fill(&mut out, 10));
        assert_eq!(out.len(), 10);
        assert!(!s.fill(&mut out, 100));
        assert_eq!(out.len(), 15);
        assert!(!s.fill(&mut out, 100));
        assert_eq!(out.len(), 15);
        let mut t = Slices::new(vec![&a, &b]);
        let mut out = Vec::new();
        assert!(
            !t.fill(&mut out, 15),
            "nothing left after exactly all bytes"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_lengths_match_sha2(
            lengths in proptest::collection::vec(0usize..20_000, 1..10),
            step in 1usize..3000,
        ) {
            check(&lengths, step);
        }
    }
}
