#!/usr/bin/env bash
# End-to-end replay benchmark: probe requests/s through the daemon's whole pipeline
# (capture → decode → identify → windows → model → venue-graph filter → visits → sink) on one core.
#
# Usage: scripts/bench/replay.sh            (from anywhere; works in the package root)
# Environment (all optional):
#   VENUE=firmware-configs/venues/demo-mall.json
#   DURATION=10m  VISITORS=150   simulated capture (bench-out/replay-sim, made once, reused)
#   CPU=1          core to pin to (taskset -c)
#   RUNS=3         timed runs (best reported)
#   MALLGATE=path  binary (default .build/release/mallgate, built if missing)
# Prints probe requests, wall seconds, probe requests/s and peak RSS (GNU time's maximum resident set).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/bench/lib.sh
venue=${VENUE:-firmware-configs/venues/demo-mall.json}
cpu=${CPU:-1}
runs=${RUNS:-3}
bin=${MALLGATE:-.build/release/mallgate}
[ -x "$bin" ] || swift build -c release --product mallgate
out=bench-out/replay
sim=bench-out/replay-sim
mkdir -p "$out"
if [ ! -s "$sim/summary.json" ]; then
    "$bin" simulate --venue "$venue" --out "$sim" --duration "${DURATION:-10m}" --visitors "${VISITORS:-150}" --seed 5 >/dev/null
fi
[ -s "$out/model.mgm" ] || "$bin" train --venue "$venue" --captures "$sim" --labels "$sim/labels.csv" --folds 0 --models mlp --output "$out/model.mgm" --quiet >/dev/null
replay_config "$out" "$sim"
best=""
for i in $(seq "$runs"); do
    rm -rf "$out/state"
    /usr/bin/time -f "%e %M" -o "$out/time.txt" taskset -c "$cpu" "$bin" replay --config "$out/gateway.toml" "$sim" --quiet > "$out/summary.txt"
    read -r wall rss < "$out/time.txt"
    probes=$(sed -n 's/^replayed \([0-9]*\) probe requests.*/\1/p' "$out/summary.txt")
    rate=$(python3 -c "print(int($probes / max($wall, 1e-3)))")
    echo "run $i: $probes probe requests in $wall s wall = $rate probe requests/s, peak RSS $((rss / 1024)) MiB"
    if [ -z "$best" ] || [ "$rate" -gt "$best" ]; then best=$rate; fi
done
echo "best: $best probe requests/s (CPU $cpu, $venue)"
head -2 "$out/summary.txt"
