#!/usr/bin/env bash
# Make sure the reference implementation (in-toto 3.1.0 with securesystemslib 1.6) is
# installed in a venv; prints the venv's bin directory. Idempotent and safe to run from
# several test processes at once.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${INTOTO_REFERENCE_VENV:-$root/target/reference-venv}"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -x "$venv/bin/in-toto-verify" ] || ! "$venv/bin/python" -c 'import in_toto, sys; sys.exit(0 if in_toto.__version__ == "3.1.0" else 1)' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "in-toto==3.1.0" "securesystemslib[crypto]==1.6.0" >&2
fi
echo "$venv/bin"
