#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target for FUZZ_SECONDS (default 45) seconds, seeded from
# the conformance and differential corpora, then the stable replay of fuzz/regressions/.
#
#   bash fuzz/smoke.sh                  # fuzz if cargo-fuzz is installed, else replay only
#   FUZZ_INSTALL=1 bash fuzz/smoke.sh   # install cargo-fuzz first if it is missing
#   FUZZ_SECONDS=600 bash fuzz/smoke.sh # a real run (10 minutes per target)
#   FUZZ_TARGETS="metadata fnmatch" bash fuzz/smoke.sh
#
# cargo-fuzz needs nightly compiler features; RUSTC_BOOTSTRAP=1 enables them on the stable
# toolchain. Targets are built without a sanitizer (`-s none`: the crate is safe Rust, and
# this is several times faster). A crash leaves its input in fuzz/artifacts/<target>/ and
# makes this script fail; minimise it (`cargo fuzz tmin`) and commit it under
# fuzz/regressions/<target>/ (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-45}"
targets="${FUZZ_TARGETS:-metadata canonical_json rule_parse fnmatch verify_link verify_layout}"

if ! cargo fuzz --version >/dev/null 2>&1 && [ "${FUZZ_INSTALL:-0}" = 1 ]; then
  cargo install cargo-fuzz --locked
fi

if cargo fuzz --version >/dev/null 2>&1; then
  # Only the fuzz builds get RUSTC_BOOTSTRAP: exported, it would change the fingerprint of
  # the main crate and make the replay test below rebuild everything.
  python3 fuzz/seed_corpus.py
  RUSTC_BOOTSTRAP=1 cargo fuzz build -s none -O
  for t in $targets; do
    echo "== fuzz $t for ${seconds}s"
    mkdir -p "fuzz/corpus/$t"
    RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -s none -O "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
      | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|INFO: -max_total_time)|panicked|ERROR|SUMMARY|Test unit written' || true
    if compgen -G "fuzz/artifacts/$t/*" >/dev/null; then
      echo "fuzz target $t found a failing input:" >&2
      ls -l "fuzz/artifacts/$t" >&2
      exit 1
    fi
  done
else
  echo "cargo-fuzz is not installed: replaying fuzz/regressions only (FUZZ_INSTALL=1 installs it)"
fi

cargo test --release --locked --test fuzz_regressions
