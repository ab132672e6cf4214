#!/usr/bin/env bash
# Store visits, passers-by and counts on the simulator (issue 4 items 3 and 5): the same
# calibration walk (seed 1) and test crowd (seed 2) as scripts/eval/simulated.sh, the MLP with
# absolute RSSI, then `locate --visits --counts` per MAC and with MACs grouped by the truth.
# Prints the Markdown tables of docs/accuracy.md ("Visits and counts").
# Usage: scripts/eval/visits.sh [OUTDIR] [extra locate options, e.g. --enter-windows 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/mallgate-eval-visits}
shift || true
VENUE=${VENUE:-firmware-configs/venues/demo-mall.json}
M=${MALLGATE:-.build/release/mallgate}
[ -n "${MALLGATE:-}" ] || swift build -c release --product mallgate >&2
mkdir -p "$OUT"
[ -f "$OUT/calib/labels.csv" ] || $M simulate --venue "$VENUE" --out "$OUT/calib" --seed 1 --duration 35m --visitors 100 --staff 0 >/dev/null
[ -f "$OUT/test/truth-visits.csv" ] || $M simulate --venue "$VENUE" --out "$OUT/test" --seed 2 --duration 30m --visitors 300 --no-calibration-walk >/dev/null
[ -f "$OUT/model.mgm" ] || $M train --venue "$VENUE" --captures "$OUT/calib" --labels "$OUT/calib/labels.csv" --quiet \
    --models mlp --features all --output "$OUT/model.mgm" > "$OUT/train.txt" 2>&1
for grouping in "per MAC:" "MACs grouped by truth:--device-map $OUT/test/truth-macs.csv"; do
    name=${grouping%%:*}
    # shellcheck disable=SC2086
    $M locate --model "$OUT/model.mgm" --venue "$VENUE" "$OUT/test" --format csv ${grouping#*:} "$@" \
        --visits "$OUT/visits-${name// /-}.csv" --counts "$OUT/counts-${name// /-}.csv" > "$OUT/located-${name// /-}.csv" 2>/dev/null
done
C=scripts/eval/compare-visits.py
echo "| visits | detected | truth (≥ 30 s, probing) | precision | recall | median dwell error | 90th pct dwell error | median entry error |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in "per MAC" "MACs grouped by truth"; do python3 $C "$OUT/test" "$OUT/visits-${name// /-}.csv" "$name" 30 --detail; done
echo
echo "| passers-by | detected | truth (derived) | precision | recall | detected / truth |"
echo "|---|---:|---:|---:|---:|---:|"
for name in "per MAC" "MACs grouped by truth"; do python3 $C "$OUT/test" "$OUT/visits-${name// /-}.csv" "$name" 30 --table passers --venue "$VENUE" --slack 60; done
echo
echo "| counts per store × 15 min | footfall detected / truth | footfall error (WAPE) | passers-by detected / truth | passers-by error (WAPE) | capture rate detected / truth |"
echo "|---|---:|---:|---:|---:|---:|"
for name in "per MAC" "MACs grouped by truth"; do
    python3 $C "$OUT/test" "$OUT/visits-${name// /-}.csv" "$name" 30 --table counts --venue "$VENUE" --counts "$OUT/counts-${name// /-}.csv"
done
