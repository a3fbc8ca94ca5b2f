//! Signing keys: loading (like `cryptography`'s `load_pem_private_key`), generation, signing
//! (like securesystemslib's `CryptoSigner`) and PKCS#8 export.

use crate::Exc;
use std::fmt;

use ed25519_dalek::Signer as _;
use p256::pkcs8::der::Decode as _;
use p256::pkcs8::{
    DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, EncryptedPrivateKeyInfoRef,
    ObjectIdentifier, PrivateKeyInfoRef, SecretDocument,
};
use rsa::Generate as _;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::pkcs5;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{KeyKind, PublicKey, pem};
use crate::Error;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// PBKDF2-HMAC-SHA256 iterations for keys we encrypt (OWASP's recommendation; Python
/// `cryptography` itself uses 2048, and reads any count).
const PBKDF2_ITERATIONS: u32 = 600_000;

/// The PEM labels `cryptography` looks for in a private key file.
const PRIVATE_LABELS: &[&str] = &[
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
];

/// The secret half. Every variant zeroizes its secret on drop (the crates implement
/// `ZeroizeOnDrop` for these types); boxed so that moving a [`PrivateKey`] does not copy it.
enum Secret {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Rsa(Box<rsa::PrivateKey>),
    P256(Box<p256::ecdsa::SigningKey>),
    P384(Box<p384::ecdsa::SigningKey>),
    P521(Box<p521::ecdsa::SigningKey>),
}

/// A signing key (ed25519, RSA, ECDSA P-256/P-384/P-521) with its public half.
///
/// Secret material is zeroized on drop and never shown: `Debug` prints the public half only.
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
    public_pem: String,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("keyid", &self.public.keyid)
            .field("kind", &self.public.kind_label())
            .finish_non_exhaustive()
    }
}

fn value_error(msg: impl Into<String>) -> Error {
    Error::new(Exc::ValueError, msg)
}

fn rng_error(e: &dyn fmt::Display) -> Error {
    Error::new(
        Exc::RuntimeError,
        format!("system random number generator failed: {e}"),
    )
}

fn deserialize_error(detail: impl fmt::Display) -> Error {
    value_error(format!(
        "Could not deserialize key data. The data may be in an incorrect format, it may be \
         encrypted with an unsupported algorithm, or it may be an unsupported key type. \
         Details: {detail}"
    ))
}

