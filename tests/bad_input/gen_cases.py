#!/usr/bin/env python3
"""Generate the bad-input corpus (tests/bad_input/) and record the reference's answers.

Run with the reference implementation's Python (in-toto 3.1.0, securesystemslib 1.6.0):

    "$(bash tests/support/ensure-reference.sh)/python" tests/bad_input/gen_cases.py

It rewrites tests/bad_input/base/, tests/bad_input/cases/ and tests/bad_input/cases.json.
Every case is one file (or, for `chain` cases, one folder) that plays one role in an
otherwise valid supply chain (`base/`: a layout signed by alice with one step `build` that
bob performs, and bob's link):

* `layout`  — the file replaces base/root.layout;
* `link`    — the file replaces base/links/build.2f898e60.link (bob's link);
* `key`     — the file is passed as the one --verification-keys (instead of alice.pub);
* `link-entry` — bob's link file is replaced by something that is not a file: a directory, a
              FIFO, a symlink to /dev/zero, a symlink loop, a symlink to a link outside the
              link directory (`entry` in the manifest; made at test time);
* `chain`   — a folder with its own root.layout, keys and links/ (the command is in the
              manifest);
* `generate` instead of a file: the input is too big to commit (deep nesting, 64 MiB
  strings); the test builds it with the same recipe (see `GENERATED` and
  tests/bad_input.rs `generate`).

For every case the reference CLI `in-toto-verify` is run on a fresh copy of the chain (and
`in-toto-sign --verify` on layout and link files); the manifest records its exit code, the
exception class and the message it printed. Nothing in the manifest is computed by the code
under test. Where intoto-studio deliberately answers differently (it refuses paths that leave
--link-dir and small-order ed25519 keys, which the reference accepts), the case carries a
hand-written `divergence` with the reason and the answer intoto-studio must give instead.
"""

import base64
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KEYS_DIR = os.path.join(ROOT, "tests", "fixtures", "conformance", "keys")
REF_BIN = os.path.dirname(os.path.abspath(sys.executable))
EXP = "2099-12-31T23:59:59Z"
DSSE_TYPE = "application/vnd.in-toto+json"
PEOPLE = {"alice": "ed25519", "bob": "ed25519", "carl": "ed25519", "mallory": "ed25519"}
BOB_LINK = "links/build.2f898e60.link"
MIB = 1024 * 1024

# ------------------------------------------------------------------------------------------
# Keys and signing (the reference's own signers)


class Person:
    def __init__(self, name):
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from securesystemslib.signer import CryptoSigner

        kt = PEOPLE[name]
        with open(os.path.join(KEYS_DIR, f"TEST-ONLY-{name}-{kt}.private.pem"), "rb") as f:
            self.private_pem = f.read()
            self.signer = CryptoSigner(load_pem_private_key(self.private_pem, None))
        with open(os.path.join(KEYS_DIR, f"TEST-ONLY-{name}-{kt}.pub.pem"), "rb") as f:
            self.pub_pem = f.read()
        self.keyid = self.signer.public_key.keyid
        self.kid8 = self.keyid[:8]
        d = self.signer.public_key.to_dict()
        d["keyid"] = self.keyid
        self.key_dict = d


_people = {}


def P(name):
    if name not in _people:
        _people[name] = Person(name)
    return _people[name]


def canonical(d):
    from securesystemslib.formats import encode_canonical

    return encode_canonical(d).encode("utf-8")


def metablock(signed, signers=(), sign_over=None):
    """A legacy metablock around `signed` (any JSON value), signed over the canonical JSON of
    `sign_over` (default: `signed` itself) when that can be encoded."""
    sigs = []
    try:
        data = canonical(sign_over if sign_over is not None else signed)
    except Exception:  # noqa: BLE001  (floats: nothing can verify it)
        data = None
    if data is not None:
        for s in signers:
            sigs.append(s.signer.sign(data).to_dict())
    return json.dumps({"signatures": sigs, "signed": signed}, indent=1, separators=(",", ": "),
                      sort_keys=True).encode("utf-8")


def envelope(payload, signers=(), payload_type=DSSE_TYPE):
    from securesystemslib.dsse import Envelope as SEnvelope

    if not isinstance(payload, bytes):
        payload = json.dumps(payload, sort_keys=True).encode("utf-8")
    env = SEnvelope(payload=payload, payload_type=payload_type, signatures={})
    for s in signers:
        env.sign(s.signer)
    return json.dumps(env.to_dict(), sort_keys=True).encode("utf-8")


def sha(content):
    return {"sha256": hashlib.sha256(content.encode()).hexdigest()}


def layout_body(**over):
    d = {
        "_type": "layout",
        "expires": EXP,
        "inspect": [],
        "keys": {P("bob").keyid: P("bob").key_dict},
        "readme": "",
        "steps": [step_body()],
    }
    d.update(over)
    return d


def step_body(**over):
    d = {
        "_type": "step",
        "name": "build",
        "threshold": 1,
        "pubkeys": [P("bob").keyid],
        "expected_command": [],
        "expected_materials": [],
        "expected_products": [["ALLOW", "*"]],
    }
    d.update(over)
    return d


def link_body(**over):
    d = {
        "_type": "link",
        "name": "build",
        "materials": {},
        "products": {"foo.py": sha("foo")},
        "command": [],
        "byproducts": {"return-value": 0, "stderr": "", "stdout": ""},
        "environment": {},
    }
    d.update(over)
    return d


def with_step(**over):
    return layout_body(steps=[step_body(**over)])


def with_inspection(**over):
    insp = {"_type": "inspection", "name": "check", "run": ["true"], "expected_materials": [],
            "expected_products": []}
    insp.update(over)
    return layout_body(inspect=[insp])


