#!/usr/bin/env bash
# RSS over a 24-hour simulated replay at full speed: flat within 5 %?
#
# Usage: scripts/bench/soak.sh
# Environment: DURATION=24h VISITORS=24000 (bench-out/soak-sim, made once), EVERY=0.5 (s between samples), CPU=0, MALLGATE.
# Samples VmRSS (and its anonymous and file-backed parts) and the bytes the process has read
# (/proc/PID/io rchar) every EVERY seconds. Progress
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
    rss=$(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2}' /proc/$pid/status 2>/dev/null || true)
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
    fields = line.split()
    if len(fields) != 4:
        continue  # the process ended between two reads of /proc
    r, rss, anon, file = (int(x) for x in fields)
    if r >= total:
        after.append((rss, anon, file))
        continue
    hours.setdefault(int(24 * r / total), []).append((rss, anon, file))
def mean(v, i):
    return sum(s[i] for s in v) / len(v) / 1024
print("| simulated hour | samples | VmRSS min–max MB | mean MB | of which anonymous | file-backed |")
print("|---:|---:|---|---:|---:|---:|")
for h, v in sorted(hours.items()) + ([("after the input", after)] if after else []):
    rss = [s[0] for s in v]
    print(f"| {h} | {len(v)} | {min(rss)/1024:.1f}–{max(rss)/1024:.1f} | {mean(v, 0):.1f} | {mean(v, 1):.1f} | {mean(v, 2):.1f} |")
first, last = hours[min(hours)], hours[max(hours)]
for i, what in ((0, "VmRSS"), (1, "anonymous"), (2, "file-backed")):
    f, l = mean(first, i), mean(last, i)
    print(f"{what}: first hour mean {f:.1f} MB, last hour mean {l:.1f} MB: {100 * (l - f) / f:+.1f} %")
PY
