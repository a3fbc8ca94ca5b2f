//! Python's base64 decoding as securesystemslib uses it: `binascii.a2b_base64(data,
//! strict_mode=True)` of CPython 3.11 (the reference's interpreter) and `b64dec`. The
//! `base64` crates are stricter about padding than CPython, so the exact rules are here;
//! DSSE payloads take a fast canonical path first (`model::envelope`) and come here for
//! anything else.

use crate::Exc;
use crate::error::{Error, Result};

/// securesystemslib `b64dec`: strict standard base64 (padding required), falling back to
/// the URL-safe alphabet; errors are `binascii.Error` (class `Error`) with CPython's text.
pub fn b64dec(s: &str) -> Result<Vec<u8>> {
    match a2b_base64_strict(s.as_bytes()) {
        Ok(v) => Ok(v),
        Err(_) => {
            let translated: Vec<u8> = s
                .bytes()
                .map(|c| match c {
                    b'-' => b'+',
                    b'_' => b'/',
                    c => c,
                })
                .collect();
            a2b_base64_strict(&translated).map_err(|m| Error::new(Exc::BinasciiError, m))
        }
    }
}

/// CPython's `binascii.a2b_base64(data, strict_mode=True)`.
pub fn a2b_base64_strict(s: &[u8]) -> std::result::Result<Vec<u8>, String> {
    fn val(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    // CPython 3.11 (the reference's interpreter) refuses a leading `=` but lets a `=` after
    // a whole quantum pass (`QUJD=` is `ABC`); 3.12 made that "Excess padding not allowed".
    if s.first() == Some(&b'=') {
        return Err("Leading padding not allowed".into());
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut quad_pos, mut left, mut pads) = (0u8, 0u8, 0u8);
    let mut padding_started = false;
    for (i, &c) in s.iter().enumerate() {
        if c == b'=' {
            padding_started = true;
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    if i + 1 < s.len() {
                        return Err("Excess data after padding".into());
                    }
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(v) = val(c) else {
            return Err("Only base64 data is allowed".into());
        };
        if padding_started {
            return Err("Discontinuous padding not allowed".into());
        }
        pads = 0;
        match quad_pos {
            0 => {
                left = v;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (v >> 4));
                left = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (v >> 2));
                left = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | v);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(format!(
            "Invalid base64-encoded string: number of data characters ({}) cannot be 1 more than \
             a multiple of 4",
            out.len() / 3 * 4 + 1
        )),
        _ => Err("Incorrect padding".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_cpython_strict() {
        assert_eq!(b64dec("YWJj").unwrap(), b"abc");
        assert_eq!(b64dec("YQ==").unwrap(), b"a");
        assert_eq!(b64dec("").unwrap(), b"");
        assert_eq!(b64dec("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(b64dec("YQ").unwrap_err().message, "Incorrect padding");
        assert_eq!(
            b64dec("YQ!=").unwrap_err().message,
            "Only base64 data is allowed"
        );
        assert_eq!(
            b64dec("=YQ=").unwrap_err().message,
            "Leading padding not allowed"
        );
        assert_eq!(
            b64dec("YQ==YQ==").unwrap_err().message,
            "Excess data after padding"
        );
        assert_eq!(b64dec("YWJjZ").unwrap_err().class, "Error");
    }

    /// Answers of CPython 3.11.7's `binascii.a2b_base64(s, strict_mode=True)` (the
    /// reference's interpreter), recorded with `tests/support/py-answers.py base64`.
    #[test]
    fn base64_padding_as_cpython_3_11() {
        let table: &[(&str, Result<&[u8], &str>)] = &[
            ("QUJD=", Ok(b"ABC")),
            ("QUJD==", Ok(b"ABC")),
            ("QUJD===", Ok(b"ABC")),
            ("QUI=", Ok(b"AB")),
            ("QUI==", Err("Excess data after padding")),
            ("QUI=A", Err("Excess data after padding")),
            ("=QUJD", Err("Leading padding not allowed")),
            ("QUJDRA==", Ok(b"ABCD")),
            ("QUJD=QUJD", Err("Discontinuous padding not allowed")),
            (
                "QUJDR=",
                Err(
                    "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4",
                ),
            ),
            ("QUJDRA===", Err("Excess data after padding")),
            ("QQ==", Ok(b"A")),
            ("QQ===", Err("Excess data after padding")),
            ("QQ=", Err("Incorrect padding")),
            ("", Ok(b"")),
            ("QUJD=\n", Err("Only base64 data is allowed")),
            ("====", Err("Leading padding not allowed")),
        ];
        for (text, want) in table {
            let got = a2b_base64_strict(text.as_bytes());
            match want {
                Ok(bytes) => assert_eq!(got.as_deref(), Ok(*bytes), "{text:?}"),
                Err(m) => assert_eq!(got.unwrap_err(), *m, "{text:?}"),
            }
        }
    }
}
