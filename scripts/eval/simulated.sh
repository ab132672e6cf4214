#!/usr/bin/env bash
# Localization accuracy on the simulator (issue 4): train from the calibration walk of one
# seed, locate a different crowd of another seed, score every window against the truth.
# Prints the Markdown table of docs/accuracy.md. Usage: scripts/eval/simulated.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/mallgate-eval-sim}
VENUE=${VENUE:-firmware-configs/venues/demo-mall.json}
swift build -c release --product mallgate >&2
M=.build/release/mallgate
mkdir -p "$OUT"
# Seed 1: the technician's calibration walk (labels.csv); a small crowd around it.
$M simulate --venue "$VENUE" --out "$OUT/calib" --seed 1 --duration 35m --visitors 100 --staff 0 >/dev/null
# Seed 2: a different crowd, no calibration walk: what the model never saw.
$M simulate --venue "$VENUE" --out "$OUT/test" --seed 2 --duration 30m --visitors 300 --no-calibration-walk >/dev/null
echo "| model | windows | floor | store top-1 (inside windows) | inside vs outside | zone top-1 |"
echo "|---|---:|---:|---:|---:|---:|"
for variant in "knn:--models knn" "mlp:--models mlp" "mlp, absolute RSSI too:--models mlp --features all"; do
    name=${variant%%:*}
    opts=${variant#*:}
    # shellcheck disable=SC2086
    $M train --venue "$VENUE" --captures "$OUT/calib" --labels "$OUT/calib/labels.csv" --quiet $opts \
        --output "$OUT/model.mgm" > "$OUT/train-${name%%,*}.txt" 2>&1
    for smoothing in "--no-smoothing:per window" ":venue-graph smoothing"; do
        flag=${smoothing%%:*}
        # shellcheck disable=SC2086
        $M locate --model "$OUT/model.mgm" --venue "$VENUE" "$OUT/test" --format csv $flag > "$OUT/located.csv"
        python3 scripts/eval/compare-truth.py "$OUT/test" "$OUT/located.csv" "$name, ${smoothing#*:}"
    done
done

# Store visits from the last model's smoothed zones, per MAC (what the gateway sees today) and
# with MACs grouped into devices by the truth (the ceiling issue 5's pseudo-devices aim at).
echo
echo "| visits | detected | truth (≥ 30 s, probing) | precision | recall | median dwell error |"
echo "|---|---:|---:|---:|---:|---:|"
$M locate --model "$OUT/model.mgm" --venue "$VENUE" "$OUT/test" --format csv --visits "$OUT/visits.csv" > "$OUT/located.csv" 2>/dev/null
python3 scripts/eval/compare-visits.py "$OUT/test" "$OUT/visits.csv" "per MAC" 30
$M locate --model "$OUT/model.mgm" --venue "$VENUE" "$OUT/test" --format csv --visits "$OUT/visits.csv" \
    --device-map "$OUT/test/truth-macs.csv" > "$OUT/located.csv" 2>/dev/null
python3 scripts/eval/compare-visits.py "$OUT/test" "$OUT/visits.csv" "MACs grouped by truth" 30
python3 scripts/eval/compare-truth.py "$OUT/test" "$OUT/located.csv" "mlp, absolute RSSI too, smoothing, MACs grouped by truth"
