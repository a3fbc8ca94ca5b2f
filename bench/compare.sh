#!/usr/bin/env bash
# Compare intoto-studio with the reference implementation (in-toto 3.1.0) on the same data.
#
#   bash bench/compare.sh            # everything (the reference alone needs a few minutes)
#   QUICK=1 bash bench/compare.sh    # small data, a smoke test of the script
#
# What it measures (each on the same files for both tools):
#   verify  a chain of 10 steps x 50,000 artifacts per link, legacy and DSSE
#           (examples/gen-chain.rs, TEST-ONLY keys), plus 10 x 25,000 for the linearity check;
#   run     `run -x -m data` on 1 GiB in 20 files and on 50,000 small files, with the same
#           key and the default excludes; the recorded materials must be identical.
#
# Timing: wall clock from bash's `EPOCHREALTIME` around each run, user+sys CPU and peak RSS from
# /usr/bin/time -v. Ours runs RUNS times (best wall time is reported, as is usual for noisy
# machines, with the median alongside) after WARMUP untimed runs, the reference REF_RUNS
# times (a run of several seconds needs no warm-up). The warm-up matters on a virtual
# machine whose host takes back the memory the guest leaves free: the first runs after
# other work fault in reclaimed memory, several times slower (docs/performance.md).
# Every timed wall time is printed as it is measured.
# Data lives in target/bench-data (BENCH_DATA), generated once and reused.
#
# Environment: RUNS (default 5), WARMUP (default 5), REF_RUNS (default 1), BENCH_DATA, QUICK,
# SKIP_RUN=1 (no run comparison), SKIP_VERIFY=1 (no verify comparison).
set -euo pipefail
# Timing needs bash 5's EPOCHREALTIME, with a `.` as decimal point.
LC_NUMERIC=C
if [ -z "${EPOCHREALTIME:-}" ]; then
  echo "bench/compare.sh needs bash 5 or later (EPOCHREALTIME)" >&2
  exit 1
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-5}"
REF_RUNS="${REF_RUNS:-1}"
DATA="${BENCH_DATA:-$root/target/bench-data}"
if [ -n "${QUICK:-}" ]; then
  STEPS=3 ARTS=2000 ARTS_HALF=1000 BIG_FILES=4 BIG_MIB=8 SMALL_FILES=2000
  DATA="$DATA/quick"
else
  STEPS=10 ARTS=50000 ARTS_HALF=25000 BIG_FILES=20 BIG_MIB=$((1024 / 20)) SMALL_FILES=50000
fi
mkdir -p "$DATA"

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (for /usr/bin/time -v)" >&2
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

REF="$(bash tests/support/ensure-reference.sh)"
echo "building (release)..." >&2
cargo build --release --quiet --bin intoto-studio --example gen-chain
BIN="$root/target/release/intoto-studio"
GEN="$root/target/release/examples/gen-chain"
KEY="$root/tests/fixtures/keys/TEST-ONLY-bob-ed25519.private.pem"

# --- measuring -------------------------------------------------------------------------

# measure N LABEL CMD...: run CMD N times in the current directory (exit status must be 0),
# after WARM (default 0) untimed runs; sets WALL (best), MEDIAN (median wall), CPU (user+sys
# of the best run) and RSS (max over runs, KiB), and prints every wall time.
measure() {
  local n="$1" label="$2"
  shift 2
  local out best="" cpu="" rss=0 i walls=()
  out="$(mktemp)"
  for ((i = 0; i < ${WARM:-0}; i++)); do
    if ! "$@" >/dev/null 2>"$out.err"; then
      echo "FAILED: $label (warm-up): $*" >&2
      cat "$out.err" >&2
      exit 1
    fi
  done
  for ((i = 0; i < n; i++)); do
    local t0 t1 w u s m
    t0="$EPOCHREALTIME"
    if ! /usr/bin/time -v -o "$out" "$@" >/dev/null 2>"$out.err"; then
      echo "FAILED: $label: $*" >&2
      cat "$out.err" "$out" >&2
      exit 1
    fi
    t1="$EPOCHREALTIME"
    # Wall clock from bash's own clock (time -v prints only centiseconds; spawning `date`
    # would add about a millisecond to every run).
    w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
    walls+=("$w")
    u="$(awk -F': ' '/User time/ {print $2}' "$out")"
    s="$(awk -F': ' '/System time/ {print $2}' "$out")"
    m="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")"
    if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN {exit !(a < b)}'; then
      best="$w"
      cpu="$(awk -v a="$u" -v b="$s" 'BEGIN {printf "%.2f", a + b}')"
    fi
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  rm -f "$out" "$out.err"
  echo "$label, $(basename "$PWD"): ${walls[*]}"
  MEDIAN="$(printf '%s\n' "${walls[@]}" | sort -g | awk '{v[NR] = $1} END {printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
  WALL="$best" CPU="$cpu" RSS="$rss"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }

ROWS=()
row() { ROWS+=("$(printf '| %-34s | %8ss | %6s MiB | %8ss | %6ss | %6s MiB | %7sx | %s |' "$@")"); }

# --- machine ---------------------------------------------------------------------------

