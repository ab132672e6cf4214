#!/usr/bin/env bash
# Side-by-side timing of mallgate binaries against the C floor, interleaved run by run so a
# busy machine slows every contender alike.
#
# Usage: scripts/bench/side-by-side.sh FILE.pcap MALLGATE_BINARY...   (e.g. a copy of main's build and yours)
# Environment: RUNS=7 (timed runs each, after one untimed warm-up round), CPU=1 (taskset -c),
#              FLOOR=bench-out/pcap-floor (built by decode.sh).
# Each run: `taskset -c $CPU BINARY parse FILE --format none` and `taskset -c $CPU $FLOOR FILE`, timed by
# /usr/bin/time. Prints, per contender, the median wall and user+sys seconds and that as a share of the
# floor's frames/s (median over median). Raw times go to bench-out/side-by-side.raw.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { sed -n 2,11p "$0" >&2; exit 2; }
file=$1; shift
RUNS=${RUNS:-7}
CPU=${CPU:-1}
FLOOR=${FLOOR:-$root/bench-out/pcap-floor}
[ -x "$FLOOR" ] || { echo "side-by-side.sh: $FLOOR missing; build it with: cc -O2 -o $FLOOR scripts/bench/pcap-floor.c -lpcap" >&2; exit 1; }
mkdir -p "$root/bench-out"
raw=$root/bench-out/side-by-side.raw
: > "$raw"
time_one() { # LABEL CMD...
    local label=$1; shift
    /usr/bin/time -f "$label %e %U %S" taskset -c "$CPU" "$@" 2>&1 >/dev/null | tail -1
}
for run in $(seq 0 "$RUNS"); do
    line=$(time_one floor "$FLOOR" "$file"); [ "$run" -gt 0 ] && echo "$line" >> "$raw"
    for binary in "$@"; do
        line=$(time_one "$binary" "$binary" parse "$file" --format none); [ "$run" -gt 0 ] && echo "$line" >> "$raw"
    done
done
python3 - "$raw" <<'PY'
import collections, statistics, sys
wall = collections.defaultdict(list); cpu = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, e, u, s = line.rsplit(None, 3)
    wall[label].append(float(e)); cpu[label].append(float(u) + float(s))
fw, fc = statistics.median(wall["floor"]), statistics.median(cpu["floor"])
print(f"{'contender':60} {'wall s':>7} {'% floor':>8} {'cpu s':>7} {'% floor':>8}   runs: {len(wall['floor'])}")
for label in wall:
    mw, mc = statistics.median(wall[label]), statistics.median(cpu[label])
    print(f"{label[-60:]:60} {mw:7.3f} {100 * fw / mw:7.0f}% {mc:7.3f} {100 * fc / mc:7.0f}%")
PY
