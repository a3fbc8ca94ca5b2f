//! Hex text: Python's `bytes.fromhex` and `bytes.hex()`, and SHA-256 digests kept as
//! their 32 bytes. The digit work is `hex-simd`'s; what is Python's is which text counts.

use hex_simd::{AsciiCase, Out};

/// Python's `bytes.fromhex(text)`: pairs of hex digits (either case), with the six ASCII
/// whitespace characters (`' '`, `\t`, `\n`, `\v`, `\f`, `\r`: CPython's `Py_ISSPACE`)
/// allowed between pairs but not inside one. `None` where Python raises `ValueError`.
pub fn fromhex(text: &str) -> Option<Vec<u8>> {
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&c| space(c)) {
        return hex_simd::decode_to_vec(bytes).ok();
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    let mut rest = bytes;
    loop {
        while let [c, tail @ ..] = rest
            && space(*c)
        {
            rest = tail;
        }
        match rest {
            [] => return Some(out),
            [hi, lo, tail @ ..] => {
                let mut byte = [0u8];
                hex_simd::decode(&[*hi, *lo], Out::from_slice(&mut byte)).ok()?;
                out.push(byte[0]);
                rest = tail;
            }
            [_] => return None,
        }
    }
}

/// Python's `bytes.hex()`: lower-case digits.
pub fn hex(bytes: impl AsRef<[u8]>) -> String {
    hex_simd::encode_to_string(bytes, AsciiCase::Lower)
}

/// What 64 characters of a hash value are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hex64 {
    /// Lower-case hex digits: these bytes (artifact lists keep such a digest as its 32
    /// bytes: half the memory, and one comparison per MATCH or MODIFY).
    Lower([u8; 32]),
    /// Hex digits, some of them upper-case letters (kept as written).
    Mixed,
    /// Not all hex digits.
    NotHex,
}

/// Read 64 characters as hex.
#[inline]
pub fn decode64(h: &[u8; 64]) -> Hex64 {
    let mut out = [0u8; 32];
    if hex_simd::decode(h, Out::from_slice(&mut out)).is_err() {
        return Hex64::NotHex;
    }
    // Among hex digits only 'A'..='F' fall in this range (a fold, not `any`, so that it
    // is one vector loop without early exits).
    if h.iter()
        .fold(false, |up, &c| up | (c.wrapping_sub(b'A') < 6))
    {
        Hex64::Mixed
    } else {
        Hex64::Lower(out)
    }
}

/// The 64 lower-case hex digits of 32 bytes.
#[inline]
pub fn encode32(b: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let _ = hex_simd::encode(b, Out::from_slice(&mut out), AsciiCase::Lower);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers of CPython 3.11.7's `bytes.fromhex` (the reference's interpreter),
    /// recorded with `tests/support/py-answers.py fromhex`.
    #[test]
    fn fromhex_as_cpython() {
        let table: &[(&str, Option<&[u8]>)] = &[
            ("00ff", Some(&[0, 255])),
            ("AbCd", Some(&[171, 205])),
            (" 0A\u{9}fF\u{a}", Some(&[10, 255])),
            ("", Some(&[])),
            ("ab\u{b}cd", Some(&[171, 205])),
            ("ab\u{c}cd", Some(&[171, 205])),
            ("ab\u{d}cd", Some(&[171, 205])),
            ("\u{b}\u{c}", Some(&[])),
            ("ab\u{1c}cd", None),
            ("ab\u{85}cd", None),
            ("ab\u{a0}cd", None),
            ("ab\u{3000}cd", None),
            ("0 a", None),
            ("abc", None),
            ("zz", None),
            ("\u{e9}\u{e9}", None),
            ("a b", None),
            (" ", Some(&[])),
            ("ab  cd", Some(&[171, 205])),
            ("\u{0}", None),
            ("0x", None),
            ("ab\u{1f}cd", None),
        ];
        for (text, want) in table {
            assert_eq!(fromhex(text).as_deref(), *want, "{text:?}");
        }
    }

    /// The plain definition of [`decode64`], to check it against.
    fn plain_decode64(h: &[u8; 64]) -> Hex64 {
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
    fn digests_round_trip() {
        for seed in 0..2000 {
            let bytes = sample(seed);
            let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&encode32(&bytes)[..], text.as_bytes());
            assert_eq!(hex(bytes), text);
            assert_eq!(decode64(&encode32(&bytes)), Hex64::Lower(bytes));
            let upper: [u8; 64] = text.to_uppercase().as_bytes().try_into().unwrap();
            assert_eq!(decode64(&upper), plain_decode64(&upper));
        }
    }

    #[test]
    fn every_byte_at_every_place_reads_as_the_plain_definition() {
        let base = encode32(&sample(7));
        for pos in 0..64 {
            for c in 0..=255u8 {
                let mut h = base;
                h[pos] = c;
                assert_eq!(decode64(&h), plain_decode64(&h), "{c:#x} at {pos}");
            }
        }
    }
}
