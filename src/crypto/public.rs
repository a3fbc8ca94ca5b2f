//! Verification keys: loading (PEM files, layout key dicts) and signature verification.

use crate::Exc;
use std::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Verifier as _;
use p256::pkcs8::der::{Decode as _, Encode as _, Tagged as _};
use p256::pkcs8::spki::SubjectPublicKeyInfoRef;
use p256::pkcs8::{EncodePublicKey as _, ObjectIdentifier};
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};

use super::{compute_keyid, pem};
use crate::Error;
use crate::py::json::{py_repr, py_str, py_type};

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const OID_X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_MLDSA44: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
const OID_MLDSA65: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
const OID_MLDSA87: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410), followed by the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// RSA moduli accepted for verification keys, in bits (OpenSSL's verification limit is
/// 16384 bits; tiny moduli cannot carry any of the supported paddings anyway).
const RSA_BITS: std::ops::RangeInclusive<usize> = 512..=16384;

/// `(keytype, scheme)` pairs securesystemslib 1.6 maps to `SSlibKey`.
const SSLIB_PAIRS: &[(&str, &str)] = &[
    ("ecdsa", "ecdsa-sha2-nistp256"),
    ("ecdsa", "ecdsa-sha2-nistp384"),
    ("ecdsa", "ecdsa-sha2-nistp521"),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
    ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"),
    ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"),
    ("ed25519", "ed25519"),
    ("ml-dsa", "ml-dsa-44/1"),
    ("ml-dsa", "ml-dsa-65/1"),
    ("ml-dsa", "ml-dsa-87/1"),
    ("rsa", "rsassa-pss-sha256"),
    ("rsa", "rsassa-pss-sha384"),
    ("rsa", "rsassa-pss-sha512"),
    ("rsa", "rsa-pkcs1v15-sha256"),
    ("rsa", "rsa-pkcs1v15-sha384"),
    ("rsa", "rsa-pkcs1v15-sha512"),
];

/// `(keytype, scheme)` pairs securesystemslib 1.6 maps to its OpenPGP `GPGKey`.
const GPG_PAIRS: &[(&str, &str)] = &[
    ("rsa", "pgp+rsa-pkcsv1.5"),
    ("dsa", "pgp+dsa-fips-180-2"),
    ("eddsa", "pgp+eddsa-ed25519"),
];

/// Parsed public key material.
#[derive(Clone)]
enum Material {
    /// Raw Ed25519 public key bytes. Not decompressed at load (OpenSSL does not either), so a
    /// non-point loads and simply never verifies.
    Ed25519([u8; 32]),
    Rsa(Box<rsa::PublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    /// An ML-DSA key (level 44, 65 or 87), recognised but not verifiable here.
    MlDsa(u16),
}

impl Material {
    /// The key itself, independent of how a key dict spells it (hex case, PEM wrapping,
    /// scheme): two dicts with equal identities verify with one private key.
    fn identity(&self) -> Vec<u8> {
        let (tag, body): (u8, Vec<u8>) = match self {
            Material::Ed25519(k) => (1, k.to_vec()),
            Material::Rsa(k) => {
                let mut b = k.n().to_be_bytes().to_vec();
                b.push(0xff);
                b.extend_from_slice(&k.e().to_be_bytes());
                (2, b)
            }
            Material::P256(k) => (3, k.to_sec1_point(true).as_bytes().to_vec()),
            Material::P384(k) => (4, k.to_sec1_point(true).as_bytes().to_vec()),
            Material::P521(k) => (5, k.to_sec1_point(true).as_bytes().to_vec()),
            Material::MlDsa(level) => (6, level.to_be_bytes().to_vec()),
        };
        let mut out = vec![tag];
        out.extend(body);
        out
    }

    /// Short description, e.g. `rsa 3072`, `ecdsa P-256`.
    fn label(&self) -> String {
        match self {
            Material::Ed25519(_) => "ed25519".into(),
            Material::Rsa(k) => format!("rsa {}", k.n().bit_width_vartime()),
            Material::P256(_) => "ecdsa P-256".into(),
            Material::P384(_) => "ecdsa P-384".into(),
            Material::P521(_) => "ecdsa P-521".into(),
            Material::MlDsa(level) => format!("ml-dsa-{level}"),
        }
    }

    /// `(keytype, default scheme)` as `SSlibKey._from_crypto` derives them.
    fn sslib_type_and_scheme(&self) -> (&'static str, &'static str) {
        match self {
            Material::Ed25519(_) => ("ed25519", "ed25519"),
            Material::Rsa(_) => ("rsa", "rsassa-pss-sha256"),
            Material::P256(_) => ("ecdsa", "ecdsa-sha2-nistp256"),
            Material::P384(_) => ("ecdsa", "ecdsa-sha2-nistp384"),
            Material::P521(_) => ("ecdsa", "ecdsa-sha2-nistp521"),
            Material::MlDsa(44) => ("ml-dsa", "ml-dsa-44/1"),
            Material::MlDsa(65) => ("ml-dsa", "ml-dsa-65/1"),
            Material::MlDsa(_) => ("ml-dsa", "ml-dsa-87/1"),
        }
    }
}

/// A parsed `SubjectPublicKeyInfo`: the material and its canonical DER re-encoding.
struct Spki {
    material: Material,
    der: Vec<u8>,
}

/// Why a signature did not verify, with the securesystemslib exception class the reference
/// would raise: `UnverifiedSignatureError` when the signature itself is wrong (pyca
/// `InvalidSignature`), `VerificationError` when verification could not even be attempted
/// (unusable key, key type or curve not matching the scheme, unsupported scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFailure {
    /// `UnverifiedSignatureError` or `VerificationError`.
    pub class: Exc,
    /// A readable reason.
    pub reason: String,
}

