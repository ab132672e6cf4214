#!/bin/sh
# Cost of pseudo-device grouping in the daemon: `mallgate replay` of one simulated capture with
# [privacy] pseudo_devices = true and = false, three runs each, probe requests/s side by side.
# Usage: scripts/bench/pseudo-devices.sh [path/to/mallgate] (default .build/release/mallgate)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/.build/release/mallgate}
work=$(mktemp -d /tmp/mallgate-bench-pd.XXXXXX)
venue=$root/firmware-configs/venues/small-arcade.json
"$bin" simulate --venue "$venue" --out "$work/sim" --duration 60m --visitors 600 --staff 4 --seed 5 >/dev/null 2>&1
"$bin" train --venue "$venue" --captures "$work/sim" --labels "$work/sim/labels.csv" --no-from-layout --models knn --folds 0 --output "$work/m.mgm" --quiet >/dev/null 2>&1
for grouping in true false; do
  for run in 1 2 3; do
    cat > "$work/g.toml" <<TOML
venue = "$venue"
model = "$work/m.mgm"
state_directory = "$work/state-$grouping-$run"
[[sources]]
kind = "directory"
path = "/nonexistent"
[privacy]
pseudo_devices = $grouping
[metrics]
enabled = false
TOML
    rate=$("$bin" replay --config "$work/g.toml" "$work/sim" --quiet | sed -n 's/.*(\([0-9]*\) probe requests\/s).*/\1/p')
    echo "pseudo_devices=$grouping run $run: $rate probe requests/s"
  done
done
rm -rf "$work"
