//! SHA-256 hex digests to and from their 32 bytes, sixteen digits at a time (SSE2, part
//! of every x86-64 CPU; plain code elsewhere). Artifact lists keep a digest written in
//! lower-case hex, as nearly all are, as its bytes: half the memory, and one 32-byte
//! comparison per MATCH or MODIFY.

/// What 64 characters of a hash value are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hex64 {
    /// Lower-case hex digits: these bytes.
    Lower([u8; 32]),
    /// Hex digits, some of them upper-case letters (kept as written).
    Mixed,
    /// Not all hex digits.
    NotHex,
}

/// Read 64 characters as hex.
#[inline]
pub(crate) fn decode64(h: &[u8; 64]) -> Hex64 {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::decode64(h)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scalar_decode64(h)
    }
}

/// The 64 lower-case hex digits of 32 bytes.
#[inline]
pub(crate) fn encode32(b: &[u8; 32]) -> [u8; 64] {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::encode32(b)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scalar_encode32(b)
    }
}

/// The plain definition of [`decode64`].
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn scalar_decode64(h: &[u8; 64]) -> Hex64 {
    let value = |c: u8| match c {
        b'0'..=b'9' => Some((c - b'0', false)),
        b'a'..=b'f' => Some((c - b'a' + 10, false)),
        b'A'..=b'F' => Some((c - b'A' + 10, true)),
        _ => None,
    };
    let mut out = [0u8; 32];
    let mut upper = false;
    for (o, pair) in out.iter_mut().zip(h.chunks_exact(2)) {
        let (Some((hi, u1)), Some((lo, u2))) = (value(pair[0]), value(pair[1])) else {
            return Hex64::NotHex;
        };
        upper |= u1 | u2;
        *o = hi << 4 | lo;
    }
    if upper {
        Hex64::Mixed
    } else {
        Hex64::Lower(out)
    }
}

/// The plain definition of [`encode32`].
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn scalar_encode32(b: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, &byte) in out.chunks_exact_mut(2).zip(b) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 15)];
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::Hex64;
    use std::arch::x86_64::*;

    // SAFETY (both functions): SSE2 is part of the x86-64 baseline, so these intrinsics
    // are always available; every load and store is of 16 bytes inside the arrays.

    #[inline]
    pub(super) fn decode64(h: &[u8; 64]) -> Hex64 {
        unsafe {
            let in_range = |v: __m128i, lo: u8, hi: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
                )
            };
            let mut words = [_mm_setzero_si128(); 4];
            let mut valid = 0xffff;
            let mut upper = 0;
            for (k, w) in words.iter_mut().enumerate() {
                let v = _mm_loadu_si128(h.as_ptr().add(16 * k).cast());
                let digit = in_range(v, b'0', b'9');
                let lower = in_range(v, b'a', b'f');
                let capital = in_range(v, b'A', b'F');
                valid &= _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, lower), capital));
                upper |= _mm_movemask_epi8(capital);
                // '0'..'9' -> 0..9 (c - 48), 'a'..'f' -> 10..15 (c - 87).
                let nibble = _mm_sub_epi8(
                    _mm_sub_epi8(v, _mm_set1_epi8(48)),
                    _mm_and_si128(lower, _mm_set1_epi8(39)),
                );
                // Pairs (high, low) as 16-bit lanes `high | low << 8` -> `high << 4 | low`.
                *w = _mm_or_si128(
                    _mm_and_si128(_mm_slli_epi16(nibble, 4), _mm_set1_epi16(0xf0)),
                    _mm_srli_epi16(nibble, 8),
                );
            }
            if valid != 0xffff {
                return Hex64::NotHex;
            }
            if upper != 0 {
                return Hex64::Mixed;
            }
            let mut out = [0u8; 32];
            _mm_storeu_si128(
                out.as_mut_ptr().cast(),
                _mm_packus_epi16(words[0], words[1]),
            );
            _mm_storeu_si128(
                out.as_mut_ptr().add(16).cast(),
                _mm_packus_epi16(words[2], words[3]),
            );
            Hex64::Lower(out)
        }
    }

    #[inline]
    pub(super) fn encode32(b: &[u8; 32]) -> [u8; 64] {
        let mut out = [0u8; 64];
        unsafe {
            for k in 0..2 {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast());
                let hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(15));
                let lo = _mm_and_si128(v, _mm_set1_epi8(15));
                // Nibble n -> '0' + n, plus 39 more for 'a'..'f'.
                let digits = |n: __m128i| {
                    let letter = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
                    _mm_add_epi8(
                        _mm_add_epi8(n, _mm_set1_epi8(48)),
                        _mm_and_si128(letter, _mm_set1_epi8(39)),
                    )
                };
                let (hi, lo) = (digits(hi), digits(lo));
                _mm_storeu_si128(
                    out.as_mut_ptr().add(32 * k).cast(),
                    _mm_unpacklo_epi8(hi, lo),
                );
                _mm_storeu_si128(
                    out.as_mut_ptr().add(32 * k + 16).cast(),
                    _mm_unpackhi_epi8(hi, lo),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u64) -> [u8; 32] {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        std::array::from_fn(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
    }

    #[test]
    fn round_trips_and_agrees_with_the_plain_code() {
        for seed in 0..2000 {
            let bytes = sample(seed);
            let hex = encode32(&bytes);
            assert_eq!(hex, scalar_encode32(&bytes));
            let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&hex[..], text.as_bytes());
            assert_eq!(decode64(&hex), Hex64::Lower(bytes));
            let upper: [u8; 64] = text.to_uppercase().as_bytes().try_into().unwrap();
            let expected = if text.bytes().any(|c| c.is_ascii_lowercase()) {
                Hex64::Mixed
            } else {
                Hex64::Lower(bytes)
            };
            assert_eq!(decode64(&upper), expected);
        }
    }

    #[test]
    fn every_byte_at_every_place_agrees_with_the_plain_code() {
        let base = encode32(&sample(7));
        for pos in 0..64 {
            for c in 0..=255u8 {
                let mut h = base;
                h[pos] = c;
                assert_eq!(decode64(&h), scalar_decode64(&h), "{c:#x} at {pos}");
            }
        }
    }
}
