//! Keys, keyids, signatures: the securesystemslib 1.6 / pyca `cryptography` layer of the
//! reference, rebuilt on the RustCrypto crates.
//!
//! * [`PublicKey`]: a verification key as in-toto sees it, either loaded from a PEM
//!   `SubjectPublicKeyInfo` file ([`PublicKey::from_pem`], like in-toto's
//!   `load_public_key_from_file`) or from a key dict inside a layout
//!   ([`PublicKey::from_key_dict`], like `_check_public_key` + `Key.from_dict`), and
//!   [`PublicKey::verify`], which follows `SSlibKey._verify` scheme by scheme.
//! * [`PrivateKey`]: a signing key loaded like `cryptography`'s `load_pem_private_key`
//!   (PKCS#8 plain or PBES2-encrypted, PKCS#1, SEC1) or generated, signing like
//!   securesystemslib's `CryptoSigner` (ed25519, RSA-PSS-SHA256 with a 32-byte salt, ECDSA
//!   DER with the curve's hash).
//! * [`compute_keyid`] / [`legacy_keyid`]: the keyid formulas of securesystemslib ≥ 0.32 and
//!   ≤ 0.31.
//! * [`pae`]: the DSSE pre-authentication encoding that DSSE signatures cover.
//!
//! Nothing here ever prints or logs private key material; [`PrivateKey`]'s `Debug` shows the
//! public half only and its secret parts are zeroized on drop.

mod pem;
mod private;
mod public;
pub mod sha512x;

#[cfg(test)]
mod tests;

pub use private::PrivateKey;
pub use public::{Ed25519Check, PublicKey, VerifyFailure, kid8};

use crate::Exc;
use sha2::{Digest, Sha256};

use crate::py::json::canonical_str;

/// The kind of key [`PrivateKey::generate`] creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Ed25519 (scheme `ed25519`).
    Ed25519,
    /// RSA, 3072 bits, public exponent 65537 (scheme `rsassa-pss-sha256`).
    Rsa,
    /// ECDSA on NIST P-256 (scheme `ecdsa-sha2-nistp256`).
    Ecdsa,
}

/// Public keys from PEM files (`--verification-keys`, trusted owner keys): each read as a
/// regular file (a FIFO or device is refused, never waited on).
pub fn load_public_keys(paths: &[std::path::PathBuf]) -> Result<Vec<PublicKey>, crate::Error> {
    paths
        .iter()
        .map(|p| {
            let text = crate::fsutil::read_regular(p)
                .map_err(|e| crate::py::oserror::path_error(&e, p))?;
            let text = String::from_utf8(text).map_err(|_| {
                crate::Error::new(
                    Exc::ValueError,
                    format!("{}: not a PEM text file", p.display()),
                )
            })?;
            PublicKey::from_pem(&text).map_err(|e| e.context(p.display()))
        })
        .collect()
}

/// The default keyid of securesystemslib ≥ 0.32 (`compute_default_keyid`): the SHA-256 hex
/// digest of the canonical JSON of `{"keytype": .., "scheme": .., "keyval": {"public": ..}}`.
#[must_use]
pub fn compute_keyid(keytype: &str, scheme: &str, public: &str) -> String {
    hash_key_meta(None, keytype, scheme, public)
}

/// The keyid securesystemslib ≤ 0.31 computed: the same dict as [`compute_keyid`] plus
/// `"keyid_hash_algorithms": ["sha256", "sha512"]`. Layouts written by those versions carry
/// such keyids; they are never recomputed on load, this is for display and diagnosis.
#[must_use]
pub fn legacy_keyid(keytype: &str, scheme: &str, public: &str) -> String {
    hash_key_meta(Some(&["sha256", "sha512"]), keytype, scheme, public)
}

/// SHA-256 hex of the canonical JSON of the key metadata dict. The keys are written in
/// canonical (code point) order: `keyid_hash_algorithms` < `keytype` < `keyval` < `scheme`.
fn hash_key_meta(
    hash_algorithms: Option<&[&str]>,
    keytype: &str,
    scheme: &str,
    public: &str,
) -> String {
    let mut out = Vec::with_capacity(public.len() + 96);
    out.push(b'{');
    if let Some(algorithms) = hash_algorithms {
        out.extend_from_slice(b"\"keyid_hash_algorithms\":[");
        for (i, algorithm) in algorithms.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            canonical_str(&mut out, algorithm);
        }
        out.extend_from_slice(b"],");
    }
    out.extend_from_slice(b"\"keytype\":");
    canonical_str(&mut out, keytype);
    out.extend_from_slice(b",\"keyval\":{\"public\":");
    canonical_str(&mut out, public);
    out.extend_from_slice(b"},\"scheme\":");
    canonical_str(&mut out, scheme);
    out.push(b'}');
    crate::py::hex::hex(Sha256::digest(&out))
}

/// The DSSE v1 pre-authentication encoding that DSSE signatures are computed over:
/// `b"DSSEv1 <len(type)> <type> <len(payload)> <payload>"`, lengths in bytes, as ASCII decimal.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}
