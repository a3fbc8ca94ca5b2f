//! Tests of the crypto layer against the reference (in-toto 3.1.0, securesystemslib 1.6.0,
//! pyca cryptography 50).
//!
//! Fixtures (all keys are TEST-ONLY):
//! * `tests/fixtures/keys/`: the shared conformance keys and their README (keyid table);
//! * `tests/fixtures/crypto/*.link|*.layout`: signed files copied from the conformance corpus;
//! * `tests/fixtures/crypto/vectors.json`: made by `gen_vectors.py` in the reference venv
//!   (Python signatures, keyids, key-dict check outcomes, legacy keyids);
//! * `tests/fixtures/crypto/rust_made.json`: signatures and an encrypted PKCS#8 key made by
//!   this crate, verified and loaded by Python with `check_rust_made.py` (see there).

use crate::Exc;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use super::*;
use crate::py::json::canonical;

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!("../../tests/fixtures/", $path))
    };
}

const ALICE_PUB: &str = fixture!("keys/TEST-ONLY-alice-ed25519.pub.pem");
const ALICE_PRIV: &str = fixture!("keys/TEST-ONLY-alice-ed25519.private.pem");
const BOB_PUB: &str = fixture!("keys/TEST-ONLY-bob-ed25519.pub.pem");
const CARL_PUB: &str = fixture!("keys/TEST-ONLY-carl-ed25519.pub.pem");
const DANA_PUB: &str = fixture!("keys/TEST-ONLY-dana-rsa.pub.pem");
const DANA_PRIV: &str = fixture!("keys/TEST-ONLY-dana-rsa.private.pem");
const ERIN_PUB: &str = fixture!("keys/TEST-ONLY-erin-ecdsa.pub.pem");
const ERIN_PRIV: &str = fixture!("keys/TEST-ONLY-erin-ecdsa.private.pem");
const MALLORY_PUB: &str = fixture!("keys/TEST-ONLY-mallory-ed25519.pub.pem");
const OTTO_PUB: &str = fixture!("keys/TEST-ONLY-otto-rsa.pub.pem");
const OTTO_PRIV: &str = fixture!("keys/TEST-ONLY-otto-rsa.private.pem");
const KEYS_README: &str = fixture!("keys/README.md");
const P384_PRIV: &str = fixture!("crypto/TEST-ONLY-p384.private.pem");
const P521_PRIV: &str = fixture!("crypto/TEST-ONLY-p521.private.pem");
const ERIN_ENCRYPTED: &str = fixture!("crypto/TEST-ONLY-erin-encrypted.private.pem");
const VECTORS: &str = fixture!("crypto/vectors.json");
const RUST_MADE: &str = fixture!("crypto/rust_made.json");
const DEMO_LAYOUT: &str = fixture!("crypto/demo-chain-legacy.root.layout");
const LEGACY_LINKS: [&str; 3] = [
    fixture!("crypto/key-types-legacy.source.2f898e60.link"),
    fixture!("crypto/key-types-legacy.transform.e8268cbb.link"),
    fixture!("crypto/key-types-legacy.seal.02c68392.link"),
];
const DSSE_LINKS: [&str; 3] = [
    fixture!("crypto/key-types-dsse.source.2f898e60.link"),
    fixture!("crypto/key-types-dsse.transform.e8268cbb.link"),
    fixture!("crypto/key-types-dsse.seal.02c68392.link"),
];

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn message() -> Vec<u8> {
    vectors()["message"].as_str().unwrap().as_bytes().to_vec()
}

fn unhex(v: &Value) -> Vec<u8> {
    crate::py::hex::fromhex(v.as_str().unwrap()).unwrap()
}

fn pk(pem: &str) -> PublicKey {
    PublicKey::from_pem(pem).unwrap()
}

/// The keyid of each shared key, from the README table.
fn readme_keyids() -> Vec<(String, String)> {
    KEYS_README
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[4].trim_matches('`').to_string())
        })
        .collect()
}

#[test]
fn keyids_of_the_shared_keys_match_the_readme() {
    let pems = [
        ("alice", ALICE_PUB),
        ("bob", BOB_PUB),
        ("carl", CARL_PUB),
        ("dana", DANA_PUB),
        ("erin", ERIN_PUB),
        ("mallory", MALLORY_PUB),
        ("otto", OTTO_PUB),
    ];
    let table = readme_keyids();
    assert_eq!(table.len(), 7);
    for (person, keyid) in table {
        let pem = pems.iter().find(|(p, _)| *p == person).unwrap().1;
        let key = pk(pem);
        assert_eq!(key.keyid, keyid, "{person}");
        assert_eq!(
            key.keyid,
            compute_keyid(&key.keytype, &key.scheme, &key.public)
        );
    }
}

