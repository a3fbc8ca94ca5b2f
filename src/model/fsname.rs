//! File names as Python sees them: `os.fsdecode` decodes with `surrogateescape`.

/// Where a file name byte that is not UTF-8 goes in a recorded name: Python decodes file
/// names with `surrogateescape` (byte `b` becomes U+DC00+b, which a Rust `String` cannot
/// hold), so each such byte is kept as the code point `ESCAPED_BYTE_BASE + b` instead. Two
/// different names stay two names, exclude patterns see one character per byte as Python's
/// do, and a link holding one fails to encode as the reference's does
/// ([`crate::model::link::Link::check_encodable`]). Hand-written: no crate decodes this way.
pub const ESCAPED_BYTE_BASE: u32 = 0x10_FF00;

/// A file name as Python's `os.fsdecode` (UTF-8, `surrogateescape`) gives it, with the
/// escaped bytes kept as described at [`ESCAPED_BYTE_BASE`].
#[cfg(unix)]
pub fn fs_name(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = name.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for &b in &rest[..bad] {
                    out.push(
                        char::from_u32(ESCAPED_BYTE_BASE + u32::from(b)).unwrap_or('\u{FFFD}'),
                    );
                }
                bytes = &rest[bad..];
            }
        }
    }
}

#[cfg(not(unix))]
pub fn fs_name(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().into_owned()
}

/// The byte an escaped character of [`fs_name`] stands for.
pub fn escaped_byte(c: char) -> Option<u8> {
    let v = u32::from(c);
    (ESCAPED_BYTE_BASE + 0x80..=ESCAPED_BYTE_BASE + 0xFF)
        .contains(&v)
        .then(|| (v - ESCAPED_BYTE_BASE) as u8)
}
