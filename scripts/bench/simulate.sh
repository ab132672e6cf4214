#!/usr/bin/env bash
# Simulator benchmark: one simulated hour of the demo venue with 1,000 visitors (issue 3: under a minute).
#
# Usage: scripts/bench/simulate.sh            (from anywhere; works in the package root)
# Environment (all optional):
#   VENUE=firmware-configs/venues/demo-mall.json   the venue simulated
#   DURATION=1h  VISITORS=1000  STAFF=10  SEED=1   what is simulated
#   RUNS=3       timed runs (median wall time reported)
#   BUILD=auto   auto|yes|no: build the release binary first (swift build -c release --product mallgate)
#   MALLGATE=path  use this binary instead of .build/release/mallgate (skips the build)
#   OUT=bench-out/simulate   output directory (overwritten by each run)
# Reports wall time, CPU time, peak RSS (/usr/bin/time %M), probe requests written and bytes on disk,
# and the simulator's own sanity table (--report) from the last run. Prints Markdown on stdout.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
VENUE=${VENUE:-firmware-configs/venues/demo-mall.json}
DURATION=${DURATION:-1h}
VISITORS=${VISITORS:-1000}
STAFF=${STAFF:-10}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
BUILD=${BUILD:-auto}
OUT=${OUT:-bench-out/simulate}
mkdir -p bench-out
log() { echo "simulate.sh: $*" >&2; }

[ -f "$VENUE" ] || { log "no venue at $VENUE (set VENUE=...)"; exit 1; }
[ -x /usr/bin/time ] || { log "installing time (for /usr/bin/time)"; apt-get install -y -qq time >/dev/null; }

mallgate=${MALLGATE:-}
if [ -z "$mallgate" ]; then
  mallgate=.build/release/mallgate
  if [ "$BUILD" != no ]; then
    log "building (swift build -c release --product mallgate)"
    swift build -c release --product mallgate >&2
  fi
fi
[ -x "$mallgate" ] || { log "no binary at $mallgate"; exit 1; }

args=(simulate --venue "$VENUE" --out "$OUT" --duration "$DURATION" --visitors "$VISITORS" --staff "$STAFF" --seed "$SEED")
walls=() cpus=() rss=0
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$OUT"
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o bench-out/simulate.time "$mallgate" "${args[@]}" --report >bench-out/simulate.stdout
  t1=$(date +%s%N)
  read -r u s m <bench-out/simulate.time
  walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')")
  cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')")
  (( m > rss )) && rss=$m
  log "run $i: wall ${walls[-1]} s, cpu ${cpus[-1]} s, peak RSS $m KiB"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
frames=$(grep -o '"probeRequestsWritten": [0-9]*' "$OUT/summary.json" | grep -o '[0-9]*$')
pcap_bytes=$(cat "$OUT"/*.pcap | wc -c)
all_bytes=$(du -sb "$OUT" | cut -f1)
wall=$(median "${walls[@]}")

echo "### Simulator benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores."
echo "Command: \`mallgate ${args[*]}\` (median of $RUNS runs)."
echo
echo "| wall s (median) | wall s (runs) | CPU s (runs) | peak RSS MiB | probe requests written | frames/s (wall) | pcap bytes | output bytes |"
echo "|---:|---|---|---:|---:|---:|---:|---:|"
echo "| $wall | ${walls[*]} | ${cpus[*]} | $(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}') | $frames | $(awk -v n="$frames" -v t="$wall" 'BEGIN {printf "%.0f", n / t}') | $pcap_bytes | $all_bytes |"
echo
echo "Target: 1 h of the demo venue with 1,000 visitors in under 60 s: $(awk -v t="$wall" 'BEGIN {print (t < 60) ? "met" : "NOT met"}')."
echo
echo "Sanity table of the last run (\`--report\`):"
echo
sed -n '/^Venue /,$p' bench-out/simulate.stdout