#[test]
fn from_pem_fields_are_what_in_toto_writes() {
    let alice = pk(ALICE_PUB);
    assert_eq!(
        (alice.keytype.as_str(), alice.scheme.as_str()),
        ("ed25519", "ed25519")
    );
    assert_eq!(alice.public.len(), 64);
    assert!(
        alice
            .public
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(alice.kind_label(), "ed25519");
    assert_eq!(alice.short_keyid(), "26f0d847");

    let dana = pk(DANA_PUB);
    assert_eq!(
        (dana.keytype.as_str(), dana.scheme.as_str()),
        ("rsa", "rsassa-pss-sha256")
    );
    // The files were written by Python `cryptography`: keyval.public is the file text.
    assert_eq!(dana.public, DANA_PUB);
    assert_eq!(dana.kind_label(), "rsa 3072");

    let erin = pk(ERIN_PUB);
    assert_eq!(
        (erin.keytype.as_str(), erin.scheme.as_str()),
        ("ecdsa", "ecdsa-sha2-nistp256")
    );
    assert_eq!(erin.public, ERIN_PUB);
    assert_eq!(erin.kind_label(), "ecdsa P-256");
    assert_eq!(erin.to_spki_pem().unwrap(), ERIN_PUB);
    assert_eq!(alice.to_spki_pem().unwrap(), ALICE_PUB);

    let dict = dana.to_key_dict();
    assert_eq!(
        Value::Object(dict),
        json!({"keyid": dana.keyid, "keytype": "rsa", "keyval": {"public": DANA_PUB},
               "scheme": "rsassa-pss-sha256"})
    );
}

#[test]
fn crlf_rewrapped_and_decorated_pem_gives_the_same_key() {
    for original in [DANA_PUB, ALICE_PUB, ERIN_PUB] {
        let want = pk(original);
        let body: String = original
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let rewrapped = |width: usize, eol: &str| {
            let mut s = format!("-----BEGIN PUBLIC KEY-----{eol}");
            for chunk in body.as_bytes().chunks(width) {
                s.push_str(std::str::from_utf8(chunk).unwrap());
                s.push_str(eol);
            }
            s.push_str("-----END PUBLIC KEY-----");
            s
        };
        let variants = [
            original.replace('\n', "\r\n"),
            rewrapped(20, "\n"),
            rewrapped(76, "\r\n"),
            rewrapped(10_000, "\n"),
            format!("some comment\n{original}trailing text\n"),
            format!("   {}", original.replace('\n', "\n\t")),
            original.trim_end().to_string(),
            format!("{original}{ALICE_PUB}"), // only the first block counts
        ];
        for v in variants {
            let got = PublicKey::from_pem(&v).unwrap_or_else(|e| panic!("{e}: {v:?}"));
            assert_eq!(got, want, "{v:?}");
        }
    }
}

#[test]
fn keyid_helpers_match_canonical_json() {
    let cases = [
        ("ed25519", "ed25519", "ab\"cd\\ef"),
        ("rsa", "rsassa-pss-sha256", DANA_PUB),
        ("ecdsa", "ecdsa-sha2-nistp256", "h\u{e9}llo \u{2713}"),
    ];
    for (keytype, scheme, public) in cases {
        let meta = json!({"keytype": keytype, "scheme": scheme, "keyval": {"public": public}});
        let want = crate::py::hex::hex(<sha2::Sha256 as sha2::Digest>::digest(
            canonical(&meta).unwrap(),
        ));
        assert_eq!(compute_keyid(keytype, scheme, public), want);
        let mut legacy = meta.clone();
        legacy["keyid_hash_algorithms"] = json!(["sha256", "sha512"]);
        let want = crate::py::hex::hex(<sha2::Sha256 as sha2::Digest>::digest(
            canonical(&legacy).unwrap(),
        ));
        assert_eq!(legacy_keyid(keytype, scheme, public), want);
    }
}

/// Legacy keyids as securesystemslib <= 0.31 computed them, recomputed in the reference venv
/// by `gen_vectors.py`: sha256 of `encode_canonical({keytype, scheme, keyval: {public},
/// keyid_hash_algorithms: ["sha256", "sha512"]})`.
#[test]
fn legacy_keyids_match_python() {
    let v = vectors();
    for (name, pem) in [("alice", ALICE_PUB), ("dana", DANA_PUB), ("erin", ERIN_PUB)] {
        let key = pk(pem);
        assert_eq!(
            legacy_keyid(&key.keytype, &key.scheme, &key.public),
            v["legacy_keyids"][name].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn other_public_key_types_load_like_in_toto() {
    let v = vectors();
    for (name, label) in [
        ("p384", "ecdsa P-384"),
        ("p521", "ecdsa P-521"),
        ("mldsa65", "ml-dsa-65"),
        ("erin_compressed", "ecdsa P-256"),
        ("dana_pkcs1", "rsa 3072"),
        ("rsa-pss-noparams", "rsa 2048"),
        ("rsa-pss-params", "rsa 2048"),
    ] {
        let case = &v["extra_public_keys"][name];
        let key = PublicKey::from_pem(case["pem"].as_str().unwrap()).unwrap();
        let mut want = case["dict"].as_object().unwrap().clone();
        assert_eq!(key.to_key_dict(), want, "{name}");
        assert_eq!(key.kind_label(), label);
        // Loading the key dict back gives the same key.
        let keyid = want.remove("keyid").unwrap();
        let mut dict = case["dict"].as_object().unwrap().clone();
        dict.insert("keyid".into(), keyid.clone());
        let again = PublicKey::from_key_dict(keyid.as_str().unwrap(), &dict).unwrap();
        assert_eq!(again, key);
    }
    let ml =
        PublicKey::from_pem(v["extra_public_keys"]["mldsa65"]["pem"].as_str().unwrap()).unwrap();
    let err = ml.check(&[0; 3309], b"x").unwrap_err();
    assert_eq!(err.class, "VerificationError");
}

#[test]
fn bad_public_pem_is_an_error_not_a_panic() {
    let cases = [
        ("", "no PEM block"),
        ("garbage", "no PEM block"),
        (ALICE_PRIV, "found a private key"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "found PEM 'BEGIN CERTIFICATE'",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
            "base64",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "deserialize",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END FOO-----\n",
            "labels differ",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
            "deserialize",
        ),
    ];
    for (text, needle) in cases {
        let err = PublicKey::from_pem(text).unwrap_err();
        assert_eq!(err.class, "ValueError", "{text:?}");
        assert!(err.message.contains(needle), "{text:?}: {}", err.message);
    }
    assert!(
        PublicKey::from_pem(ALICE_PRIV)
            .unwrap_err()
            .message
            .contains("expected a public key (PEM 'BEGIN PUBLIC KEY'), found a private key")
    );
    // Truncations and bit flips of real keys never panic.
    for pem in [ALICE_PUB, DANA_PUB, ERIN_PUB] {
        for cut in 0..pem.len() {
            let _ = PublicKey::from_pem(&pem[..cut]);
        }
        let der = B64
            .decode(
                pem.lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap();
        for i in 0..der.len() {
            for bit in [0x01u8, 0x80] {
                let mut d = der.clone();
                d[i] ^= bit;
                let _ = PublicKey::from_spki_der(&d);
            }
        }
    }
}

fn legacy_sig(link: &Value) -> (String, Vec<u8>) {
    let s = &link["signatures"][0];
    (s["keyid"].as_str().unwrap().to_string(), unhex(&s["sig"]))
}

#[test]
fn verifies_legacy_signatures_from_the_corpus() {
    let layout: Value = serde_json::from_str(DEMO_LAYOUT).unwrap();
    let alice = pk(ALICE_PUB);
    let signed = canonical(&layout["signed"]).unwrap();
    let (keyid, sig) = legacy_sig(&layout);
    assert_eq!(keyid, alice.keyid);
    alice.verify(&sig, &signed).unwrap();
    assert!(alice.verify(&sig, &signed[1..]).is_err());
    assert!(pk(BOB_PUB).verify(&sig, &signed).is_err());

    let keys = [pk(BOB_PUB), pk(DANA_PUB), pk(ERIN_PUB)];
    for (text, key) in LEGACY_LINKS.iter().zip(&keys) {
        let link: Value = serde_json::from_str(text).unwrap();
        let signed = canonical(&link["signed"]).unwrap();
        let (keyid, sig) = legacy_sig(&link);
        assert_eq!(keyid, key.keyid);
        key.verify(&sig, &signed).unwrap();
        let mut tampered = signed.clone();
        tampered[10] ^= 1;
        assert_eq!(
            key.check(&sig, &tampered).unwrap_err().class,
            "UnverifiedSignatureError"
        );
    }
}

#[test]
fn verifies_dsse_signatures_from_the_corpus() {
    let keys = [pk(BOB_PUB), pk(DANA_PUB), pk(ERIN_PUB)];
    for (text, key) in DSSE_LINKS.iter().zip(&keys) {
        let env: Value = serde_json::from_str(text).unwrap();
        let payload = B64.decode(env["payload"].as_str().unwrap()).unwrap();
        let payload_type = env["payloadType"].as_str().unwrap();
        assert_eq!(payload_type, "application/vnd.in-toto+json");
        let s = &env["signatures"][0];
        assert_eq!(s["keyid"].as_str().unwrap(), key.keyid);
        let sig = B64.decode(s["sig"].as_str().unwrap()).unwrap();
        key.verify(&sig, &pae(payload_type, &payload)).unwrap();
        assert!(key.verify(&sig, &payload).is_err());
    }
}

#[test]
fn pae_layout() {
    assert_eq!(
        pae("application/vnd.in-toto+json", b"{}"),
        b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec()
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    assert_eq!(
        pae("t", "\u{e9}".as_bytes()),
        "DSSEv1 1 t 2 \u{e9}".as_bytes().to_vec()
    );
}

/// A copy of `key` with another scheme (as a layout may declare).
fn with_scheme(key: &PublicKey, scheme: &str) -> PublicKey {
    let mut dict = key.to_key_dict();
    dict.insert("scheme".into(), json!(scheme));
    PublicKey::from_key_dict(&key.keyid, &dict).unwrap()
}

#[test]
fn rsa_pss_any_salt_length_verifies() {
    let v = vectors();
    let msg = message();
    let dana = pk(DANA_PUB);
    for case in v["rsa_pss"].as_array().unwrap() {
        let scheme = format!("rsassa-pss-{}", case["hash"].as_str().unwrap());
        let key = with_scheme(&dana, &scheme);
        let sig = unhex(&case["sig"]);
        key.verify(&sig, &msg)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        // Corrupted signature, other message, other hash: all fail.
        let mut bad = sig.clone();
        bad[100] ^= 0x40;
        assert_eq!(
            key.check(&bad, &msg).unwrap_err().class,
            "UnverifiedSignatureError"
        );
        assert!(key.verify(&sig, b"other").is_err());
        assert!(
            with_scheme(&dana, "rsa-pkcs1v15-sha256")
                .verify(&sig, &msg)
                .is_err()
        );
        let other_hash = if scheme.ends_with("256") {
            "rsassa-pss-sha512"
        } else {
            "rsassa-pss-sha256"
        };
        assert!(with_scheme(&dana, other_hash).verify(&sig, &msg).is_err());
        assert!(key.verify(&sig[..sig.len() - 1], &msg).is_err());
        let mut long = vec![0u8];
        long.extend_from_slice(&sig);
        assert!(key.verify(&long, &msg).is_err());
    }
    // A signature whose leading zero byte was dropped verifies, as with OpenSSL.
    let short = unhex(&v["rsa_pss_short"]);
    assert_eq!(short.len(), 383);
    dana.verify(&short, &msg).unwrap();
}

#[test]
fn rsa_pkcs1v15_verifies() {
    let v = vectors();
    let msg = message();
    let dana = pk(DANA_PUB);
    for case in v["rsa_pkcs1v15"].as_array().unwrap() {
        let scheme = format!("rsa-pkcs1v15-{}", case["hash"].as_str().unwrap());
        let key = with_scheme(&dana, &scheme);
        let sig = unhex(&case["sig"]);
        key.verify(&sig, &msg).unwrap();
        assert!(key.verify(&sig, b"other").is_err());
        assert!(dana.verify(&sig, &msg).is_err()); // not a PSS signature
        assert!(key.verify(&sig[1..], &msg).is_err()); // PKCS#1 v1.5 wants the exact length
    }
}

#[test]
fn ecdsa_signatures_from_python_verify() {
    let v = vectors();
    let msg = message();
    let keys = [
        ("erin", pk(ERIN_PUB)),
        (
            "p384",
            PrivateKey::from_pem(P384_PRIV, None)
                .unwrap()
                .public_key()
                .clone(),
        ),
        (
            "p521",
            PrivateKey::from_pem(P521_PRIV, None)
                .unwrap()
                .public_key()
                .clone(),
        ),
    ];
    for case in v["ecdsa"].as_array().unwrap() {
        let key = &keys.iter().find(|(n, _)| *n == case["key"]).unwrap().1;
        for field in ["sig", "other_s_sig"] {
            let sig = unhex(&case[field]);
            key.verify(&sig, &msg)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!(key.verify(&sig, b"other").is_err());
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert_eq!(
                key.check(&bad, &msg).unwrap_err().class,
                "UnverifiedSignatureError"
            );
            let mut trailing = sig.clone();
            trailing.push(0);
            assert!(key.verify(&trailing, &msg).is_err());
        }
    }
    // The curve must match the scheme.
    let erin = pk(ERIN_PUB);
    let sig = unhex(&v["ecdsa"][0]["sig"]);
    for scheme in ["ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] {
        let err = with_scheme(&erin, scheme).check(&sig, &msg).unwrap_err();
        assert_eq!(err.class, "VerificationError");
        assert!(err.reason.contains("bad curve P-256"), "{}", err.reason);
    }
    // Legacy keytype named after the scheme verifies too.
    let mut dict = erin.to_key_dict();
    dict.insert("keytype".into(), json!("ecdsa-sha2-nistp256"));
    PublicKey::from_key_dict(&erin.keyid, &dict)
        .unwrap()
        .verify(&sig, &msg)
        .unwrap();
    // An RSA key dict pointing at an EC key: bad key type.
    let mut dict = erin.to_key_dict();
    dict.insert("keytype".into(), json!("rsa"));
    dict.insert("scheme".into(), json!("rsassa-pss-sha256"));
    let err = PublicKey::from_key_dict(&erin.keyid, &dict)
        .unwrap()
        .check(&sig, &msg)
        .unwrap_err();
    assert_eq!(err.class, "VerificationError");
}

#[test]
fn ed25519_signatures_equal_pythons() {
    let v = vectors();
    let msg = message();
    let alice = PrivateKey::from_pem(ALICE_PRIV, None).unwrap();
    let sig = alice.sign(&msg).unwrap();
    assert_eq!(
        crate::py::hex::hex(&sig),
        v["ed25519_alice_sig"].as_str().unwrap()
    );
    pk(ALICE_PUB).verify(&sig, &msg).unwrap();
    let err = pk(ALICE_PUB).check(&sig[..63], &msg).unwrap_err();
    assert_eq!(err.class, "UnverifiedSignatureError");
}

#[test]
fn ed25519_small_order_key_and_non_canonical_s_are_rejected() {
    // Public key = the identity point (order 1), R = identity, S = 0: the cofactorless
    // equation [S]B = R + [k]A holds for every message. OpenSSL (and so the reference)
    // accepts this forgery; strict verification rejects it.
    let identity = format!("01{}", "00".repeat(31));
    let dict = json!({"keyid": "ab", "keytype": "ed25519", "scheme": "ed25519",
                      "keyval": {"public": identity}});
    let key = PublicKey::from_key_dict("ab", dict.as_object().unwrap()).unwrap();
    let mut sig = crate::py::hex::fromhex(&identity).unwrap();
    sig.extend_from_slice(&[0; 32]);
    let err = key.check(&sig, b"anything").unwrap_err();
    assert_eq!(err.class, "UnverifiedSignatureError");
    assert!(err.reason.contains("small-order"), "{}", err.reason);

    // S + L (non-canonical S) of a valid signature is rejected.
    let alice = PrivateKey::from_pem(ALICE_PRIV, None).unwrap();
    let msg = b"msg";
    let mut sig = alice.sign(msg).unwrap();
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        sig[32 + i] = s as u8;
        carry = s >> 8;
    }
    if carry == 0 {
        assert!(alice.public_key().verify(&sig, msg).is_err());
    }
}

#[test]
fn sign_verify_round_trips() {
    let msg = b"round trip";
    let mut keys = vec![
        PrivateKey::from_pem(ALICE_PRIV, None).unwrap(),
        PrivateKey::from_pem(DANA_PRIV, None).unwrap(),
        PrivateKey::from_pem(ERIN_PRIV, None).unwrap(),
        PrivateKey::from_pem(P384_PRIV, None).unwrap(),
        PrivateKey::from_pem(P521_PRIV, None).unwrap(),
    ];
    keys.push(PrivateKey::generate(KeyKind::Ed25519).unwrap());
    keys.push(PrivateKey::generate(KeyKind::Ecdsa).unwrap());
    for key in &keys {
        let sig = key.sign(msg).unwrap();
        key.public_key().verify(&sig, msg).unwrap();
        assert!(key.public_key().verify(&sig, b"other").is_err());
        // The public half is what loading the .pub file gives.
        assert_eq!(&pk(&key.public_pem()), key.public_key());
    }
    let e = PrivateKey::generate(KeyKind::Ecdsa).unwrap();
    assert_eq!(e.public_key().scheme, "ecdsa-sha2-nistp256");
    let p384 = &keys[3];
    assert_eq!(p384.public_key().scheme, "ecdsa-sha2-nistp384");
    assert_eq!(keys[4].public_key().scheme, "ecdsa-sha2-nistp521");
    // PSS signatures are salted (32 bytes): two signatures differ, both verify.
    let dana = &keys[1];
    assert_ne!(dana.sign(msg).unwrap(), dana.sign(msg).unwrap());
}

#[test]
fn rsa_generation_makes_3072_bit_pss_keys() {
    let key = PrivateKey::generate(KeyKind::Rsa).unwrap();
    assert_eq!(key.public_key().kind_label(), "rsa 3072");
    assert_eq!(key.public_key().scheme, "rsassa-pss-sha256");
    let sig = key.sign(b"m").unwrap();
    assert_eq!(sig.len(), 384);
    key.public_key().verify(&sig, b"m").unwrap();
}

#[test]
fn private_keys_match_their_public_files() {
    for (private, public) in [
        (ALICE_PRIV, ALICE_PUB),
        (DANA_PRIV, DANA_PUB),
        (ERIN_PRIV, ERIN_PUB),
        (OTTO_PRIV, OTTO_PUB),
    ] {
        let key = PrivateKey::from_pem(private, None).unwrap();
        assert_eq!(key.public_key(), &pk(public));
        assert_eq!(key.public_pem(), public);
        // Unencrypted PKCS#8 output is byte-identical to what Python wrote.
        assert_eq!(key.to_pkcs8_pem(None).unwrap().as_str(), private);
        assert!(!format!("{key:?}").contains("BEGIN"));
    }
}

/// Signatures and an encrypted key made by this crate, checked by Python (`check_rust_made.py`).
#[test]
fn rust_made_material_was_accepted_by_python() {
    let made: Value = serde_json::from_str(RUST_MADE).unwrap();
    assert_eq!(made["python_verified"], json!(true));
    let msg = made["message"].as_str().unwrap().as_bytes();
    for (name, public) in [("alice", ALICE_PUB), ("dana", DANA_PUB), ("erin", ERIN_PUB)] {
        let sig = unhex(&made["signatures"][name]);
        pk(public).verify(&sig, msg).unwrap();
    }
    let encrypted = made["encrypted_pkcs8"]["pem"].as_str().unwrap();
    let password = made["encrypted_pkcs8"]["password"]
        .as_str()
        .unwrap()
        .as_bytes();
    let key = PrivateKey::from_pem(encrypted, Some(password)).unwrap();
    assert_eq!(key.public_key(), &pk(ERIN_PUB));
}

#[test]
fn encrypted_pkcs8_from_python_loads() {
    let v = vectors();
    let password = v["encrypted_pkcs8"]["password"]
        .as_str()
        .unwrap()
        .as_bytes();
    let key = PrivateKey::from_pem(ERIN_ENCRYPTED, Some(password)).unwrap();
    assert_eq!(key.public_key(), &pk(ERIN_PUB));

    let err = PrivateKey::from_pem(ERIN_ENCRYPTED, Some(b"wrong")).unwrap_err();
    assert_eq!(
        (err.class, err.message.as_str()),
        (Exc::ValueError, "Incorrect password, could not decrypt key")
    );
    for missing in [None, Some(&b""[..])] {
        let err = PrivateKey::from_pem(ERIN_ENCRYPTED, missing).unwrap_err();
        assert_eq!(
            (err.class, err.message.as_str()),
            (
                Exc::TypeError,
                "Password was not given but private key is encrypted"
            )
        );
    }
    let err = PrivateKey::from_pem(ERIN_PRIV, Some(b"pw")).unwrap_err();
    assert_eq!(
        (err.class, err.message.as_str()),
        (
            Exc::TypeError,
            "Password was given but private key is not encrypted."
        )
    );
}

#[test]
fn encrypted_pkcs8_round_trip() {
    for private in [ALICE_PRIV, ERIN_PRIV] {
        let key = PrivateKey::from_pem(private, None).unwrap();
        let pem = key
            .to_pkcs8_pem_with_iterations(Some(b"s3cret"), 1000)
            .unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let back = PrivateKey::from_pem(&pem, Some(b"s3cret")).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let err = PrivateKey::from_pem(&pem, Some(b"s3cre")).unwrap_err();
        assert_eq!(err.message, "Incorrect password, could not decrypt key");
        assert_eq!(err.class, "ValueError");
        assert_eq!(
            PrivateKey::from_pem(&pem, None).unwrap_err().class,
            "TypeError"
        );
    }
    let key = PrivateKey::from_pem(ALICE_PRIV, None).unwrap();
    assert_eq!(key.to_pkcs8_pem(Some(b"")).unwrap_err().class, "ValueError");
}

#[test]
fn pkcs1_and_sec1_private_keys_load() {
    use p256::pkcs8::DecodePrivateKey as _;
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let dana = rsa::PrivateKey::from_pkcs8_pem(DANA_PRIV).unwrap();
    let der = dana.to_pkcs1_der().unwrap();
    let text = pem::encode_secret("RSA PRIVATE KEY", der.as_bytes());
    let key = PrivateKey::from_pem(&text, None).unwrap();
    assert_eq!(key.public_key(), &pk(DANA_PUB));

    let erin = p256::SecretKey::from_pkcs8_pem(ERIN_PRIV).unwrap();
    let der = erin.to_sec1_der().unwrap();
    let text = pem::encode_secret("EC PRIVATE KEY", &der);
    let key = PrivateKey::from_pem(&text, None).unwrap();
    assert_eq!(key.public_key(), &pk(ERIN_PUB));
    let p384 = p384::SecretKey::from_pkcs8_pem(P384_PRIV).unwrap();
    let text = pem::encode_secret("EC PRIVATE KEY", &p384.to_sec1_der().unwrap());
    assert_eq!(
        PrivateKey::from_pem(&text, None)
            .unwrap()
            .public_key()
            .kind_label(),
        "ecdsa P-384"
    );

    // Legacy OpenSSL PEM encryption is recognised but not decrypted.
    let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                  DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n\
                  -----END EC PRIVATE KEY-----\n";
    assert_eq!(
        PrivateKey::from_pem(legacy, None).unwrap_err().class,
        "TypeError"
    );
    assert_eq!(
        PrivateKey::from_pem(legacy, Some(b"pw")).unwrap_err().class,
        "UnsupportedAlgorithm"
    );
    // Headers with CRLF line ends are found too.
    let crlf = legacy.replace('\n', "\r\n");
    assert_eq!(
        PrivateKey::from_pem(&crlf, None).unwrap_err().class,
        "TypeError"
    );
}

#[test]
fn bad_private_pem_is_an_error_not_a_panic() {
    let cases = [
        ("", "Unable to load PEM file"),
        ("garbage", "Unable to load PEM file"),
        (ALICE_PUB, "found a public key"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "no BEGIN/END delimiters for a private key",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "Could not deserialize",
        ),
        (
            "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n",
            "DSA",
        ),
        (
            "-----BEGIN X-----\n!!\n-----END X-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "base64",
        ),
    ];
    for (text, needle) in cases {
        let err = PrivateKey::from_pem(text, None).unwrap_err();
        assert_eq!(err.class, "ValueError", "{text:?}");
        assert!(err.message.contains(needle), "{text:?}: {}", err.message);
    }
    // A public key before the private key is skipped, as by cryptography.
    let both = format!("{ERIN_PUB}{ERIN_PRIV}");
    assert_eq!(
        PrivateKey::from_pem(&both, None).unwrap().public_key(),
        &pk(ERIN_PUB)
    );
    for private in [ALICE_PRIV, ERIN_PRIV, ERIN_ENCRYPTED] {
        for cut in (0..private.len()).step_by(3) {
            let _ = PrivateKey::from_pem(&private[..cut], Some(b"correct horse"));
        }
    }
}

#[test]
fn verify_never_panics_on_odd_signatures() {
    let keys = [
        pk(ALICE_PUB),
        pk(DANA_PUB),
        pk(ERIN_PUB),
        PrivateKey::from_pem(P521_PRIV, None)
            .unwrap()
            .public_key()
            .clone(),
    ];
    let mut schemes: Vec<PublicKey> = Vec::new();
    for s in [
        "rsassa-pss-sha384",
        "rsassa-pss-sha512",
        "rsa-pkcs1v15-sha256",
        "rsa-pkcs1v15-sha384",
        "rsa-pkcs1v15-sha512",
    ] {
        schemes.push(with_scheme(&keys[1], s));
    }
    let mut state = 0x1234_5678_9abc_def0_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    for key in keys.iter().chain(&schemes) {
        for len in [0, 1, 8, 63, 64, 65, 70, 71, 72, 139, 383, 384, 385, 1000] {
            for fill in [0x00u8, 0xff, 0x30] {
                let sig = vec![fill; len];
                assert!(key.verify(&sig, b"m").is_err());
            }
            let sig: Vec<u8> = (0..len).map(|_| next()).collect();
            assert!(key.verify(&sig, b"m").is_err());
        }
    }
}

#[test]
fn key_dicts_load_like_in_toto() {
    let v = vectors();
    for (name, case) in v["dict_cases"].as_object().unwrap() {
        let dict = case["dict"].as_object().unwrap();
        let got = PublicKey::from_key_dict("ab", dict);
        let want = &case["result"];
        match got {
            Ok(_) => assert_eq!(want["ok"], json!(true), "{name}: expected {want}"),
            Err(e) => {
                assert_eq!(want["ok"], json!(false), "{name}: {e}");
                assert_eq!(e.class, want["class"].as_str().unwrap(), "{name}");
                assert_eq!(e.message, want["msg"].as_str().unwrap(), "{name}");
            }
        }
    }
}

fn dict(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn key_dicts_keep_the_given_keyid_and_fail_verification_late() {
    let alice = pk(ALICE_PUB);
    let msg = b"m";
    let sig = PrivateKey::from_pem(ALICE_PRIV, None)
        .unwrap()
        .sign(msg)
        .unwrap();
    // Extra fields; keyid given (not recomputed); legacy keyid works just as well.
    let legacy = legacy_keyid("ed25519", "ed25519", &alice.public);
    let d = dict(
        json!({"keyid": legacy, "keytype": "ed25519", "scheme": "ed25519",
        "keyid_hash_algorithms": ["sha256", "sha512"],
        "keyval": {"public": alice.public.to_uppercase(), "private": ""}}),
    );
    let key = PublicKey::from_key_dict(&legacy, &d).unwrap();
    assert_eq!(key.keyid, legacy);
    assert_eq!(key.short_keyid(), &legacy[..8]);
    key.verify(&sig, msg).unwrap();
    // Python's bytes.fromhex accepts whitespace between byte pairs.
    let spaced: String = alice
        .public
        .as_bytes()
        .chunks(2)
        .map(|c| format!("{} ", std::str::from_utf8(c).unwrap()))
        .collect();
    let d = dict(
        json!({"keyid": "x", "keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": spaced}}),
    );
    PublicKey::from_key_dict("x", &d)
        .unwrap()
        .verify(&sig, msg)
        .unwrap();

    // Unparsable material loads, then every verification fails with a reason.
    for public in [
        "zz",
        "00",
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        for (keytype, scheme) in [
            ("ed25519", "ed25519"),
            ("rsa", "rsassa-pss-sha256"),
            ("ecdsa", "ecdsa-sha2-nistp256"),
        ] {
            let d = dict(
                json!({"keyid": "ab", "keytype": keytype, "scheme": scheme, "keyval": {"public": public}}),
            );
            let key = PublicKey::from_key_dict("ab", &d).unwrap();
            assert!(key.unusable_reason().is_some());
            assert!(key.kind_label().ends_with("(unusable)"));
            let err = key.check(&sig, msg).unwrap_err();
            assert_eq!(err.class, "VerificationError");
        }
    }
    // OpenPGP and ML-DSA keys load but do not verify.
    let gpg = dict(
        json!({"keyid": "ab", "type": "rsa", "method": "pgp+rsa-pkcsv1.5",
        "hashes": ["pgp+SHA2"], "keyval": {"public": {"e": "01", "n": "02"}, "private": ""}}),
    );
    let key = PublicKey::from_key_dict("ab", &gpg).unwrap();
    assert!(key.is_gpg());
    assert_eq!(key.kind_label(), "gpg rsa");
    assert_eq!(key.to_key_dict(), gpg);
    assert!(key.verify(&sig, msg).unwrap_err().contains("OpenPGP"));
    let pgp = dict(
        json!({"keyid": "ab", "keytype": "eddsa", "scheme": "pgp+eddsa-ed25519", "keyval": {"public": "00"}}),
    );
    let key = PublicKey::from_key_dict("ab", &pgp).unwrap();
    assert!(key.verify(&sig, msg).is_err());
    // An OpenPGP dict that is also a valid securesystemslib dict verifies as the latter.
    let hybrid = dict(
        json!({"keyid": "ab", "type": "rsa", "method": "m", "hashes": [],
        "keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": alice.public}}),
    );
    PublicKey::from_key_dict("ab", &hybrid)
        .unwrap()
        .verify(&sig, msg)
        .unwrap();
    let ml = dict(
        json!({"keyid": "ab", "keytype": "ml-dsa", "scheme": "ml-dsa-44/1", "keyval": {"public": "x"}}),
    );
    let key = PublicKey::from_key_dict("ab", &ml).unwrap();
    assert_eq!(key.kind_label(), "ml-dsa-44");
    assert!(key.verify(&sig, msg).is_err());
}

/// PEM framing variants: accepted / refused exactly as `cryptography` does (same keyid).
#[test]
fn pem_framing_matches_cryptography() {
    let v = vectors();
    for case in v["pem_cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let got = PublicKey::from_pem(text);
        match case["keyid"].as_str() {
            Some(keyid) => assert_eq!(got.map(|k| k.keyid).as_deref(), Ok(keyid), "{text:?}"),
            None => assert!(got.is_err(), "{text:?} should fail like {}", case["error"]),
        }
    }
}

#[test]
fn keys_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<PublicKey>();
    check::<PrivateKey>();
    check::<VerifyFailure>();
}

/// [`Ed25519Check`] (hash supplied by the caller) gives `ed25519-dalek`'s `verify_strict`
/// verdict on valid, altered and malformed signatures and keys.
mod ed25519_split {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::scalar::Scalar;
    use ed25519_dalek::Signer as _;
    use sha2::{Digest as _, Sha512};

    use super::super::Ed25519Check;

    fn split_verdict(raw: &[u8; 32], sig: &[u8], msg: &[u8]) -> bool {
        Ed25519Check::new(raw, sig)
            .and_then(|c| {
                let mut h = Sha512::new();
                h.update(c.prefix());
                h.update(msg);
                c.finish(&h.finalize().into())
            })
            .is_ok()
    }

    fn dalek_verdict(raw: &[u8; 32], sig: &[u8], msg: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(raw) else {
            return false;
        };
        vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }

    /// Signatures to try for one key and message: the valid one and alterations of it.
    fn variants(sig: [u8; 64], torsion_r: [u8; 32]) -> Vec<Vec<u8>> {
        let mut out = vec![
            sig.to_vec(),
            sig[..63].to_vec(),
            [sig.as_slice(), &[0]].concat(),
        ];
        for bit in [0, 7, 100, 255, 256, 300, 505, 511] {
            let mut s = sig;
            s[bit / 8] ^= 1 << (bit % 8);
            out.push(s.to_vec());
        }
        // S + l: the same point equation with a non-canonical S. l = (l - 1) + 1.
        let mut l = (-Scalar::ONE).to_bytes();
        let mut carry = 1u16;
        for x in l.iter_mut() {
            let t = u16::from(*x) + carry;
            *x = t as u8;
            carry = t >> 8;
        }
        let mut wide = [0u8; 32];
        for i in 0..32 {
            let t = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
            wide[i] = t as u8;
            carry = t >> 8;
        }
        let mut nc = sig;
        nc[32..].copy_from_slice(&wide);
        out.push(nc.to_vec());
        // R replaced by a small-order point, and by bytes that are not a point.
        let mut small = sig;
        small[..32].copy_from_slice(&torsion_r);
        out.push(small.to_vec());
        let mut bad = sig;
        bad[..32].copy_from_slice(&[0xff; 32]);
        out.push(bad.to_vec());
        out
    }

    #[test]
    fn split_check_agrees_with_verify_strict() {
        let mut checked = 0;
        let mut accepted = 0;
        for seed in 0u8..24 {
            let sk =
                ed25519_dalek::SigningKey::from_bytes(&[seed.wrapping_mul(37).wrapping_add(1); 32]);
            let raw = sk.verifying_key().to_bytes();
            for msg in [&b""[..], b"x", &[seed; 1000][..]] {
                let sig = sk.sign(msg).to_bytes();
                let torsion = EIGHT_TORSION[usize::from(seed % 8)].compress().to_bytes();
                for v in variants(sig, torsion) {
                    for m in [msg, b"other"] {
                        let want = dalek_verdict(&raw, &v, m);
                        assert_eq!(split_verdict(&raw, &v, m), want, "seed {seed}");
                        checked += 1;
                        accepted += usize::from(want);
                    }
                }
            }
        }
        // Weak and invalid keys.
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let sig = sk.sign(b"m").to_bytes();
        for t in EIGHT_TORSION {
            let raw = t.compress().to_bytes();
            assert_eq!(
                split_verdict(&raw, &sig, b"m"),
                dalek_verdict(&raw, &sig, b"m")
            );
            checked += 1;
        }
        let bad_key = [0xffu8; 32];
        assert_eq!(
            split_verdict(&bad_key, &sig, b"m"),
            dalek_verdict(&bad_key, &sig, b"m")
        );
        assert!(
            accepted >= 24 * 3,
            "every genuine signature verifies ({accepted})"
        );
        assert!(checked > accepted * 10, "most variants are rejected");
    }
}
