#!/usr/bin/env bash
# A cargo target runner that runs a test binary with the system clock faked to $FAKE_NOW
# ("YYYY-MM-DD HH:MM:SS", UTC), through Debian's faketime. .ci/run uses it to prove that the
# time-sensitive tests do not depend on today's date.
set -euo pipefail
: "${FAKE_NOW:?FAKE_NOW is not set}"
export TZ=UTC
exec faketime -f "@$FAKE_NOW" "$@"