impl VerifyFailure {
    fn unverified(reason: impl Into<String>) -> Self {
        VerifyFailure {
            class: Exc::UnverifiedSignatureError,
            reason: reason.into(),
        }
    }

    fn process(reason: impl Into<String>) -> Self {
        VerifyFailure {
            class: Exc::VerificationError,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A verification key, as in-toto 3.1 / securesystemslib 1.6 handle it.
///
/// The public fields are the ones of the key dict (`keyid`, `keytype`, `scheme`,
/// `keyval.public`); the parsed key material is private. Key material that does not parse
/// is not an error at load (the reference only fails when verifying): such a key loads,
/// reports why in [`PublicKey::unusable_reason`] and never verifies anything.
#[derive(Clone)]
pub struct PublicKey {
    /// The keyid: computed for keys loaded from PEM, as given for layout keys.
    pub keyid: String,
    /// `keytype`, e.g. `ed25519`, `rsa`, `ecdsa` (for OpenPGP-form dicts: their `type`).
    pub keytype: String,
    /// `scheme`, e.g. `ed25519`, `rsassa-pss-sha256` (for OpenPGP-form dicts: their `method`).
    pub scheme: String,
    /// `keyval.public` exactly (hex for ed25519, PEM text otherwise; empty when the dict's
    /// `keyval.public` is not a string, as in OpenPGP-form dicts).
    pub public: String,
    material: Result<Material, String>,
    /// The original dict of an OpenPGP-form key (kept verbatim for [`PublicKey::to_key_dict`]).
    gpg: Option<Map<String, Value>>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("keyid", &self.keyid)
            .field("keytype", &self.keytype)
            .field("scheme", &self.scheme)
            .field("kind", &self.kind_label())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.keyid == other.keyid
            && self.keytype == other.keytype
            && self.scheme == other.scheme
            && self.public == other.public
            && self.gpg == other.gpg
    }
}

impl Eq for PublicKey {}

/// The first 8 characters of a keyid (the reference's `{keyid:.8}` in link file names and
/// sublayout folders).
pub fn kid8(keyid: &str) -> &str {
    crate::py::prefix(keyid, 8)
}

impl PublicKey {
    /// Load a PEM `SubjectPublicKeyInfo` text (ed25519, RSA, EC P-256/P-384/P-521, also
    /// ML-DSA) as in-toto's `load_public_key_from_file` does: default scheme (`ed25519`,
    /// `rsassa-pss-sha256`, `ecdsa-sha2-nistp256|384|521`, `ml-dsa-*/1`), `keyval.public` =
    /// hex of the raw key for ed25519 and the canonically re-encoded PEM otherwise (64-column
    /// base64, `\n` line ends, trailing newline), keyid = [`compute_keyid`].
    ///
    /// The PEM is read as leniently as `cryptography` reads it (first PEM block; CRLF, odd
    /// wrapping and surrounding text accepted); a PKCS#1 `RSA PUBLIC KEY` block is accepted
    /// too. A private key, another PEM block type, malformed PEM or DER, or an unsupported
    /// key type give an error of class `ValueError`.
    pub fn from_pem(text: &str) -> Result<PublicKey, Error> {
        let spki = load_pem_public(text.as_bytes()).map_err(|m| Error::new(Exc::ValueError, m))?;
        Ok(PublicKey::from_spki(spki))
    }

    /// Load a DER `SubjectPublicKeyInfo` (same result as [`PublicKey::from_pem`]).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, Error> {
        let spki = parse_spki(der).map_err(|m| Error::new(Exc::ValueError, m))?;
        Ok(PublicKey::from_spki(spki))
    }

    fn from_spki(spki: Spki) -> PublicKey {
        let (keytype, scheme) = spki.material.sslib_type_and_scheme();
        let public = match &spki.material {
            Material::Ed25519(raw) => crate::py::hex::hex(raw),
            _ => pem::encode("PUBLIC KEY", &spki.der),
        };
        PublicKey {
            keyid: compute_keyid(keytype, scheme, &public),
            keytype: keytype.into(),
            scheme: scheme.into(),
            public,
            material: Ok(spki.material),
            gpg: None,
        }
    }

    /// Load a key dict of a layout's `keys` (or any in-toto key dict) as the reference does:
    /// in-toto's `_check_public_key` (which first tries the OpenPGP form with `type`,
    /// `method`, `hashes`, `keyval`, then securesystemslib's `Key.from_dict`), then
    /// `Key.from_dict(keyid, dict)`. The keyid of the result is `keyid`, never recomputed.
    ///
    /// Extra fields (`keyid_hash_algorithms`, `keyval.private: ""`, ...) are allowed. Errors
    /// carry the reference's exception class and message:
    /// * no `keyid` (or no `keyval` for a registered pair) → `FormatError`
    ///   `expected public key dict, got '<repr> (<class 'dict'>)'`;
    /// * unregistered `(keytype, scheme)` → `ValueError` `Unsupported public key <keytype>/<scheme>`;
    /// * `keyval.public` missing or not a string → `ValueError`
    ///   `public key string required for scheme <scheme>`;
    /// * Python-level type accidents (`keyval` a number, a list `keytype`, a non-string
    ///   `keyid`, a non-dict `subkeys`, ...) → the `TypeError` / `AttributeError` Python raises.
    ///
    /// Registered but unverifiable here (they load, verification fails with a clear reason):
    /// OpenPGP keys (`pgp+rsa-pkcsv1.5`, `pgp+dsa-fips-180-2`, `pgp+eddsa-ed25519`, and the
    /// OpenPGP dict form) and ML-DSA. Key material that does not parse is not an error here.
    pub fn from_key_dict(keyid: &str, dict: &Map<String, Value>) -> Result<PublicKey, Error> {
        let form = check_public_key(dict)?;
        let mut key = match form {
            DictForm::Sslib {
                keytype,
                scheme,
                public,
            } => PublicKey {
                keyid: keyid.to_string(),
                material: material_from_keyval(&keytype, &public),
                keytype,
                scheme,
                public,
                gpg: None,
            },
            DictForm::SslibGpg { keytype, scheme } => PublicKey {
                keyid: keyid.to_string(),
                material: Err(format!(
                    "OpenPGP key {keytype}/{scheme}: verifying OpenPGP signatures is not supported"
                )),
                public: keyval_public(dict),
                keytype,
                scheme,
                gpg: Some(dict.clone()),
            },
            DictForm::IntotoGpg => match sslib_form(dict) {
                // A dict that is both an OpenPGP dict and a valid securesystemslib key dict
                // verifies as the latter when the signature is not an OpenPGP one.
                Ok(DictForm::Sslib {
                    keytype,
                    scheme,
                    public,
                }) => PublicKey {
                    keyid: keyid.to_string(),
                    material: material_from_keyval(&keytype, &public),
                    keytype,
                    scheme,
                    public,
                    gpg: Some(dict.clone()),
                },
                other => {
                    let why = match other {
                        Err(e) => format!(" ({}: {})", e.class, e.message),
                        Ok(_) => String::new(),
                    };
                    PublicKey {
                        keyid: keyid.to_string(),
                        keytype: dict.get("type").map(py_str).unwrap_or_default(),
                        scheme: dict.get("method").map(py_str).unwrap_or_default(),
                        public: keyval_public(dict),
                        material: Err(format!(
                            "OpenPGP (gpg) key: verifying OpenPGP signatures is not supported{why}"
                        )),
                        gpg: Some(dict.clone()),
                    }
                }
            },
        };
        if key.keytype == "ml-dsa"
            && let Ok(material) = &key.material
        {
            key.material = Err(format!(
                "{} keys cannot be verified by this tool (ML-DSA is not supported)",
                material.label()
            ));
        }
        Ok(key)
    }

    /// The key dict in-toto writes into a layout for this key:
    /// `{"keyid", "keytype", "keyval": {"public"}, "scheme"}`. For an OpenPGP-form key, the
    /// original dict it was loaded from.
    #[must_use]
    pub fn to_key_dict(&self) -> Map<String, Value> {
        if let Some(original) = &self.gpg {
            return original.clone();
        }
        let mut keyval = Map::new();
        keyval.insert("public".into(), Value::String(self.public.clone()));
        let mut dict = Map::new();
        dict.insert("keyid".into(), Value::String(self.keyid.clone()));
        dict.insert("keytype".into(), Value::String(self.keytype.clone()));
        dict.insert("keyval".into(), Value::Object(keyval));
        dict.insert("scheme".into(), Value::String(self.scheme.clone()));
        dict
    }

    /// Verify `sig` (raw bytes) over `msg` as `SSlibKey._verify` does. `Err` carries the
    /// reason; see [`PublicKey::check`] for the reference's exception class too.
    pub fn verify(&self, sig: &[u8], msg: &[u8]) -> Result<(), String> {
        self.check(sig, msg).map_err(|f| f.reason)
    }

    /// Verify `sig` over `msg` as `SSlibKey._verify` does, scheme by scheme:
    /// * `ed25519`: raw 64-byte signature, strict verification (non-canonical `S`,
    ///   small-order `R` and small-order / weak public keys are rejected);
    /// * `rsassa-pss-sha256|384|512`: MGF1 with the same hash, any salt length (PSS.AUTO);
    ///   like OpenSSL, a signature shorter than the modulus is left-padded with zeros;
    /// * `rsa-pkcs1v15-sha256|384|512`;
    /// * `ecdsa-sha2-nistp256|384|521`: DER signature, SHA-256 / SHA-384 / SHA-512, and the
    ///   key must be on the scheme's curve (also for the legacy keytypes named after the scheme).
    ///
    /// Never panics, whatever the input.
    pub fn check(&self, sig: &[u8], msg: &[u8]) -> Result<(), VerifyFailure> {
        let material = match &self.material {
            Ok(m) => m,
            Err(reason) => return Err(VerifyFailure::process(reason.clone())),
        };
        let keytype = self.keytype.as_str();
        let scheme = self.scheme.as_str();
        let bad_key = || {
            VerifyFailure::process(format!(
                "bad key ({}) for scheme {scheme}",
                material.label()
            ))
        };
        match (keytype, scheme) {
            ("rsa", _)
                if scheme.starts_with("rsassa-pss-") || scheme.starts_with("rsa-pkcs1v15-") =>
            {
                let Material::Rsa(key) = material else {
                    return Err(bad_key());
                };
                verify_rsa(key, scheme, sig, msg)
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => match material {
                Material::P256(vk) => {
                    let sig =
                        p256::ecdsa::DerSignature::try_from(sig).map_err(|_| ecdsa_not_der())?;
                    vk.verify(msg, &sig).map_err(|_| ecdsa_mismatch(scheme))
                }
                Material::P384(_) | Material::P521(_) => Err(bad_curve(material, scheme)),
                _ => Err(bad_key()),
            },
            ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => match material {
                Material::P384(vk) => {
                    let sig =
                        p384::ecdsa::DerSignature::try_from(sig).map_err(|_| ecdsa_not_der())?;
                    vk.verify(msg, &sig).map_err(|_| ecdsa_mismatch(scheme))
                }
                Material::P256(_) | Material::P521(_) => Err(bad_curve(material, scheme)),
                _ => Err(bad_key()),
            },
            ("ecdsa" | "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521") => match material {
                Material::P521(vk) => {
                    let sig =
                        p521::ecdsa::DerSignature::try_from(sig).map_err(|_| ecdsa_not_der())?;
                    vk.verify(msg, &sig).map_err(|_| ecdsa_mismatch(scheme))
                }
                Material::P256(_) | Material::P384(_) => Err(bad_curve(material, scheme)),
                _ => Err(bad_key()),
            },
            ("ed25519", "ed25519") => {
                let Material::Ed25519(raw) = material else {
                    return Err(bad_key());
                };
                verify_ed25519(raw, sig, msg)
            }
            ("ml-dsa", _) => Err(VerifyFailure::process(format!(
                "{scheme} signatures cannot be verified by this tool (ML-DSA is not supported)"
            ))),
            _ => Err(VerifyFailure::process(format!(
                "Unsupported public key {keytype}/{scheme}"
            ))),
        }
    }

    /// For a usable ed25519 key, the check of `sig` up to the hash of the message (see
    /// [`Ed25519Check`]); `Err` is [`PublicKey::verify`]'s reason already. `None` for any
    /// other key, which [`PublicKey::verify`] checks with the whole message.
    pub fn ed25519_check(&self, sig: &[u8]) -> Option<Result<Ed25519Check, String>> {
        match (&self.material, self.keytype.as_str(), self.scheme.as_str()) {
            (Ok(Material::Ed25519(raw)), "ed25519", "ed25519") => {
                Some(Ed25519Check::new(raw, sig).map_err(|f| f.reason))
            }
            _ => None,
        }
    }

    /// What identifies the signing key behind this dict, for counting distinct
    /// functionaries toward a threshold: the parsed key material when it parses (so one key
    /// listed under two keyids, or spelt two ways, counts once), else the dict's own fields.
    pub fn identity(&self) -> Vec<u8> {
        match &self.material {
            Ok(m) => m.identity(),
            Err(_) => {
                let mut out = vec![0u8];
                for part in [&self.keyid, &self.keytype, &self.scheme, &self.public] {
                    out.extend_from_slice(part.as_bytes());
                    out.push(0);
                }
                out
            }
        }
    }

    /// The first 8 characters of the keyid (what in-toto puts into link file names).
    #[must_use]
    pub fn short_keyid(&self) -> &str {
        kid8(&self.keyid)
    }

    /// A short description of the key: `ed25519`, `rsa 3072`, `ecdsa P-256`, `ml-dsa-65`,
    /// `gpg rsa`, or `<keytype> (unusable)` when the key material does not parse.
    #[must_use]
    pub fn kind_label(&self) -> String {
        match (&self.material, self.gpg.is_some()) {
            (Ok(m), _) => m.label(),
            (Err(_), true) => format!("gpg {}", self.keytype),
            (Err(_), false) if self.keytype == "ml-dsa" => {
                self.scheme.trim_end_matches("/1").to_string()
            }
            (Err(_), false) => format!("{} (unusable)", self.keytype),
        }
    }

    /// Why this key can never verify a signature (unparsable material, OpenPGP or ML-DSA
    /// key), or `None` for a usable key.
    #[must_use]
    pub fn unusable_reason(&self) -> Option<&str> {
        self.material.as_ref().err().map(String::as_str)
    }

    /// True for a key given in the OpenPGP dict form (or as a securesystemslib `pgp+*` key).
    #[must_use]
    pub fn is_gpg(&self) -> bool {
        self.gpg.is_some()
    }

    /// The key as a canonical PEM `SubjectPublicKeyInfo` (also for ed25519 keys, whose
    /// `keyval.public` is hex), or `None` when the key material is unusable.
    #[must_use]
    pub fn to_spki_pem(&self) -> Option<String> {
        let der = match self.material.as_ref().ok()? {
            Material::Ed25519(raw) => ed25519_spki(raw),
            Material::Rsa(k) => k.to_public_key_der().ok()?.to_vec(),
            Material::P256(k) => k.to_public_key_der().ok()?.to_vec(),
            Material::P384(k) => k.to_public_key_der().ok()?.to_vec(),
            Material::P521(k) => k.to_public_key_der().ok()?.to_vec(),
            Material::MlDsa(_) => return Some(self.public.clone()),
        };
        Some(pem::encode("PUBLIC KEY", &der))
    }
}

fn ecdsa_not_der() -> VerifyFailure {
    VerifyFailure::unverified("signature is not a DER-encoded ECDSA signature")
}

fn ecdsa_mismatch(scheme: &str) -> VerifyFailure {
    VerifyFailure::unverified(format!("signature does not match ({scheme})"))
}

fn bad_curve(material: &Material, scheme: &str) -> VerifyFailure {
    let curve = material.label();
    let curve = curve.trim_start_matches("ecdsa ");
    VerifyFailure::process(format!("bad curve {curve} for scheme {scheme}"))
}

fn verify_ed25519(raw: &[u8; 32], sig: &[u8], msg: &[u8]) -> Result<(), VerifyFailure> {
    let check = Ed25519Check::new(raw, sig)?;
    let mut h = crate::crypto::sha512x::Stream::new();
    h.update(check.prefix());
    h.update(msg);
    check.finish(&h.finish())
}

/// An ed25519 signature check split in two, so that the expensive part, SHA-512 of
/// `R || A || message`, can be done elsewhere (e.g. for many messages at once by
/// [`crate::crypto::sha512x`]).
///
/// It is `ed25519-dalek`'s `verify_strict` written out with `curve25519-dalek`: the
/// signature's `S` must be canonical, `R` must decompress, neither `R` nor the key may
/// have small order, and `[S]B - [k]A` must encode to `R` byte for byte. A test compares it
/// with `verify_strict` on valid, altered and malformed signatures.
pub struct Ed25519Check {
    prefix: [u8; 64],
    key: EdwardsPoint,
    s: Scalar,
}

impl Ed25519Check {
    /// Everything that can be checked before hashing; `Err` is the verdict already.
    pub fn new(raw: &[u8; 32], sig: &[u8]) -> Result<Ed25519Check, VerifyFailure> {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return Err(VerifyFailure::unverified(format!(
                "signature is {} bytes, an ed25519 signature is 64 bytes",
                sig.len()
            )));
        };
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(raw) else {
            return Err(VerifyFailure::unverified(
                "the ed25519 public key is not a valid curve point",
            ));
        };
        if vk.is_weak() {
            return Err(VerifyFailure::unverified(
                "the ed25519 public key is a small-order (weak) point, rejected",
            ));
        }
        let mismatch = || VerifyFailure::unverified("signature does not match (ed25519)");
        let r_bytes: [u8; 32] = sig[..32].try_into().expect("32 bytes");
        let s_bytes: [u8; 32] = sig[32..].try_into().expect("32 bytes");
        let s =
            Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or_else(mismatch)?;
        let r = CompressedEdwardsY(r_bytes)
            .decompress()
            .ok_or_else(mismatch)?;
        let key = vk.to_edwards();
        if r.is_small_order() || key.is_small_order() {
            return Err(mismatch());
        }
        let mut prefix = [0u8; 64];
        prefix[..32].copy_from_slice(&r_bytes);
        prefix[32..].copy_from_slice(raw);
        Ok(Ed25519Check { prefix, key, s })
    }

    /// `R || A`: what the hashed text starts with, before the message.
    pub fn prefix(&self) -> &[u8; 64] {
        &self.prefix
    }

    /// The verdict, given SHA-512 of `R || A || message`.
    pub fn finish(&self, hash: &[u8; 64]) -> Result<(), VerifyFailure> {
        let k = Scalar::from_bytes_mod_order_wide(hash);
        let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-self.key, &self.s);
        if expected.compress().as_bytes()[..] == self.prefix[..32] {
            Ok(())
        } else {
            Err(VerifyFailure::unverified(
                "signature does not match (ed25519)",
            ))
        }
    }
}

