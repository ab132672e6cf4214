#!/usr/bin/env bash
# RSS over a 24-hour simulated replay at full speed: flat within 5 %?
#
# Usage: scripts/bench/soak.sh
# Environment: DURATION=24h VISITORS=24000 (bench-out/soak-sim, made once), EVERY=0.5 (s between samples), CPU=0, MALLGATE.
# Samples VmRSS and the bytes the process has read (/proc/PID/io rchar) every EVERY seconds. Progress
# through the simulated day is rchar / total capture bytes (the files are read in time order, merged), so
# "hour h" is the samples with h/24 ≤ progress < (h+1)/24 (progress: bytes read ÷ capture bytes; samples
# past 100 % — the end-of-input flush, SQLite reads — are listed apart). Prints RSS per simulated hour
# and first vs last hour.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/bench/lib.sh
venue=firmware-configs/venues/demo-mall.json
bin=${MALLGATE:-.build/release/mallgate}
cpu=${CPU:-0}
every=${EVERY:-0.5}
out=bench-out/soak
sim=bench-out/soak-sim
mkdir -p "$out"
if [ ! -s "$sim/summary.json" ]; then
    "$bin" simulate --venue "$venue" --out "$sim" --duration "${DURATION:-24h}" --visitors "${VISITORS:-24000}" --seed 11 --no-calibration-walk >/dev/null
fi
layout_model "$out"
replay_config "$out" "$sim"
total=$(cat "$sim"/*.pcap | wc -c)
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/'); captures $total bytes"
rm -rf "$out/state"
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" -o "$out/time.txt" taskset -c "$cpu" "$bin" replay --config "$out/gateway.toml" "$sim" --quiet > "$out/replay.txt" & tpid=$!
sleep 0.3
# The newest process with this command line is the replay itself (time and taskset start it);
# matched without the binary's name, so MALLGATE may point at a copy named otherwise.
pid=$(pgrep -f -- "replay --config $out/gateway.toml" | tail -1)
: > "$out/samples.txt"
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
    rchar=$(awk '/rchar/ {print $2}' /proc/$pid/io 2>/dev/null || true)
    [ -n "$rss" ] && echo "$rchar $rss" >> "$out/samples.txt"
    sleep "$every"
done
wait "$tpid" || true
cat "$out/time.txt"; head -1 "$out/replay.txt"
python3 - "$out/samples.txt" "$total" <<'PY'
import sys
total = int(sys.argv[2])
hours = {}
after = []  # read past the captures' size: SQLite reads (rchar counts them too) or the final flush
for line in open(sys.argv[1]):
    r, k = line.split()
    if int(r) >= total:
        after.append(int(k))
        continue
    h = int(24 * int(r) / total)
    hours.setdefault(h, []).append(int(k))
print("| simulated hour | samples | VmRSS min–max MB | mean MB |")
print("|---:|---:|---|---:|")
for h in sorted(hours):
    v = hours[h]
    print(f"| {h} | {len(v)} | {min(v)/1024:.1f}–{max(v)/1024:.1f} | {sum(v)/len(v)/1024:.1f} |")
if after:
    print(f"| after the input | {len(after)} | {min(after)/1024:.1f}–{max(after)/1024:.1f} | {sum(after)/len(after)/1024:.1f} |")
first, last = hours[min(hours)], hours[max(hours)]
f, l = sum(first) / len(first), sum(last) / len(last)
print(f"first hour mean {f/1024:.1f} MB, last hour mean {l/1024:.1f} MB: {100 * (l - f) / f:+.1f} %")
PY
