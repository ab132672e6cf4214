#!/usr/bin/env bash
# CPU of `mallgate run` at a live rate: RATE frames/s into one FIFO per sensor, utime+stime over 60 s.
#
# Usage: scripts/bench/live-cpu.sh
# Environment: RATE=500, SECONDS_MEASURED=60, CAPTURES=bench-out/pipeline-sim (made by pipeline.sh), MALLGATE.
# The frames are the simulated demo venue's, merged by time and paced by scripts/bench/pace-fifos.py
# (timestamps rewritten to now). CPU from /proc/PID/stat fields 14+15 (clock ticks), read 5 s after the
# feed starts and SECONDS_MEASURED later; the writer's own CPU is not counted.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
venue=firmware-configs/venues/demo-mall.json
bin=${MALLGATE:-.build/release/mallgate}
rate=${RATE:-500}
span=${SECONDS_MEASURED:-60}
captures=${CAPTURES:-bench-out/pipeline-sim}
out=bench-out/live-cpu
mkdir -p "$out"
[ -s "$out/model.mgm" ] || "$bin" train --venue "$venue" --from-layout --folds 0 --models mlp --quiet --output "$out/model.mgm" >/dev/null
rm -rf "$out/state" "$out/fifos"; mkdir -p "$out/fifos"
{
    echo "venue = \"$root/$venue\""
    echo "model = \"$root/$out/model.mgm\""
    echo "state_directory = \"$root/$out/state\""
    for f in "$captures"/*.pcap; do
        s=$(basename "$f" .pcap)
        mkfifo "$out/fifos/$s.fifo"
        printf '[[sources]]\nkind = "stream"\npath = "%s"\nsensor = "%s"\n' "$root/$out/fifos/$s.fifo" "$s"
    done
    printf '[metrics]\nenabled = true\nlisten = "127.0.0.1:19392"\n'
} > "$out/gateway.toml"
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/'); $rate frames/s for $span s"
"$bin" run --config "$out/gateway.toml" 2>"$out/run.err" & pid=$!
python3 scripts/bench/pace-fifos.py "$captures" "$out/fifos" --rate "$rate" --seconds $((span + 10)) > "$out/pace.txt" & writer=$!
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks); w0=$(date +%s.%N)
sleep "$span"
t1=$(ticks); w1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
python3 -c "
t=($t1-$t0)/$hz; w=$w1-$w0
print(f'mallgate run: {t:.2f} s CPU (utime+stime) over {w:.1f} s wall = {100*t/w:.2f} % of one core at $rate frames/s')"
grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' '; echo
wait "$writer" || true
cat "$out/pace.txt"
curl -s localhost:19392/metrics | grep -E '^mallgate_(probe_requests|frames|positions)[a-z_]*total' | head -8 || true
kill -TERM "$pid"; wait "$pid" || true