fn verify_rsa(
    key: &rsa::PublicKey,
    scheme: &str,
    sig: &[u8],
    msg: &[u8],
) -> Result<(), VerifyFailure> {
    let size = key.size();
    let mismatch = || VerifyFailure::unverified(format!("signature does not match ({scheme})"));
    if let Some(hash) = scheme.strip_prefix("rsassa-pss-") {
        if sig.len() > size {
            return Err(VerifyFailure::unverified(format!(
                "signature is {} bytes, longer than the {size}-byte modulus",
                sig.len()
            )));
        }
        // OpenSSL's raw RSA public operation takes shorter inputs as the same integer.
        let mut padded = vec![0u8; size - sig.len()];
        padded.extend_from_slice(sig);
        let sig =
            rsa::pss::Signature::from_bytes_with_max_len(&padded, size).map_err(|_| mismatch())?;
        let ok = match hash {
            "sha256" => rsa::pss::VerifyingKey::<Sha256>::new_with_auto_salt_len((*key).clone())
                .verify(msg, &sig),
            "sha384" => rsa::pss::VerifyingKey::<Sha384>::new_with_auto_salt_len((*key).clone())
                .verify(msg, &sig),
            "sha512" => rsa::pss::VerifyingKey::<Sha512>::new_with_auto_salt_len((*key).clone())
                .verify(msg, &sig),
            _ => {
                return Err(VerifyFailure::process(format!(
                    "Unsupported public key rsa/{scheme}"
                )));
            }
        };
        ok.map_err(|_| mismatch())
    } else if let Some(hash) = scheme.strip_prefix("rsa-pkcs1v15-") {
        if sig.len() != size {
            return Err(VerifyFailure::unverified(format!(
                "signature is {} bytes, the modulus is {size} bytes",
                sig.len()
            )));
        }
        let sig =
            rsa::pkcs1v15::Signature::from_bytes_with_max_len(sig, size).map_err(|_| mismatch())?;
        let ok = match hash {
            "sha256" => {
                rsa::pkcs1v15::VerifyingKey::<Sha256>::new((*key).clone()).verify(msg, &sig)
            }
            "sha384" => {
                rsa::pkcs1v15::VerifyingKey::<Sha384>::new((*key).clone()).verify(msg, &sig)
            }
            "sha512" => {
                rsa::pkcs1v15::VerifyingKey::<Sha512>::new((*key).clone()).verify(msg, &sig)
            }
            _ => {
                return Err(VerifyFailure::process(format!(
                    "Unsupported public key rsa/{scheme}"
                )));
            }
        };
        ok.map_err(|_| mismatch())
    } else {
        Err(VerifyFailure::process(format!(
            "Unsupported public key rsa/{scheme}"
        )))
    }
}