impl PrivateKey {
    /// Load a PEM private key like `cryptography`'s `load_pem_private_key(data, password)`:
    /// the first PEM block labelled as a private key is used; PKCS#8 (`PRIVATE KEY`),
    /// encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 or scrypt and AES-CBC),
    /// PKCS#1 (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) are read. An empty password
    /// counts as none, as in `cryptography`.
    ///
    /// Errors (class as the reference):
    /// * encrypted key, no password → `TypeError` `Password was not given but private key is encrypted`;
    /// * plain key, a password → `TypeError` `Password was given but private key is not encrypted.`;
    /// * wrong password → `ValueError` `Incorrect password, could not decrypt key`;
    /// * a public key, other PEM, malformed data, unsupported key type → `ValueError`;
    /// * legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED`) with a password →
    ///   `UnsupportedAlgorithm` (not implemented here; re-encrypt the key as PKCS#8).
    pub fn from_pem(text: &str, password: Option<&[u8]>) -> Result<PrivateKey, Error> {
        let password = password.filter(|p| !p.is_empty());
        let blocks = pem::parse_all(text.as_bytes())
            .map_err(|e| value_error(format!("Unable to load PEM file: {e}")))?;
        let Some(first) = blocks.first() else {
            return Err(value_error(format!(
                "Unable to load PEM file: {}",
                pem::PemError(::pem::PemError::MalformedFraming)
            )));
        };
        let Some(block) = blocks
            .iter()
            .find(|b| PRIVATE_LABELS.contains(&b.label.as_str()))
        else {
            return Err(value_error(if first.label.contains("PUBLIC KEY") {
                format!(
                    "expected a private key (PEM 'BEGIN PRIVATE KEY'), found a public key \
                     (PEM 'BEGIN {}')",
                    first.label
                )
            } else {
                format!(
                    "Valid PEM but no BEGIN/END delimiters for a private key found (found \
                     'BEGIN {}'). Are you sure this is a private key?",
                    first.label
                )
            }));
        };
        let not_given = || {
            Error::new(
                Exc::TypeError,
                "Password was not given but private key is encrypted",
            )
        };
        if block.label == "ENCRYPTED PRIVATE KEY" {
            let Some(password) = password else {
                return Err(not_given());
            };
            let info =
                EncryptedPrivateKeyInfoRef::from_der(&block.der).map_err(deserialize_error)?;
            let doc = match info.decrypt(password) {
                Ok(doc) => doc,
                Err(p256::pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::DecryptFailed)) => {
                    return Err(value_error("Incorrect password, could not decrypt key"));
                }
                Err(p256::pkcs8::Error::EncryptedPrivateKey(e)) => {
                    return Err(Error::new(
                        Exc::UnsupportedAlgorithm,
                        format!("unsupported key encryption: {e}"),
                    ));
                }
                // The plaintext is not DER: padding happened to check out with a wrong password.
                Err(_) => return Err(value_error("Incorrect password, could not decrypt key")),
            };
            return match from_pkcs8_der(doc.as_bytes()) {
                Ok(key) => Ok(key),
                Err(e) if e.message.starts_with("Could not deserialize") => {
                    Err(value_error("Incorrect password, could not decrypt key"))
                }
                Err(e) => Err(e),
            };
        }
        if block.legacy_encrypted {
            return match password {
                None => Err(not_given()),
                Some(_) => Err(Error::new(
                    Exc::UnsupportedAlgorithm,
                    "legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED) is not supported; \
                     convert the key to encrypted PKCS#8 (e.g. `openssl pkcs8 -topk8`)",
                )),
            };
        }
        if password.is_some() {
            return Err(Error::new(
                Exc::TypeError,
                "Password was given but private key is not encrypted.",
            ));
        }
        match block.label.as_str() {
            "PRIVATE KEY" => from_pkcs8_der(&block.der),
            "RSA PRIVATE KEY" => {
                let key = rsa::PrivateKey::from_pkcs1_der(&block.der).map_err(deserialize_error)?;
                PrivateKey::from_secret(Secret::Rsa(Box::new(key)))
            }
            "EC PRIVATE KEY" => from_sec1_der(&block.der),
            _ => Err(value_error(
                "unsupported key type DSA (only ed25519, RSA and ECDSA keys can sign)",
            )),
        }
    }

    /// Generate a new key: ed25519, RSA 3072 (e = 65537) or ECDSA P-256, from the OS RNG.
    pub fn generate(kind: KeyKind) -> Result<PrivateKey, Error> {
        let secret = match kind {
            KeyKind::Ed25519 => {
                let seed = Zeroizing::new(<[u8; 32]>::try_generate().map_err(|e| rng_error(&e))?);
                Secret::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            KeyKind::Rsa => Secret::Rsa(Box::new(
                rsa::PrivateKey::try_generate().map_err(|e| rng_error(&e))?,
            )),
            KeyKind::Ecdsa => Secret::P256(Box::new(
                p256::ecdsa::SigningKey::try_generate().map_err(|e| rng_error(&e))?,
            )),
        };
        PrivateKey::from_secret(secret)
    }

    fn from_secret(secret: Secret) -> Result<PrivateKey, Error> {
        let spki = match &secret {
            Secret::Ed25519(k) => k.verifying_key().to_public_key_der(),
            Secret::Rsa(k) => k.to_public_key().to_public_key_der(),
            Secret::P256(k) => k.verifying_key().to_public_key_der(),
            Secret::P384(k) => k.verifying_key().to_public_key_der(),
            Secret::P521(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|e| value_error(format!("could not encode the public key: {e}")))?;
        let public = PublicKey::from_spki_der(spki.as_bytes())?;
        Ok(PrivateKey {
            secret,
            public_pem: pem::encode("PUBLIC KEY", spki.as_bytes()),
            public,
        })
    }

    /// The public half, with the keyid and default scheme the reference derives for it
    /// (`CryptoSigner(private_key).public_key`).
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Sign `msg` as securesystemslib's `CryptoSigner` does with the default scheme: ed25519
    /// (raw 64 bytes), RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt, or ECDSA
    /// (DER) with SHA-256 (P-256), SHA-384 (P-384), SHA-512 (P-521).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let failed =
            |e: &dyn fmt::Display| Error::new(Exc::RuntimeError, format!("signing failed: {e}"));
        match &self.secret {
            Secret::Ed25519(k) => Ok(k.sign(msg).to_bytes().to_vec()),
            Secret::Rsa(k) => k.pss_sign::<Sha256>(msg).map_err(|e| failed(&e)),
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.try_sign(msg).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Secret::P384(k) => {
                let sig: p384::ecdsa::Signature = k.try_sign(msg).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Secret::P521(k) => {
                let sig: p521::ecdsa::Signature = k.try_sign(msg).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }

    /// The key as PKCS#8 PEM: `PRIVATE KEY` without a password, else `ENCRYPTED PRIVATE KEY`
    /// with PBES2 (PBKDF2-HMAC-SHA256, 600 000 iterations, 16-byte salt; AES-256-CBC), which
    /// Python `cryptography` / OpenSSL read. The text is zeroized on drop. An empty password
    /// is refused (`ValueError`), as by `cryptography`'s `BestAvailableEncryption`.
    pub fn to_pkcs8_pem(&self, password: Option<&[u8]>) -> Result<Zeroizing<String>, Error> {
        self.to_pkcs8_pem_with_iterations(password, PBKDF2_ITERATIONS)
    }

    pub(crate) fn to_pkcs8_pem_with_iterations(
        &self,
        password: Option<&[u8]>,
        iterations: u32,
    ) -> Result<Zeroizing<String>, Error> {
        let encode_error =
            |e: &dyn fmt::Display| value_error(format!("could not encode the private key: {e}"));
        let der: SecretDocument = match &self.secret {
            Secret::Ed25519(k) => {
                // PKCS#8 v1 without the public key, as OpenSSL writes it.
                let bytes = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: k.to_bytes(),
                    public_key: None,
                };
                bytes.to_pkcs8_der()
            }
            Secret::Rsa(k) => k.to_pkcs8_der(),
            Secret::P256(k) => k.to_pkcs8_der(),
            Secret::P384(k) => k.to_pkcs8_der(),
            Secret::P521(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| encode_error(&e))?;
        let Some(password) = password else {
            return Ok(pem::encode_secret("PRIVATE KEY", der.as_bytes()));
        };
        if password.is_empty() {
            return Err(value_error("Password must be 1 or more bytes"));
        }
        let salt = <[u8; 16]>::try_generate().map_err(|e| rng_error(&e))?;
        let iv = <[u8; 16]>::try_generate().map_err(|e| rng_error(&e))?;
        let params =
            pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &salt, iv)
                .map_err(|e| encode_error(&e))?;
        let info = PrivateKeyInfoRef::from_der(der.as_bytes()).map_err(|e| encode_error(&e))?;
        let encrypted = info
            .encrypt_with_params(params, password)
            .map_err(|e| encode_error(&e))?;
        Ok(pem::encode_secret(
            "ENCRYPTED PRIVATE KEY",
            encrypted.as_bytes(),
        ))
    }

    /// The public key as canonical PEM `SubjectPublicKeyInfo` (what a `.pub` file holds).
    #[must_use]
    pub fn public_pem(&self) -> String {
        self.public_pem.clone()
    }
}

/// A PKCS#8 `PrivateKeyInfo`, dispatched on its algorithm.
fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, Error> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(deserialize_error)?;
    let oid = info.algorithm.oid;
    let secret = if oid == OID_ED25519 {
        Secret::Ed25519(Box::new(
            ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(deserialize_error)?,
        ))
    } else if oid == OID_RSA || oid == OID_RSA_PSS {
        Secret::Rsa(Box::new(
            rsa::PrivateKey::from_pkcs8_der(der).map_err(deserialize_error)?,
        ))
    } else if oid == OID_EC {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| deserialize_error("EC key without a named curve"))?;
        if curve == OID_P256 {
            Secret::P256(Box::new(
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(deserialize_error)?,
            ))
        } else if curve == OID_P384 {
            Secret::P384(Box::new(
                p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(deserialize_error)?,
            ))
        } else if curve == OID_P521 {
            Secret::P521(Box::new(
                p521::ecdsa::SigningKey::from_pkcs8_der(der).map_err(deserialize_error)?,
            ))
        } else {
            return Err(value_error(format!("unsupported curve '{curve}'")));
        }
    } else {
        return Err(value_error(format!(
            "unsupported private key type (algorithm OID {oid}); only ed25519, RSA and ECDSA \
             keys can sign"
        )));
    };
    PrivateKey::from_secret(secret)
}

/// A SEC1 `ECPrivateKey` (`BEGIN EC PRIVATE KEY`).
fn from_sec1_der(der: &[u8]) -> Result<PrivateKey, Error> {
    if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
        return PrivateKey::from_secret(Secret::P256(Box::new(k.into())));
    }
    if let Ok(k) = p384::SecretKey::from_sec1_der(der) {
        return PrivateKey::from_secret(Secret::P384(Box::new(k.into())));
    }
    match p521::SecretKey::from_sec1_der(der) {
        Ok(k) => PrivateKey::from_secret(Secret::P521(Box::new(k.into()))),
        Err(e) => Err(deserialize_error(format!(
            "not a SEC1 EC private key on P-256, P-384 or P-521 ({e})"
        ))),
    }
}