def signed_layout(body):
    return metablock(body, [P("alice")])


def signed_link(body):
    return metablock(body, [P("bob")])


def b64(b):
    return base64.b64encode(b).decode()


# ------------------------------------------------------------------------------------------
# Ed25519 edge cases: non-canonical S, small-order public key

L = 2**252 + 27742317777372353535851937790883648493


def non_canonical_s(sig_hex):
    """The same signature with S + L (S is not reduced: OpenSSL and strict verifiers reject)."""
    raw = bytes.fromhex(sig_hex)
    r, s = raw[:32], int.from_bytes(raw[32:], "little")
    s2 = s + L
    assert s2 < 2**256
    return (r + s2.to_bytes(32, "little")).hex()


# The identity point (order 1): [k]A is the identity for every k, so the signature
# (R = identity, S = 0) satisfies [S]B = R + [k]A for every message.
SMALL_ORDER_PUB = bytes([1] + [0] * 31)
UNIVERSAL_SIG = (bytes([1] + [0] * 31) + bytes(32)).hex()


def small_order_pem():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    k = Ed25519PublicKey.from_public_bytes(SMALL_ORDER_PUB)
    return k.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def small_order_key_dict():
    from securesystemslib.signer import SSlibKey

    keyid_src = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": SMALL_ORDER_PUB.hex()}}
    keyid = hashlib.sha256(canonical(keyid_src)).hexdigest()
    d = dict(keyid_src, keyid=keyid)
    SSlibKey.from_dict(keyid, copy.deepcopy(keyid_src))  # the reference accepts it
    return d


# ------------------------------------------------------------------------------------------
# Generated inputs (too big to commit). tests/bad_input.rs builds the same bytes.

DEPTH = 200_000


def generate(kind):
    if kind == "deep-array-signed":
        return b'{"signatures": [], "signed": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"
    if kind == "deep-object":
        return b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH
    if kind == "deep-array-in-readme":
        return (b'{"signatures": [], "signed": {"_type": "layout", "readme": ' + b"[" * DEPTH
                + b"]" * DEPTH + b"}}")
    if kind == "huge-readme":
        return (b'{"signatures": [], "signed": {"_type": "layout", "expires": "2099-12-31T23:59:59Z", '
                b'"inspect": [], "keys": {}, "readme": "' + b"a" * (64 * MIB) + b'", "steps": []}}')
    if kind == "huge-stdout":
        return (b'{"signatures": [], "signed": {"_type": "link", "name": "build", "byproducts": '
                b'{"stdout": "' + b"a" * (64 * MIB) + b'"}}}')
    if kind == "huge-artifact-path":
        return (b'{"signatures": [], "signed": {"_type": "link", "materials": {"' + b"p" * (64 * MIB)
                + b'": {"sha256": "00"}}}}')
    if kind == "huge-key-armor":
        return b"-----BEGIN PUBLIC KEY-----\n" + (b"A" * 64 + b"\n") * (MIB) + b"-----END PUBLIC KEY-----\n"
    if kind == "huge-dsse-payload":
        body = b'{"_type": "link", "byproducts": {"stdout": "' + b"a" * (48 * MIB) + b'"}}'
        return b'{"payload": "' + base64.b64encode(body) + b'", "payloadType": "application/vnd.in-toto+json", "signatures": []}'
    if kind == "many-signatures":
        sig = b'{"keyid": "00", "sig": "00"}'
        return b'{"signatures": [' + b", ".join([sig] * 500_000) + b'], "signed": {"_type": "link"}}'
    raise ValueError(kind)


# ------------------------------------------------------------------------------------------
# The cases

CASES = []  # dicts: name, role, description, data (bytes) | dir (dict path->bytes) | generate


def case(name, role, description, data=None, **kw):
    assert not any(c["name"] == name for c in CASES), name
    c = dict(name=name, role=role, description=description, data=data, **kw)
    CASES.append(c)
    return c