fn ed25519_spki(raw: &[u8; 32]) -> Vec<u8> {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(raw);
    der
}

/// Key material from `keyval.public` as `SSlibKey._crypto_key` reads it: hex for keytype
/// `ed25519`, a PEM public key of any type otherwise.
fn material_from_keyval(keytype: &str, public: &str) -> Result<Material, String> {
    if keytype == "ed25519" {
        let bytes = crate::py::hex::fromhex(public).ok_or_else(|| {
            "keyval.public is not a hex string (ed25519 keys are hex)".to_string()
        })?;
        let raw = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            format!(
                "keyval.public is {} bytes, an ed25519 public key is 32 bytes",
                bytes.len()
            )
        })?;
        Ok(Material::Ed25519(raw))
    } else {
        load_pem_public(public.as_bytes())
            .map(|spki| spki.material)
            .map_err(|e| format!("keyval.public is not a usable public key: {e}"))
    }
}

/// `cryptography.load_pem_public_key`: the first PEM block, `PUBLIC KEY` (SPKI) or
/// `RSA PUBLIC KEY` (PKCS#1).
fn load_pem_public(text: &[u8]) -> Result<Spki, String> {
    let block = pem::parse_first(text).map_err(|e| format!("could not load PEM: {e}"))?;
    match block.label.as_str() {
        "PUBLIC KEY" => parse_spki(&block.der),
        "RSA PUBLIC KEY" => {
            let key = rsa_from_pkcs1(&block.der)?;
            let der = key
                .to_public_key_der()
                .map_err(|e| format!("could not encode RSA key: {e}"))?
                .to_vec();
            Ok(Spki {
                material: Material::Rsa(Box::new(key)),
                der,
            })
        }
        label if label.contains("PRIVATE KEY") => Err(format!(
            "expected a public key (PEM 'BEGIN PUBLIC KEY'), found a private key \
             (PEM 'BEGIN {label}')"
        )),
        label => Err(format!(
            "expected a public key (PEM 'BEGIN PUBLIC KEY'), found PEM 'BEGIN {label}'"
        )),
    }
}

