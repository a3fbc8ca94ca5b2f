#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/corpus/<target>/ (git-ignored),
from tests/fixtures/conformance and tests/fixtures/differential.

    python3 fuzz/seed_corpus.py

verify_link / verify_layout inputs start with a selector byte; the order here matches
`harness::corpus` (cases sorted by name, a case's files sorted path component by component).
"""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "tests", "fixtures")
CONF = os.path.join(FIX, "conformance", "cases")
DIFF = os.path.join(FIX, "differential", "cases")
OUT = os.path.join(HERE, "corpus")


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tree(dir_):
    out = []
    for base, dirs, files in os.walk(dir_):
        dirs[:] = [x for x in dirs if x != "workdir"]
        for f in files:
            out.append(os.path.join(base, f))
    return sorted(out, key=lambda p: p.split(os.sep))


def rules_of(obj):
    signed = obj.get("signed")
    if signed is None and "payload" in obj:
        import base64

        try:
            signed = json.loads(base64.b64decode(obj["payload"]))
        except Exception:
            return []
    if not isinstance(signed, dict):
        return []
    out = []
    for item in (signed.get("steps") or []) + (signed.get("inspect") or []):
        if not isinstance(item, dict):
            continue
        for key in ("expected_materials", "expected_products"):
            for r in item.get(key) or []:
                if isinstance(r, list) and all(isinstance(t, str) for t in r):
                    out.append(r)
    return out


def main():
    metadata_files = []
    for corpus in (CONF, DIFF):
        for case in sorted(os.listdir(corpus)):
            for p in tree(os.path.join(corpus, case)):
                if p.endswith((".link", ".layout")):
                    metadata_files.append(p)
    rules = []
    for p in metadata_files:
        data = open(p, "rb").read()
        put("metadata", data)
        put("canonical_json", data)
        try:
            rules.extend(rules_of(json.loads(data)))
        except Exception:
            pass
    for r in rules:
        put("rule_parse", "\0".join(r).encode())
        put("rule_parse", " ".join(r).encode())
    table = json.load(open(os.path.join(FIX, "fnmatch_table.json")))
    rows = table if isinstance(table, list) else table.get("cases", [])
    by_pattern = {}
    for row in rows:  # [pattern, name, matches]
        if isinstance(row, list) and len(row) >= 2:
            by_pattern.setdefault(row[0], []).append(row[1])
    for pat, names in by_pattern.items():
        put("fnmatch", "\0".join([pat] + names).encode())
    for r in rules:
        if len(r) > 1:
            put("fnmatch", (r[1] + "\0src/a.py\0.hidden\0a/b/c").encode())
    # Selector-prefixed inputs for the verifier targets.
    cases = sorted(os.listdir(CONF))
    links = []
    for ci, case in enumerate(cases):
        for p in tree(os.path.join(CONF, case)):
            if p.endswith(".link"):
                links.append(p)
    for i, p in enumerate(links):
        put("verify_link", bytes([i % 256]) + open(p, "rb").read())
    for ci, case in enumerate(cases):
        put("verify_layout", bytes([ci % 256]) + open(os.path.join(CONF, case, "root.layout"), "rb").read())
    print(f"{len(metadata_files)} metadata files, {len(rules)} rules, {len(links)} links, {len(cases)} cases")


if __name__ == "__main__":
    main()