cpu_model="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
mem_total="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "machine: $(nproc) cores, $cpu_model, $mem_total; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "versions: $("$BIN" --version), in-toto $("$REF/python" -c 'import in_toto; print(in_toto.__version__)'), $(rustc --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# How much of the second core is really available right now: two SHA-512 runs in parallel
# threads (OpenSSL releases the GIL) against one.
"$REF/python" - <<'EOF'
import hashlib, threading, time
data = b"x" * (64 << 20)
def h(): hashlib.sha512(data).digest()
t = time.perf_counter(); h(); h(); one = time.perf_counter() - t
t = time.perf_counter()
ts = [threading.Thread(target=h) for _ in range(2)]
[x.start() for x in ts]; [x.join() for x in ts]
two = time.perf_counter() - t
print(f"parallel capacity: {one / two:.2f} cores (2 = both cores free)")
EOF

# --- verify ----------------------------------------------------------------------------

chain() { # chain FORMAT ARTIFACTS -> prints the directory
  local dir="$DATA/chain-$1-$STEPS-$2"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$GEN" --steps "$STEPS" --artifacts "$2" --format "$1" "$dir" >&2
    touch "$dir/.done"
  fi
  echo "$dir"
}

link_bytes() { du -cb "$1"/links/*.link | tail -1 | cut -f1; }

declare -A OURS_WALL
if [ -z "${SKIP_VERIFY:-}" ]; then
  for format in legacy dsse; do
    for arts in "$ARTS_HALF" "$ARTS"; do
      dir="$(chain "$format" "$arts")"
      bytes="$(link_bytes "$dir")"
      cd "$dir"
      args=(-l root.layout --verification-keys owner.pub --link-dir links)
      WARM="$WARMUP" measure "$RUNS" "ours verify" "$BIN" verify -q "${args[@]}"
      o_wall="$WALL" o_cpu="$CPU" o_rss="$RSS" o_median="$MEDIAN"
      OURS_WALL["$format-$arts"]="$o_wall"
      if [ "$arts" = "$ARTS" ]; then
        measure "$REF_RUNS" "in-toto-verify" "$REF/in-toto-verify" "${args[@]}"
        row "verify $format ${STEPS}x$arts" "$WALL" "$(mib "$RSS")" "$o_wall" "$o_cpu" "$(mib "$o_rss")" "$(ratio "$WALL" "$o_wall")" \
          "links $(mib $((bytes / 1024))) MiB, our peak RSS $(awk -v r="$o_rss" -v b="$bytes" 'BEGIN {printf "%.2f", r * 1024 / b}')x links; our median ${o_median}s ($(ratio "$WALL" "$o_median")x)"
      else
        row "verify $format ${STEPS}x$arts (ours only)" "-" "-" "$o_wall" "$o_cpu" "$(mib "$o_rss")" "-" "links $(mib $((bytes / 1024))) MiB"
      fi
      cd "$root"
    done
  done
fi

# --- run -------------------------------------------------------------------------------

make_big() {
  local dir="$DATA/run-big-$BIG_FILES"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/data"
    for ((i = 0; i < BIG_FILES; i++)); do
      head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$dir/data/blob-$i.bin"
    done
    touch "$dir/.done"
  fi
  echo "$dir"
}

make_small() {
  local dir="$DATA/run-small-$SMALL_FILES"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/data"
    "$REF/python" - "$dir/data" "$SMALL_FILES" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"pkg-{i // 200}", "lib" if i % 3 else "src")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file-{i}.js"), "wb") as f:
        f.write((f"// file {i}\n" * (1 + i % 97)).encode())
EOF
    touch "$dir/.done"
  fi
  echo "$dir"
}

same_materials() {
  "$REF/python" - "$1" "$2" <<'EOF'
import glob, json, sys
def materials(d):
    (path,) = glob.glob(d + "/*.link")
    return json.load(open(path))["signed"]["materials"]
a, b = materials(sys.argv[1]), materials(sys.argv[2])
if a != b:
    sys.exit(f"materials differ: {len(a)} vs {len(b)} entries")
print(f"materials identical ({len(a)} artifacts)")
EOF
}

if [ -z "${SKIP_RUN:-}" ]; then
  for kind in big small; do
    if [ "$kind" = big ]; then dir="$(make_big)"; what="${BIG_FILES} files, $((BIG_FILES * BIG_MIB)) MiB"; else dir="$(make_small)"; what="$SMALL_FILES small files"; fi
    cd "$dir"
    cat data/* >/dev/null 2>&1 || find data -type f -exec cat {} + >/dev/null
    rm -rf out-ours out-ref && mkdir -p out-ours out-ref
    WARM="$WARMUP" measure "$RUNS" "ours run" "$BIN" run -n bench -x -m data --signing-key "$KEY" -d out-ours
    o_wall="$WALL" o_cpu="$CPU" o_rss="$RSS"
    measure "$REF_RUNS" "in-toto-run" "$REF/in-toto-run" -n bench -x -m data --signing-key "$KEY" -d out-ref
    check="$(same_materials out-ours out-ref)"
    row "run -x ($what)" "$WALL" "$(mib "$RSS")" "$o_wall" "$o_cpu" "$(mib "$o_rss")" "$(ratio "$WALL" "$o_wall")" "$check"
    cd "$root"
  done
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | reference | ref RSS | ours (best of $RUNS) | ours CPU | our RSS | speed-up | notes |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
printf '%s\n' "${ROWS[@]}"
if [ -z "${SKIP_VERIFY:-}" ]; then
  echo
  for format in legacy dsse; do
    a="${OURS_WALL[$format-$ARTS_HALF]}" b="${OURS_WALL[$format-$ARTS]}"
    echo "linearity $format: ${STEPS}x$ARTS_HALF ${a}s -> ${STEPS}x$ARTS ${b}s: $(ratio "$b" "$a")x time for 2x artifacts (target <= 2.2x)"
  done
fi