fn rsa_from_pkcs1(der: &[u8]) -> Result<rsa::PublicKey, String> {
    let key = rsa::pkcs1::RsaPublicKeyRef::from_der(der)
        .map_err(|e| format!("could not deserialize RSA public key: {e}"))?;
    let n = BoxedUint::from_be_slice_vartime(key.modulus.as_bytes());
    let e = BoxedUint::from_be_slice_vartime(key.public_exponent.as_bytes());
    rsa::PublicKey::new_with_size_limits(n, e, RSA_BITS)
        .map_err(|e| format!("invalid RSA public key: {e}"))
}

/// Parse a DER `SubjectPublicKeyInfo` into key material plus its canonical re-encoding (what
/// `public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)` would give).
fn parse_spki(der: &[u8]) -> Result<Spki, String> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| format!("could not deserialize key data (SubjectPublicKeyInfo): {e}"))?;
    let oid = spki.algorithm.oid;
    let params = spki.algorithm.parameters;
    let key_bytes = spki.subject_public_key.as_bytes().ok_or_else(|| {
        "could not deserialize key data: the key BIT STRING has unused bits".to_string()
    })?;
    let no_params = |name: &str| -> Result<(), String> {
        match params {
            None => Ok(()),
            Some(_) => Err(format!(
                "could not deserialize key data: unexpected {name} algorithm parameters"
            )),
        }
    };
    if oid == OID_ED25519 {
        no_params("Ed25519")?;
        let raw = <[u8; 32]>::try_from(key_bytes).map_err(|_| {
            format!(
                "could not deserialize key data: an Ed25519 public key is 32 bytes, got {}",
                key_bytes.len()
            )
        })?;
        Ok(Spki {
            material: Material::Ed25519(raw),
            der: ed25519_spki(&raw),
        })
    } else if oid == OID_RSA || oid == OID_RSA_PSS {
        // rsaEncryption takes NULL (or absent) parameters; an RSASSA-PSS restricted key
        // (absent or RSASSA-PSS-params) loads as a plain RSA key, as in `cryptography`.
        if let Some(p) = params {
            let ok = if oid == OID_RSA {
                p.tag() == p256::pkcs8::der::Tag::Null && p.value().is_empty()
            } else {
                p.tag() == p256::pkcs8::der::Tag::Sequence
            };
            if !ok {
                return Err(
                    "could not deserialize key data: unexpected RSA algorithm parameters".into(),
                );
            }
        }
        let key = rsa_from_pkcs1(key_bytes)?;
        let der = key
            .to_public_key_der()
            .map_err(|e| format!("could not encode RSA key: {e}"))?
            .to_vec();
        Ok(Spki {
            material: Material::Rsa(Box::new(key)),
            der,
        })
    } else if oid == OID_EC {
        let curve = spki.algorithm.parameters_oid().map_err(|_| {
            "unsupported EC key: only named curves are supported (explicit curve parameters given)"
                .to_string()
        })?;
        let bad_point = |name: &str| format!("invalid EC public key: not a point on {name}");
        let (material, der) = if curve == OID_P256 {
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                .map_err(|_| bad_point("P-256"))?;
            let der = vk.to_public_key_der().map_err(|e| e.to_string())?.to_vec();
            (Material::P256(vk), der)
        } else if curve == OID_P384 {
            let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                .map_err(|_| bad_point("P-384"))?;
            let der = vk.to_public_key_der().map_err(|e| e.to_string())?.to_vec();
            (Material::P384(vk), der)
        } else if curve == OID_P521 {
            let vk = p521::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                .map_err(|_| bad_point("P-521"))?;
            let der = vk.to_public_key_der().map_err(|e| e.to_string())?.to_vec();
            (Material::P521(vk), der)
        } else {
            return Err(format!("unsupported curve '{}'", curve_name(&curve)));
        };
        Ok(Spki { material, der })
    } else if oid == OID_MLDSA44 || oid == OID_MLDSA65 || oid == OID_MLDSA87 {
        let (level, len) = if oid == OID_MLDSA44 {
            (44, 1312)
        } else if oid == OID_MLDSA65 {
            (65, 1952)
        } else {
            (87, 2592)
        };
        no_params("ML-DSA")?;
        if key_bytes.len() != len {
            return Err(format!(
                "could not deserialize key data: an ML-DSA-{level} public key is {len} bytes, got {}",
                key_bytes.len()
            ));
        }
        let der = spki
            .to_der()
            .map_err(|e| format!("could not encode ML-DSA key: {e}"))?;
        Ok(Spki {
            material: Material::MlDsa(level),
            der,
        })
    } else {
        Err(format!("unsupported key type {}", key_type_name(&oid)))
    }
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".into(),
        "1.3.132.0.33" => "secp224r1".into(),
        "1.2.840.10045.3.1.1" => "secp192r1".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        other => other.into(),
    }
}