def file_cases():
    ld, lk = layout_body(), link_body()
    full_layout = signed_layout(ld)
    full_link = signed_link(lk)

    # --- not JSON at all, for every role that reads JSON
    for role, full in (("layout", full_layout), ("link", full_link)):
        case(f"{role}-empty", role, "an empty file", b"")
        case(f"{role}-not-json", role, "plain text", b"hello, world\n")
        case(f"{role}-truncated", role, "a valid file cut in the middle", full[: len(full) // 2])
        case(f"{role}-utf8-bom", role, "a valid file behind a UTF-8 byte order mark", b"\xef\xbb\xbf" + full)
        case(f"{role}-invalid-utf8", role, "a string with bytes that are not UTF-8",
             full.replace(b'"build"', b'"bu\xff\xfeild"', 1))
        case(f"{role}-nul-bytes", role, "NUL bytes", b"\0" * 64)
        case(f"{role}-top-level-array", role, "a JSON array", b"[1, 2, 3]")
        case(f"{role}-top-level-string", role, "a JSON string that contains 'payload'", b'"payload signed"')
        case(f"{role}-top-level-number", role, "a JSON number", b"12345678901234567890123456789")
        case(f"{role}-top-level-null", role, "JSON null", b"null")
        case(f"{role}-neither-signed-nor-payload", role, "an object without signed/payload", b'{"signatures": []}')
        case(f"{role}-signed-not-object", role, "signed is a list", b'{"signatures": [], "signed": [1]}')
        case(f"{role}-signed-string", role, "signed is a string", b'{"signatures": [], "signed": "x"}')
        case(f"{role}-signed-empty-object", role, "signed is {}", b'{"signatures": [], "signed": {}}')
        case(f"{role}-unknown-type", role, "signed._type is 'bogus'",
             metablock(dict(ld if role == "layout" else lk, _type="bogus")))
        case(f"{role}-type-int", role, "signed._type is 1", metablock(dict(ld if role == "layout" else lk, _type=1)))
        case(f"{role}-signatures-object", role, "signatures is an object",
             json.dumps({"signatures": {}, "signed": ld if role == "layout" else lk}).encode())
        case(f"{role}-signatures-string", role, "signatures is a string",
             json.dumps({"signatures": "sig", "signed": ld if role == "layout" else lk}).encode())
        case(f"{role}-signature-entry-int", role, "a signature entry is a number",
             json.dumps({"signatures": [5], "signed": ld if role == "layout" else lk}).encode())
        case(f"{role}-signature-no-sig", role, "a signature entry without sig",
             json.dumps({"signatures": [{"keyid": P("alice").keyid}], "signed": ld if role == "layout" else lk}).encode())
        case(f"{role}-serde-number-token", role, "an object key that serde_json uses internally for numbers",
             json.dumps({"signatures": [], "signed": dict(ld if role == "layout" else lk,
                                                          **{"$serde_json::private::Number": "1"})}).encode())
        case(f"{role}-nan", role, "NaN in a signed field",
             (signed_layout(dict(ld, readme="NAN_HERE")) if role == "layout" else
              signed_link(dict(lk, byproducts={"return-value": "NAN_HERE"}))).replace(b'"NAN_HERE"', b"NaN"))
        case(f"{role}-infinity", role, "-Infinity in a signed field",
             (signed_layout(with_step(expected_command=["X"])) if role == "layout" else
              signed_link(dict(lk, command=["X"]))).replace(b'"X"', b"-Infinity"))
        case(f"{role}-lone-surrogate", role, "a lone UTF-16 surrogate escape in a string",
             (signed_layout(dict(ld, readme="SURR")) if role == "layout" else
              signed_link(dict(lk, name="SURR"))).replace(b'"SURR"', b'"\\udc80"'))
        case(f"{role}-duplicate-keys", role, "a signed field given twice (the last one wins)",
             (signed_layout(ld) if role == "layout" else signed_link(lk)).replace(
                 b'"_type": "', b'"_type": "other", "_type": "', 1))

    # --- DSSE envelopes
    for role, body, who in (("layout", ld, "alice"), ("link", lk, "bob")):
        good = json.loads(envelope(body, [P(who)]))
        case(f"{role}-dsse-wrong-payload-type", role, "payloadType is application/json",
             json.dumps(dict(good, payloadType="application/json")).encode())
        case(f"{role}-dsse-no-payload-type", role, "no payloadType",
             json.dumps({k: v for k, v in good.items() if k != "payloadType"}).encode())
        case(f"{role}-dsse-payload-not-string", role, "payload is a number",
             json.dumps(dict(good, payload=5)).encode())
        case(f"{role}-dsse-payload-bad-base64", role, "payload is not base64",
             json.dumps(dict(good, payload="!!not base64!!")).encode())
        case(f"{role}-dsse-payload-unpadded", role, "payload base64 without padding",
             json.dumps(dict(good, payload=b64(json.dumps(body).encode() + b" ").rstrip("="))).encode())
        case(f"{role}-dsse-payload-not-json", role, "validly signed payload that is not JSON",
             envelope(b"not json", [P(who)]))
        case(f"{role}-dsse-payload-array", role, "validly signed payload that is a JSON array",
             envelope(b"[1, 2]", [P(who)]))
        case(f"{role}-dsse-payload-wrong-type", role, "validly signed payload with _type 'bogus'",
             envelope(dict(body, _type="bogus"), [P(who)]))
        case(f"{role}-dsse-no-signatures-field", role, "no signatures field",
             json.dumps({k: v for k, v in good.items() if k != "signatures"}).encode())
        case(f"{role}-dsse-signatures-empty", role, "signatures is []", json.dumps(dict(good, signatures=[])).encode())
        case(f"{role}-dsse-signatures-object", role, "signatures is an object",
             json.dumps(dict(good, signatures={})).encode())
        case(f"{role}-dsse-signature-not-object", role, "a signature entry is a string",
             json.dumps(dict(good, signatures=["x"])).encode())
        case(f"{role}-dsse-sig-bad-base64", role, "sig is not base64",
             json.dumps(dict(good, signatures=[dict(good["signatures"][0], sig="%%%")])).encode())
        case(f"{role}-dsse-sig-missing", role, "a signature entry without sig",
             json.dumps(dict(good, signatures=[{"keyid": good["signatures"][0]["keyid"]}])).encode())
        case(f"{role}-dsse-keyid-missing", role, "a signature entry without keyid",
             json.dumps(dict(good, signatures=[{"sig": good["signatures"][0]["sig"]}])).encode())
        case(f"{role}-dsse-duplicate-keyid", role, "two signatures with the same keyid",
             json.dumps(dict(good, signatures=good["signatures"] * 2)).encode())
        case(f"{role}-dsse-payload-tampered", role, "payload changed after signing",
             json.dumps(dict(good, payload=b64(json.dumps(dict(body, _type=body["_type"], extra=1),
                                                          sort_keys=True).encode()))).encode())
        case(f"{role}-dsse-sig-truncated", role, "signature cut to 32 bytes",
             json.dumps(dict(good, signatures=[dict(good["signatures"][0],
                                                    sig=b64(base64.b64decode(good["signatures"][0]["sig"])[:32]))])).encode())

    # --- the layout's fields, one wrong type at a time (signed by alice where encodable)
    lay = lambda name, desc, body: case(name, "layout", desc, signed_layout(body))  # noqa: E731
    lay("layout-steps-missing", "no steps field", {k: v for k, v in ld.items() if k != "steps"})
    lay("layout-inspect-missing", "no inspect field", {k: v for k, v in ld.items() if k != "inspect"})
    for field, values in {
        "steps": [None, "x", 5, {"a": 1}, [5], [[]], ["step"]],
        "inspect": [None, "x", 5, [5], [None]],
        "keys": [[], "x", 5, {"zz": P("bob").key_dict}, {P("bob").keyid: "notadict"},
                 {P("bob").keyid: {"keytype": "ed25519"}},
                 {P("bob").keyid: dict(P("bob").key_dict, scheme="rot13")},
                 {P("bob").keyid: dict(P("bob").key_dict, keyval={"public": 5})},
                 {P("bob").keyid: dict(P("bob").key_dict, keyval={"public": "zz"})},
                 {P("bob").keyid: dict(P("bob").key_dict, keyid=5)}],
        "expires": [5, None, "", "2099-13-01T00:00:00Z", "2099-02-30T00:00:00Z", "2000-01-35T00:00:00Z",
                    "2099-01-01T24:00:00Z", "2099-01-01T00:00:60Z", "2099-01-01T00:00:00+00:00",
                    "2099-01-01T00:00:00.5Z", "0000-01-01T00:00:00Z", "99999-01-01T00:00:00Z",
                    "2099-01-01 00:00:00Z", "tomorrow", "2001-01-01T00:00:00Z", ["2099"]],
        "readme": [5, None, [], {"a": "b"}],
    }.items():
        for i, v in enumerate(values):
            lay(f"layout-{field}-{i}-{type(v).__name__}", f"layout {field} = {json.dumps(v)[:60]}",
                dict(ld, **{field: v}))
    for field, values in {
        "name": [5, None, [], {"a": 1}, "", "a/b", "..", ".", "a\0b", "n" * 5000, "/etc/passwd"],
        "threshold": ["1", 1.0, None, [], True, False, 0, -1, 10**40, -(10**40), 2**63, 2**64],
        "pubkeys": ["x", 5, None, ["ZZ"], [5], ["2f898e60 "], [""], {}],
        "expected_command": ["make", 5, None, {}, [1.5], [None, [], {}]],
        "expected_materials": ["x", 5, None, ["x"], [[1]], [[]], [["FOO", "x"]], [["CREATE"]],
                               [["CREATE", "a", "b"]], [["MATCH", "*"]],
                               [["MATCH", "*", "WITH", "FILES", "FROM", "x"]],
                               [["MATCH", "*", "IN", "x", "WITH", "PRODUCTS", "IN", "y", "FROM"]],
                               [["MATCH", "*", "WITH", "PRODUCTS", "FROM", "x", "AND", "y"]],
                               [["MATCH", "*", "FROM", "PRODUCTS", "WITH", "x"]],
                               [["MATCH", "*", "IN", "WITH", "PRODUCTS", "FROM", "x"]],
                               [["create", "*"], ["Disallow", "*"]], [[None, "x"]], [["ALLOW", 5]]],
        "expected_products": [{}, [{"rule": "ALLOW"}], [["REQUIRE"]], [["REQUIRE", "a", "b"]],
                              [["DISALLOW", "*"]], [["ALLOW", "*"], ["DISALLOW", "*"]]],
    }.items():
        for i, v in enumerate(values):
            lay(f"layout-step-{field}-{i}-{type(v).__name__}", f"step {field} = {json.dumps(v)[:60]}",
                with_step(**{field: v}))
    for field, values in {
        "name": [5, None, "build"],
        "run": ["true", 5, None, [], [5], [1.5]],
        "expected_materials": ["x", [["BOGUS", "x"]]],
        "expected_products": [5, [["MATCH", "*", "WITH", "NOTHING", "FROM", "build"]]],
    }.items():
        for i, v in enumerate(values):
            lay(f"layout-inspection-{field}-{i}-{type(v).__name__}", f"inspection {field} = {json.dumps(v)[:60]}",
                with_inspection(**{field: v}))
    lay("layout-float-readme", "a float in readme", dict(ld, readme=1.5))
    lay("layout-float-in-key-dict", "a float inside a key dict",
        dict(ld, keys={P("bob").keyid: dict(P("bob").key_dict, extra=0.5)}))
    case("layout-exponent-threshold", "layout", "threshold 1e0 (a float in Python)",
         signed_layout(with_step(threshold=-7)).replace(b"-7", b"1e0"))
    case("layout-threshold-5000-digits", "layout", "threshold with 5000 digits",
         signed_layout(with_step(threshold=-7)).replace(b"-7", b"9" * 5000))
    lay("layout-step-type-bogus", "a step whose _type is bogus (ignored by the reference)",
        with_step(_type="bogus"))
    lay("layout-duplicate-step", "two steps named build", dict(ld, steps=[step_body(), step_body()]))
    case("layout-unsigned-valid", "layout", "a well-formed layout with no signature", metablock(ld, []))
    case("layout-signed-by-mallory", "layout", "signed by mallory instead of alice", metablock(ld, [P("mallory")]))
    bad = json.loads(full_layout)
    bad["signatures"][0]["keyid"] = "ZZ" + bad["signatures"][0]["keyid"][2:]
    case("layout-signature-keyid-not-hex", "layout", "the signature's keyid is not hex", json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signatures"][0]["sig"] = "not hex at all"
    case("layout-signature-sig-not-hex", "layout", "the signature is not hex", json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signatures"][0]["sig"] = non_canonical_s(bad["signatures"][0]["sig"])
    case("layout-signature-non-canonical-s", "layout", "alice's signature with S + L (not reduced)",
         json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signatures"][0]["sig"] = P("mallory").signer.sign(canonical(ld)).to_dict()["sig"]
    case("layout-signature-by-other-key", "layout", "keyid says alice, the signature is mallory's",
         json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signatures"] = [dict(bad["signatures"][0], sig="00" * 64)] + bad["signatures"]
    case("layout-signature-first-of-two-bad", "layout",
         "two signatures with alice's keyid, the first one invalid (only the first is checked)",
         json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signed"]["readme"] = "changed after signing"
    case("layout-modified-after-signing", "layout", "readme changed after signing", json.dumps(bad).encode())
    bad = json.loads(full_layout)
    bad["signed"]["steps"][0]["expected_products"] = [["ALLOW", "*"], ["ALLOW", "evil"]]
    case("layout-rule-added-after-signing", "layout", "a rule added after signing", json.dumps(bad).encode())
    case("layout-is-a-link", "layout", "a validly signed link given as the layout",
         metablock(lk, [P("alice")]))

    # --- bob's link, one wrong thing at a time
    lnk = lambda name, desc, body: case(name, "link", desc, signed_link(body))  # noqa: E731
    for field, values in {
        "name": [5, None, "other", "../x"],
        "materials": [[], "x", None, 5, {"a": 5}, {"a": {"sha256": "xyz"}}, {"a": {"sha256": 10**40}},
                      {"a": {"sha256": ""}}, {"a": {}}, {"a": []}, {"a": {"sha256": "AB"}}],
        "products": [[], None, {"foo.py": {"sha256": 1.5}}],
        "command": ["make", 5, None, {}, [1.5], [10**40]],
        "byproducts": [[], "x", None, {"return-value": 10**40}, {"return-value": 1.5},
                       {"return-value": 1, "stdout": 5}],
        "environment": [[], "x", None, {"a": 1.5}, {"a": [10**40]}],
    }.items():
        for i, v in enumerate(values):
            lnk(f"link-{field}-{i}-{type(v).__name__}", f"link {field} = {json.dumps(v)[:60]}",
                link_body(**{field: v}))
    tok = "$serde_json::private::Number"  # the key serde_json's arbitrary_precision uses internally
    lnk("link-byproducts-number-token-invalid", "byproducts holds an object whose only key is serde_json's number token",
        link_body(byproducts={tok: "abc"}))
    lnk("link-command-number-token-float", "a command item is an object {token: '1.5'}", link_body(command=[{tok: "1.5"}]))
    lnk("link-environment-number-token", "environment is {token: '1'}", link_body(environment={tok: "1"}))
    lnk("link-materials-number-token", "materials is {token: {...}} (a path named like the token)",
        link_body(materials={tok: sha("x")}))
    lay("layout-step-threshold-number-token", "threshold is {token: '1'} (a dict for the reference)",
        with_step(threshold={tok: "1"}))
    lay("layout-readme-number-token", "readme is {token: '1'}", dict(ld, readme={tok: "1"}))
    lnk("link-missing-optional-fields", "only _type and products (defaults filled in before signing check)",
        {"_type": "link", "products": lk["products"]})
    case("link-unsigned", "link", "bob's link without signatures", metablock(lk, []))
    case("link-signed-by-carl", "link", "a link in bob's file signed by carl", metablock(lk, [P("carl")]))
    bad = json.loads(full_link)
    bad["signatures"][0]["sig"] = P("carl").signer.sign(canonical(lk)).to_dict()["sig"]
    case("link-signature-by-other-key", "link", "keyid says bob, the signature is carl's", json.dumps(bad).encode())
    bad = json.loads(full_link)
    bad["signatures"][0]["sig"] = non_canonical_s(bad["signatures"][0]["sig"])
    case("link-signature-non-canonical-s", "link", "bob's signature with S + L (not reduced)", json.dumps(bad).encode())
    bad = json.loads(full_link)
    bad["signatures"] = [dict(bad["signatures"][0], sig="00" * 64)] + bad["signatures"]
    case("link-signature-first-of-two-bad", "link", "two signatures by bob's keyid, the first invalid",
         json.dumps(bad).encode())
    bad = json.loads(full_link)
    bad["signatures"] = bad["signatures"] + [P("alice").signer.sign(canonical(lk)).to_dict()]
    bad["signed"]["products"] = {"evil": sha("evil")}
    case("link-tampered-extra-valid-signature", "link",
         "products changed after signing; a second (valid, unauthorized) signature by alice over the original",
         json.dumps(bad).encode())
    bad = json.loads(full_link)
    bad["signed"]["products"]["foo.py"] = sha("evil")
    case("link-products-tampered", "link", "a product hash changed after signing", json.dumps(bad).encode())
    bad = json.loads(full_link)
    bad["signatures"][0]["sig"] = bad["signatures"][0]["sig"].upper()
    case("link-signature-upper-hex", "link", "bob's valid signature in upper-case hex", json.dumps(bad).encode())
    case("link-is-a-layout", "link", "bob's file holds a layout signed by bob (a sublayout without links)",
         metablock(layout_body(steps=[], keys={}), [P("bob")]))
    case("link-is-a-dsse-layout-unsigned", "link", "bob's file holds an unsigned DSSE layout",
         envelope(layout_body(), []))

    # --- verification keys
    key = lambda name, desc, data: case(name, "key", desc, data)  # noqa: E731
    key("key-empty", "an empty key file", b"")
    key("key-not-pem", "plain text", b"not a key\n")
    key("key-invalid-utf8", "binary garbage", bytes(range(256)))
    key("key-garbage-pem", "PEM armor around garbage",
        b"-----BEGIN PUBLIC KEY-----\nAAAAAAAAAAAAAAAA\n-----END PUBLIC KEY-----\n")
    key("key-bad-base64-pem", "PEM armor around text that is not base64",
        b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")
    key("key-unterminated-pem", "a PEM block without END line",
        P("alice").pub_pem.split(b"-----END")[0])
    key("key-private-key", "alice's private key where a public key is expected", P("alice").private_pem)
    key("key-certificate-label", "a public key under a CERTIFICATE label",
        P("alice").pub_pem.replace(b"PUBLIC KEY", b"CERTIFICATE"))
    key("key-truncated-der", "alice's public key with DER cut short",
        b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
    key("key-json-key-dict", "a securesystemslib key dict (JSON) instead of PEM",
        json.dumps(P("alice").key_dict).encode())
    key("key-other-person", "bob's public key (did not sign the layout)", P("bob").pub_pem)
    key("key-small-order-ed25519", "an ed25519 public key of small order (the identity point)", small_order_pem())


def chain_cases():
    """Whole chains: a folder with root.layout, keys and links/."""
    bob, carl, alice = P("bob"), P("carl"), P("alice")
    lk = link_body()

    def chain(name, desc, layout, links, keys=("alice.pub",), extra=None, **kw):
        files = {"alice.pub": alice.pub_pem, "root.layout": layout}
        for path, data in links.items():
            files["links/" + path] = data
        files.update(extra or {})
        case(name, "chain", desc, None, files=files, keys=list(keys), **kw)

    # Threshold: one key's signatures count once.
    k2 = "b0b" + bob.keyid[3:]
    bob_as_k2 = dict(bob.key_dict, keyid=k2)
    lay = layout_body(keys={bob.keyid: bob.key_dict, k2: bob_as_k2},
                      steps=[step_body(threshold=2, pubkeys=[bob.keyid, k2])])
    sig_k2 = dict(bob.signer.sign(canonical(lk)).to_dict(), keyid=k2)
    chain("chain-same-key-twice-threshold-two",
          "threshold 2; the layout lists bob's key under two keyids and both link files are signed by bob",
          signed_layout(lay),
          {f"build.{bob.kid8}.link": signed_link(lk),
           f"build.{k2[:8]}.link": json.dumps({"signatures": [sig_k2], "signed": lk}).encode()},
          divergence={"reason": "one private key must not satisfy a threshold of two; the reference counts "
                                "distinct keyids (its own TODO admits it relies on the layout not listing a "
                                "key twice)",
                      "exit_code": 1, "error_class": "ThresholdVerificationError"})
    lay = layout_body(keys={bob.keyid: bob.key_dict, carl.keyid: carl.key_dict},
                      steps=[step_body(threshold=2, pubkeys=[bob.keyid, carl.keyid])])
    chain("chain-two-links-same-signer", "threshold 2 (bob, carl); carl's file is signed by bob",
          signed_layout(lay),
          {f"build.{bob.kid8}.link": signed_link(lk), f"build.{carl.kid8}.link": signed_link(lk)})
    chain("chain-duplicate-pubkey-threshold-two", "threshold 2 with pubkeys [bob, bob]",
          signed_layout(layout_body(steps=[step_body(threshold=2, pubkeys=[bob.keyid, bob.keyid])])),
          {f"build.{bob.kid8}.link": signed_link(lk)})
    k3 = bob.keyid[:8] + "0" * 56
    both = json.loads(signed_link(lk))
    both["signatures"].append(dict(bob.signer.sign(canonical(lk)).to_dict(), keyid=k3))
    lay = layout_body(keys={bob.keyid: bob.key_dict, k3: dict(bob.key_dict, keyid=k3)},
                      steps=[step_body(threshold=2, pubkeys=[bob.keyid, k3])])
    chain("chain-one-file-two-keyids-threshold-two",
          "threshold 2; bob's key listed under two keyids with the same 8-character prefix; the one file "
          "carries bob's signature under both keyids",
          signed_layout(lay),
          {f"build.{bob.kid8}.link": json.dumps(both).encode()},
          divergence={"reason": "as chain-same-key-twice-threshold-two", "exit_code": 1,
                      "error_class": "ThresholdVerificationError"})
    # Threshold 0 / negative never pass without links.
    for t in (0, -1, -(10**40)):
        chain(f"chain-threshold-{'neg' if t < 0 else ''}{abs(t) if abs(t) < 10 else 'huge'}-no-links",
              f"threshold {t} and no link file", signed_layout(with_step(threshold=t)), {})
    chain("chain-threshold-zero-unsigned-link", "threshold 0 and only an unsigned link",
          signed_layout(with_step(threshold=0)), {f"build.{bob.kid8}.link": metablock(lk, [])})
    # Path traversal through step names and subkey names.
    out_link = signed_link(link_body(name="../outside"))
    chain("chain-step-name-parent-dir",
          "step named '../outside'; a validly signed link waits outside the link directory",
          signed_layout(with_step(name="../outside")), {},
          extra={f"outside.{bob.kid8}.link": out_link, "links/.keep": b""},
          divergence={"reason": "link files are only read inside --link-dir; the reference reads "
                                "<link-dir>/../outside.<kid8>.link",
                      "exit_code": 1, "error_class": "LinkNotFoundError"})
    chain("chain-step-name-subdir", "step named 'sub/build': the link is inside the link directory",
          signed_layout(with_step(name="sub/build")), {f"sub/build.{bob.kid8}.link": signed_link(lk)})
    chain("chain-step-name-deep-parent",
          "step named 'a/../../outside' (leaves the link directory after a detour)",
          signed_layout(with_step(name="a/../../outside")), {"a/.keep": b""},
          extra={f"outside.{bob.kid8}.link": out_link},
          divergence={"reason": "as chain-step-name-parent-dir", "exit_code": 1,
                      "error_class": "LinkNotFoundError"})
    sub_kid = "/../../x"
    bob_with_sub = dict(bob.key_dict, subkeys={sub_kid: {}})
    chain("chain-subkey-parent-dir",
          "bob's key dict lists a subkey whose id walks out of the link directory; a link signed by bob waits there",
          signed_layout(layout_body(keys={bob.keyid: bob_with_sub})), {"build./.keep": b""},
          extra={"x.link": signed_link(lk)},
          divergence={"reason": "as chain-step-name-parent-dir", "exit_code": 1,
                      "error_class": "LinkNotFoundError"})
    # Partly signed layouts.
    chain("chain-two-owner-keys-one-signature", "two verification keys, only alice signed",
          signed_layout(layout_body()), {f"build.{bob.kid8}.link": signed_link(lk)},
          keys=("alice.pub", "bob.pub"), extra={"bob.pub": bob.pub_pem})
    # Small-order keys.
    so = small_order_key_dict()
    so_layout = layout_body()
    chain("chain-small-order-owner-key",
          "the owner key is the identity point; the layout 'signature' is R = identity, S = 0",
          json.dumps({"signatures": [{"keyid": so["keyid"], "sig": UNIVERSAL_SIG}], "signed": so_layout},
                     indent=1, sort_keys=True).encode(),
          {f"build.{bob.kid8}.link": signed_link(lk)},
          keys=("small.pub",), extra={"small.pub": small_order_pem()},
          divergence={"reason": "small-order ed25519 keys verify a universal signature over any message; "
                                "intoto-studio rejects them (the reference/OpenSSL accept)",
                      "exit_code": 1, "error_class": "SignatureVerificationError"})
    chain("chain-small-order-functionary-key",
          "bob's step is authorized for a small-order key; its link carries the universal signature",
          signed_layout(layout_body(keys={so["keyid"]: so}, steps=[step_body(pubkeys=[so["keyid"]])])),
          {f"build.{so['keyid'][:8]}.link": json.dumps(
              {"signatures": [{"keyid": so["keyid"], "sig": UNIVERSAL_SIG}], "signed": link_body(
                  products={"evil": sha("evil")})}).encode()},
          divergence={"reason": "as chain-small-order-owner-key", "exit_code": 1,
                      "error_class": "ThresholdVerificationError"})


# ------------------------------------------------------------------------------------------
# Running the reference


def write_tree(dest, files):
    for path, data in files.items():
        p = os.path.join(dest, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def base_files():
    return {
        "alice.pub": P("alice").pub_pem,
        "bob.pub": P("bob").pub_pem,
        "root.layout": signed_layout(layout_body()),
        BOB_LINK: signed_link(link_body()),
    }


def parse_cli(out):
    """The last '(in-toto-verify) Class: message' line."""
    for line in reversed(out.splitlines()):
        m = re.match(r"^\((in-toto-[a-z]+)\) (\w+): ?(.*)$", line)
        if m:
            return m.group(2), m.group(3)
    return None, None


def run_ref(argv, cwd, timeout=600):
    # A virtual memory limit, so that a reference that reads /dev/zero fails instead of
    # eating the machine.
    argv = ["sh", "-c", 'ulimit -v 4000000 && exec "$0" "$@"', *argv]
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"exit_code": None, "error_class": "Timeout", "error_message": ""}
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    cls, msg = parse_cli(out)
    msg = (msg or "")
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return {"exit_code": p.returncode, "error_class": cls, "error_message": msg}


def judge(c):
    with tempfile.TemporaryDirectory() as tmp:
        if c["role"] == "chain":
            write_tree(tmp, c["files"])
            os.makedirs(os.path.join(tmp, "links"), exist_ok=True)
            keys = c["keys"]
        elif c["role"].endswith("-entry"):
            write_tree(tmp, base_files())
            keys = ["alice.pub"]
            make_entry(tmp, c["entry"], ENTRY_TARGETS[c["role"]])
            return {"verify": run_ref([os.path.join(REF_BIN, "in-toto-verify"), "--layout", "root.layout",
                                       "--verification-keys", *keys, "--link-dir", "links"], tmp, timeout=20)}
        else:
            write_tree(tmp, base_files())
            keys = ["alice.pub"]
            data = c["data"] if c.get("data") is not None else generate(c["generate"])
            target = {"layout": "root.layout", "link": BOB_LINK, "key": "case.key"}[c["role"]]
            with open(os.path.join(tmp, target), "wb") as f:
                f.write(data)
            if c["role"] == "key":
                keys = ["case.key"]
        verify = run_ref([os.path.join(REF_BIN, "in-toto-verify"), "--layout", "root.layout",
                          "--verification-keys", *keys, "--link-dir", "links"], tmp)
        out = {"verify": verify}
        if c["role"] in ("layout", "link"):
            target = "root.layout" if c["role"] == "layout" else BOB_LINK
            key = "alice.pub" if c["role"] == "layout" else "bob.pub"
            out["sign_verify"] = {"exit_code": run_ref(
                [os.path.join(REF_BIN, "in-toto-sign"), "-f", target, "-k", key, "--verify"], tmp)["exit_code"]}
        return out


ENTRY_TARGETS = {"link-entry": BOB_LINK, "layout-entry": "root.layout", "key-entry": "alice.pub"}


def make_entry(tmp, kind, target=BOB_LINK):
    """Replace a file of the chain (bob's link, the layout, the key) by something that is not
    a regular file (as tests/bad_input.rs)."""
    path = os.path.join(tmp, target)
    link = open(path, "rb").read()
    os.remove(path)
    if kind == "directory":
        os.mkdir(path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "symlink-loop":
        os.symlink(os.path.basename(path), path)
    elif kind == "symlink-outside":
        with open(os.path.join(tmp, "outside.link"), "wb") as f:
            f.write(link)
        os.symlink("../outside.link", path)
    else:
        raise ValueError(kind)


ENTRIES = [
    ("link-entry-directory", "directory", "bob's link file is a directory", None),
    ("link-entry-fifo", "fifo", "bob's link file is a FIFO nobody writes to",
     {"reason": "a FIFO would block the verifier forever (the reference hangs); a link file that is not a "
                "regular file is treated as missing", "exit_code": 1, "error_class": "LinkNotFoundError"}),
    ("link-entry-symlink-dev-zero", "symlink-dev-zero", "bob's link file is a symlink to /dev/zero",
     {"reason": "an endless file would exhaust memory (the reference reads until MemoryError); a link "
                "file that is not a regular file is treated as missing", "exit_code": 1,
      "error_class": "LinkNotFoundError"}),
    ("link-entry-symlink-loop", "symlink-loop", "bob's link file is a symlink to itself", None),
    ("link-entry-symlink-outside", "symlink-outside",
     "bob's link file is a symlink to a valid link outside the link directory (followed, like the reference: "
     "whoever controls the link directory chose it)", None),
]


GENERATED = [
    ("layout-deep-nesting", "layout", "200,000 nested arrays as the signed value", "deep-array-signed"),
    ("layout-deep-nesting-object", "layout", "200,000 nested objects", "deep-object"),
    ("layout-deep-nesting-readme", "layout", "200,000 nested arrays as the readme", "deep-array-in-readme"),
    ("layout-huge-readme", "layout", "a 64 MiB readme string", "huge-readme"),
    ("link-deep-nesting", "link", "200,000 nested arrays as the signed value", "deep-array-signed"),
    ("link-huge-stdout", "link", "a 64 MiB stdout string", "huge-stdout"),
    ("link-huge-artifact-path", "link", "a 64 MiB artifact path", "huge-artifact-path"),
    ("link-huge-dsse-payload", "link", "a DSSE envelope with a 64 MiB payload", "huge-dsse-payload"),
    ("link-many-signatures", "link", "500,000 signature entries", "many-signatures"),
    ("key-huge-armor", "key", "64 MiB of base64 in a PEM block", "huge-key-armor"),
]


def main():
    file_cases()
    chain_cases()
    for name, role, desc, kind in GENERATED:
        case(name, role, desc, None, generate=kind)
    for name, kind, desc, div in ENTRIES:
        case(name, "link-entry", desc, None, entry=kind, **({"divergence": div} if div else {}))
    case("layout-entry-directory", "layout-entry", "the layout path is a directory", None, entry="directory")
    case("layout-entry-symlink-loop", "layout-entry", "the layout path is a symlink to itself", None,
         entry="symlink-loop")
    case("key-entry-directory", "key-entry", "the verification key path is a directory", None, entry="directory")
    case("key-entry-symlink-loop", "key-entry", "the verification key path is a symlink to itself", None,
         entry="symlink-loop")
    cases = CASES

    base = os.path.join(HERE, "base")
    shutil.rmtree(base, ignore_errors=True)
    write_tree(base, base_files())
    out_dir = os.path.join(HERE, "cases")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    manifest = []
    for c in cases:
        entry = {"name": c["name"], "role": c["role"], "description": c["description"]}
        if c["role"] == "chain":
            write_tree(os.path.join(out_dir, c["name"]), c["files"])
            entry["path"] = c["name"]
            entry["keys"] = c["keys"]
        elif c.get("generate"):
            entry["generate"] = c["generate"]
        elif c.get("entry"):
            entry["entry"] = c["entry"]
        else:
            ext = {"layout": "layout", "link": "link", "key": "pem"}[c["role"]]
            entry["path"] = f"{c['name']}.{ext}"
            with open(os.path.join(out_dir, entry["path"]), "wb") as f:
                f.write(c["data"])
        entry["reference"] = judge(c)
        if c.get("divergence"):
            entry["divergence"] = c["divergence"]
        manifest.append(entry)
        print(f"{c['name']}: {entry['reference']['verify']}", file=sys.stderr)
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump({"generator": "tests/bad_input/gen_cases.py",
                   "reference": {"in-toto": "3.1.0", "securesystemslib": "1.6.0"},
                   "cases": manifest}, f, indent=1, sort_keys=True)
        f.write("\n")
    write_test_list([c["name"] for c in cases])


def write_test_list(names):
    """tests/bad_input/cases.rs: one `case!` per case, keeping the `#[ignore = ...]` that
    someone put on a case (known bugs) when the list is regenerated."""
    path = os.path.join(HERE, "cases.rs")
    ignores = {}
    if os.path.exists(path):
        pending = []
        for line in open(path):
            line = line.strip()
            if line.startswith("#[ignore"):
                pending.append(line)
            m = re.match(r'^(\w+) => "([^"]+)",$', line)
            if m:
                if pending:
                    ignores[m.group(2)] = pending
                pending = []
    out = ["// Generated by tests/bad_input/gen_cases.py: one test per case of cases.json.",
           "// Put `#[ignore = \"known bug: ...\"]` on its own line above a case to skip it;",
           "// regenerating keeps it.", "cases! {"]
    for n in names:
        for a in ignores.get(n, []):
            out.append("    " + a)
        ident = re.sub(r"[^a-z0-9_]", "_", n.lower().replace("-", "_"))
        out.append(f'    {ident} => "{n}",')
    out.append("}")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
