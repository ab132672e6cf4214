#!/usr/bin/env bash
# End-to-end replay rate on one core, side by side with decode-only and tcpdump on the same files.
#
# Usage: scripts/bench/pipeline.sh
# Environment (all optional):
#   DURATION=2h VISITORS=2000   simulated demo venue (bench-out/pipeline-sim, made once, reused)
#   CPU=0        core to pin every contender to (taskset -c)
#   RUNS=3       rounds; contenders interleaved within a round; medians reported
#   MALLGATE=path  binary (default .build/release/mallgate; built if missing)
# Contenders (all read the same 34 per-sensor pcaps, one process per contender):
#   replay   mallgate replay --config (layout model, MLP) DIR      every stage into SQLite
#   parse    mallgate parse FILE... --format none                  decode only
#   tcpdump  tcpdump -r FILE 'type mgt subtype probe-req' -w /dev/null, once per file (BPF filter, no decode)
#   tshark   tshark -n -r FILE -T fields -e wlan.sa -e radiotap.dbm_antsignal, once per file (full dissection;
#            slow, so only in the first TSHARK_RUNS=1 rounds; TSHARK_RUNS=0 leaves it out)
# Reports probe requests/s by wall and by CPU (user+sys from GNU time), replay's rate as a multiple of each
# contender's (above 1: replay is faster), peak RSS, load.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/bench/lib.sh
venue=firmware-configs/venues/demo-mall.json
cpu=${CPU:-0}
runs=${RUNS:-3}
bin=${MALLGATE:-.build/release/mallgate}
[ -x "$bin" ] || swift build -c release --product mallgate
out=bench-out/pipeline
sim=bench-out/pipeline-sim
mkdir -p "$out"
if [ ! -s "$sim/summary.json" ]; then
    "$bin" simulate --venue "$venue" --out "$sim" --duration "${DURATION:-2h}" --visitors "${VISITORS:-2000}" --seed 7 --no-calibration-walk >/dev/null
fi
layout_model "$out"
replay_config "$out" "$sim"
files=("$sim"/*.pcap)
# The probe-request count every contender is divided by: what the replay itself reports.
timed() {  # name, command...: one timed run → "name wall cpu rss"
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" taskset -c "$cpu" "$@" > "$out/$name.out" 2>"$out/$name.err"
    read -r wall user sys rss < "$out/time.txt"
    echo "$name $wall $(python3 -c "print(round($user + $sys, 2))") $rss"
}
tcpdump_all() { for f in "${files[@]}"; do tcpdump -r "$f" 'type mgt subtype probe-req' -w /dev/null 2>/dev/null; done; }
export -f tcpdump_all; export files_list="${files[*]}"
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uptime | sed 's/.*load/load/'); binary $bin ($(stat -c %s "$bin") bytes)"
: > "$out/rounds.txt"
for i in $(seq "$runs"); do
    rm -rf "$out/state"
    timed replay "$bin" replay --config "$out/gateway.toml" "$sim" --quiet >> "$out/rounds.txt"
    timed parse "$bin" parse "${files[@]}" --format none >> "$out/rounds.txt"
    timed tcpdump bash -c 'for f in $files_list; do tcpdump -r "$f" "type mgt subtype probe-req" -w /dev/null 2>/dev/null; done' >> "$out/rounds.txt"
    if [ "$i" -le "${TSHARK_RUNS:-1}" ]; then
        timed tshark bash -c 'for f in $files_list; do tshark -n -r "$f" -T fields -e wlan.sa -e radiotap.dbm_antsignal 2>/dev/null; done' >> "$out/rounds.txt"
    fi
    echo "round $i done, $(uptime | sed 's/.*load/load/')"
done
probes=$(sed -n 's/^replayed \([0-9]*\) probe requests.*/\1/p' "$out/replay.out")
python3 - "$out/rounds.txt" "$probes" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    n, w, c, r = line.split()
    rows.setdefault(n, []).append((float(w), float(c), int(r)))
probes = int(sys.argv[2])
med = {n: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), max(x[2] for x in v)) for n, v in rows.items()}
rw, rc, _ = med["replay"]
print(f"probe requests: {probes}")
print("| contender | wall s (median) | probe req/s (wall) | CPU s (median) | probe req/s (CPU) | replay ÷ this (wall) | replay ÷ this (CPU) | peak RSS MB | runs wall / CPU |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for n in [n for n in ["replay", "parse", "tcpdump", "tshark"] if n in med]:
    w, c, r = med[n]
    runs = ", ".join(f"{x[0]:.2f}/{x[1]:.2f}" for x in rows[n])
    print(f"| {n} | {w:.2f} | {probes / w:,.0f} | {c:.2f} | {probes / max(c, 0.01):,.0f} | {w / rw:.2f} | {max(c, 0.01) / rc:.2f} | {r / 1024:.1f} | {runs} |")
PY
head -3 "$out/replay.out"