fn key_type_name(oid: &ObjectIdentifier) -> String {
    if *oid == OID_ED448 {
        "Ed448".into()
    } else if *oid == OID_X25519 {
        "X25519".into()
    } else if *oid == OID_X448 {
        "X448".into()
    } else if *oid == OID_DSA {
        "DSA".into()
    } else {
        format!("(algorithm OID {oid})")
    }
}

/// `keyval.public` when it is a string, else "".
fn keyval_public(dict: &Map<String, Value>) -> String {
    match dict.get("keyval").and_then(|kv| kv.get("public")) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Which kind of key dict `_check_public_key` accepted.
enum DictForm {
    /// A securesystemslib `SSlibKey` dict.
    Sslib {
        keytype: String,
        scheme: String,
        public: String,
    },
    /// A securesystemslib `GPGKey` dict (`keytype`/`scheme` of a registered `pgp+*` pair).
    SslibGpg { keytype: String, scheme: String },
    /// An in-toto OpenPGP dict (`type`, `method`, `hashes`, `keyval`).
    IntotoGpg,
}

/// The bare Python type name of a JSON value (`int`, `str`, `NoneType`, ...).
fn py_type_name(v: &Value) -> &'static str {
    let t = py_type(v);
    t.strip_prefix("<class '")
        .and_then(|t| t.strip_suffix("'>"))
        .unwrap_or(t)
}

