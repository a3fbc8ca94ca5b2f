//! Bulk base64 decoding with AVX-512 VBMI: 64 letters to 48 bytes per step, with one
//! table lookup across a whole register (`vpermi2b`), two multiply-adds to join the 6-bit
//! values and one byte permutation to gather the output. A DSSE payload of a big link is
//! megabytes of base64; on CPUs without these features the caller uses `base64-simd`.

/// Decode whole 64-letter blocks of standard base64 (no padding) from the front of `src`
/// into `out`; returns how many letters were decoded (a multiple of 64: the rest is
/// left to the caller) and whether every decoded byte is ASCII, or `None` if any of
/// those letters is not one of the 64. `out` must have room for 48 bytes per block.
pub(super) fn decode_blocks(src: &[u8], out: &mut [u8]) -> Option<(usize, bool)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512vbmi")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        let blocks = (src.len() / 64).min(out.len() / 48);
        // SAFETY: the CPU has the features `vbmi::decode` is compiled for (checked above).
        return unsafe { vbmi::decode(&src[..blocks * 64], &mut out[..blocks * 48]) }
            .map(|ascii| (blocks * 64, ascii));
    }
    let _ = (src, out);
    Some((0, true))
}

#[cfg(target_arch = "x86_64")]
mod vbmi {
    use std::arch::x86_64::*;

    /// The 6-bit value of each ASCII letter; 0x80 for anything else.
    const fn table() -> [u8; 128] {
        let mut t = [0x80u8; 128];
        let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut i = 0;
        while i < 64 {
            t[letters[i] as usize] = i as u8;
            i += 1;
        }
        t
    }
    static TABLE: [u8; 128] = table();

    /// For output byte `j`: its place in the joined 24-bit values (`value` of letters
    /// `4i..4i+4` sits little-endian in bytes `4i..4i+3`; the output is big-endian).
    const fn gather() -> [u8; 64] {
        let mut g = [0u8; 64];
        let mut j = 0;
        while j < 48 {
            g[j] = (4 * (j / 3) + 2 - j % 3) as u8;
            j += 1;
        }
        g
    }
    static GATHER: [u8; 64] = gather();
    /// The 48 output bytes of a block.
    const OUT: u64 = (1u64 << 48) - 1;

    /// `src.len() == 64 * n`, `out.len() == 48 * n`; `None` if a letter is invalid, else
    /// whether every byte written is ASCII.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) fn decode(src: &[u8], out: &mut [u8]) -> Option<bool> {
        debug_assert_eq!(src.len() / 64 * 48, out.len());
        // SAFETY: every load reads 64 bytes inside `src` or the tables, every store writes
        // 48 bytes (masked) inside `out`.
        unsafe {
            let lo = _mm512_loadu_si512(TABLE.as_ptr().cast());
            let hi = _mm512_loadu_si512(TABLE[64..].as_ptr().cast());
            let gather = _mm512_loadu_si512(GATHER.as_ptr().cast());
            let pairs = _mm512_set1_epi32(0x0140_0140);
            let quads = _mm512_set1_epi32(0x0001_1000);
            let mut bad = _mm512_setzero_si512();
            let mut high = _mm512_setzero_si512();
            for (s, o) in src.chunks_exact(64).zip(out.chunks_exact_mut(48)) {
                let x = _mm512_loadu_si512(s.as_ptr().cast());
                // Bit 7 of the index is ignored by the lookup: letters >= 0x80 are caught
                // by or-ing the input in.
                let v = _mm512_permutex2var_epi8(lo, x, hi);
                bad = _mm512_or_si512(bad, _mm512_or_si512(v, x));
                // a, b, c, d -> (a << 6 | b), (c << 6 | d) -> a << 18 | b << 12 | c << 6 | d.
                let v = _mm512_madd_epi16(_mm512_maddubs_epi16(v, pairs), quads);
                let v = _mm512_permutexvar_epi8(gather, v);
                _mm512_mask_storeu_epi8(o.as_mut_ptr().cast(), OUT, v);
                high = _mm512_or_si512(high, v);
            }
            // Only the 48 bytes stored count for ASCII (the other 16 are not output).
            (_mm512_movepi8_mask(bad) == 0).then_some(_mm512_movepi8_mask(high) & OUT == 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn reference(src: &[u8]) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(src)
            .ok()
    }

    #[test]
    fn decodes_like_the_base64_crate() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 1, 47, 48, 49, 95, 96, 480, 4800, 48_003] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let text = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&data);
            let mut out = vec![0u8; text.len() / 64 * 48];
            let (n, ascii) = decode_blocks(text.as_bytes(), &mut out).expect("valid letters");
            assert_eq!(n % 64, 0);
            assert_eq!(ascii, out[..n / 64 * 48].is_ascii(), "length {len}");
            assert_eq!(out[..n / 64 * 48], data[..n / 64 * 48], "length {len}");
            assert_eq!(
                reference(&text.as_bytes()[..n]).unwrap(),
                out[..n / 64 * 48]
            );
        }
    }

    #[test]
    fn tells_whether_the_output_is_ascii() {
        let data = vec![b'a'; 48 * 4];
        for pos in [None, Some(0), Some(47), Some(48), Some(100), Some(191)] {
            for high in [0x80u8, 0xff] {
                let mut d = data.clone();
                if let Some(p) = pos {
                    d[p] = high;
                }
                let text = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&d);
                let mut out = vec![0u8; d.len()];
                let (n, ascii) = decode_blocks(text.as_bytes(), &mut out).unwrap();
                if n == text.len() {
                    assert_eq!(out, d);
                    assert_eq!(ascii, pos.is_none(), "{pos:?}");
                }
            }
        }
    }

    #[test]
    fn refuses_every_other_byte_at_every_place_of_a_block() {
        let text = base64::engine::general_purpose::STANDARD_NO_PAD.encode([7u8; 96]);
        for pos in [0, 1, 31, 32, 63, 64, 100, 127] {
            for c in 0..=255u8 {
                let mut t = text.clone().into_bytes();
                t[pos] = c;
                let mut out = vec![0u8; 96];
                let got = decode_blocks(&t, &mut out);
                let valid = c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
                match got {
                    Some((n, _)) if n > pos => {
                        assert!(valid, "{c:#x} at {pos} accepted");
                        assert_eq!(reference(&t[..n]).unwrap(), out[..n / 64 * 48]);
                    }
                    Some(_) => {} // not decoded here (no VBMI): nothing to check
                    None => assert!(!valid, "{c:#x} at {pos} refused"),
                }
            }
        }
    }
}