/// Python truthiness of a JSON value.
fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_none_or(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Outcome of in-toto's `GPGKey.from_dict` on a value.
enum GpgOutcome {
    Ok,
    /// `KeyError` or `TypeError`: `_check_public_key` falls back to `Key.from_dict`.
    Fallback,
    /// Any other exception escapes `_check_public_key`.
    Raise(Error),
}

/// in-toto's `GPGKey.from_dict(keyid, key_dict)` (subkeys first, then the four fields).
fn intoto_gpg_from_dict(v: &Value) -> GpgOutcome {
    let Value::Object(d) = v else {
        // `key_dict.get("subkeys")` on a non-dict.
        return GpgOutcome::Raise(Error::new(
            Exc::AttributeError,
            format!("'{}' object has no attribute 'get'", py_type_name(v)),
        ));
    };
    if let Some(subkeys) = d.get("subkeys").filter(|s| py_truthy(s)) {
        let Value::Object(subkeys) = subkeys else {
            return GpgOutcome::Raise(Error::new(
                Exc::AttributeError,
                format!(
                    "'{}' object has no attribute 'items'",
                    py_type_name(subkeys)
                ),
            ));
        };
        for sub in subkeys.values() {
            match intoto_gpg_from_dict(sub) {
                GpgOutcome::Ok => {}
                other => return other,
            }
        }
    }
    if ["type", "method", "hashes", "keyval"]
        .iter()
        .all(|k| d.contains_key(*k))
    {
        GpgOutcome::Ok
    } else {
        GpgOutcome::Fallback
    }
}

/// in-toto's `_check_public_key(arg)`.
fn check_public_key(dict: &Map<String, Value>) -> Result<DictForm, Error> {
    if dict.contains_key("keyid") {
        match intoto_gpg_from_dict(&Value::Object(dict.clone())) {
            GpgOutcome::Ok => return Ok(DictForm::IntotoGpg),
            GpgOutcome::Fallback => {}
            GpgOutcome::Raise(e) => return Err(e),
        }
    }
    sslib_form(dict)
}

/// securesystemslib's `Key.from_dict(arg["keyid"], deepcopy(arg))` with in-toto's mapping of
/// `KeyError` to `FormatError`.
fn sslib_form(dict: &Map<String, Value>) -> Result<DictForm, Error> {
    let format_error = || {
        Error::format(format!(
            "expected public key dict, got '{} (<class 'dict'>)'",
            py_repr(&Value::Object(dict.clone()))
        ))
    };
    let Some(keyid) = dict.get("keyid") else {
        return Err(format_error());
    };
    let keytype = dict.get("keytype").unwrap_or(&Value::Null);
    let scheme = dict.get("scheme").unwrap_or(&Value::Null);
    for v in [keytype, scheme] {
        if matches!(v, Value::Array(_) | Value::Object(_)) {
            return Err(Error::new(
                Exc::TypeError,
                format!("unhashable type: '{}'", py_type_name(v)),
            ));
        }
    }
    let unsupported = || {
        Error::new(
            Exc::ValueError,
            format!(
                "Unsupported public key {}/{}",
                py_str(keytype),
                py_str(scheme)
            ),
        )
    };
    let (Value::String(keytype), Value::String(scheme)) = (keytype, scheme) else {
        return Err(unsupported());
    };
    let pair = (keytype.as_str(), scheme.as_str());
    let type_error = || Error::new(Exc::TypeError, "Unexpected Key attributes types!");
    if GPG_PAIRS.contains(&pair) {
        // securesystemslib GPGKey: Key._from_dict + Key.__init__ type checks.
        let keyval = dict.get("keyval").ok_or_else(format_error)?;
        if !keyid.is_string() || !keyval.is_object() {
            return Err(type_error());
        }
        return Ok(DictForm::SslibGpg {
            keytype: keytype.clone(),
            scheme: scheme.clone(),
        });
    }
    if !SSLIB_PAIRS.contains(&pair) {
        return Err(unsupported());
    }
    let keyval = dict.get("keyval").ok_or_else(format_error)?;
    // SSlibKey.__init__: `"public" not in keyval or not isinstance(keyval["public"], str)`.
    let required = || {
        Error::new(
            Exc::ValueError,
            format!("public key string required for scheme {scheme}"),
        )
    };
    let public = match keyval {
        Value::Object(kv) => match kv.get("public") {
            Some(Value::String(p)) => p.clone(),
            _ => return Err(required()),
        },
        Value::String(s) if s.contains("public") => {
            return Err(Error::new(
                Exc::TypeError,
                "string indices must be integers, not 'str'",
            ));
        }
        Value::Array(items) if items.iter().any(|i| i.as_str() == Some("public")) => {
            return Err(Error::new(
                Exc::TypeError,
                "list indices must be integers or slices, not str",
            ));
        }
        Value::String(_) | Value::Array(_) => return Err(required()),
        other => {
            return Err(Error::new(
                Exc::TypeError,
                format!("argument of type '{}' is not iterable", py_type_name(other)),
            ));
        }
    };
    if !keyid.is_string() {
        return Err(type_error());
    }
    Ok(DictForm::Sslib {
        keytype: keytype.clone(),
        scheme: scheme.clone(),
        public,
    })
}
