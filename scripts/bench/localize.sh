#!/usr/bin/env bash
# Localization benchmark and public-dataset evaluation: every figure of docs/accuracy.md.
#
# Usage: scripts/bench/localize.sh [all|synthetic|walk|datasets]     (from anywhere; default all)
# Environment (all optional):
#   BUILD=auto       auto|yes|no: build MallGate in release (swift build -c release --product mallgate)
#   MALLGATE=path    use this binary instead of .build/release/mallgate (skips the build)
#   CPU=1            core the inference timing is pinned to (taskset -c); training uses both cores
#   DATASETS=../shared/datasets
#
# synthetic: a 200-zone, 64-sensor venue, 15 windows per zone (3,000 windows): 5-fold CV of
#   kNN, MLP, trees and MLP+trees + final model, wall time, model file size per kind (target
#   <= 256 KB), then per window on one core (taskset) inference + smoothing (target <= 20 us:
#   feature encoding + classifier + softmax + the venue-graph forward filter over the grid's
#   200 zones, 500 devices each seen every 5 s) for each compact kind.
# walk: the demo venue's 35-minute simulation with its calibration walk (108 spots, 50 zones),
#   then `train --captures` with every candidate on both cores, wall time (target <= 2 min),
#   by default (the walk added to the layout's synthesized fingerprints) and the walk alone,
#   and inference + smoothing over the demo venue's own graph.
# datasets: each public dataset with the split its README gives, kNN, MLP, trees and the
#   cross-validated choice side by side.
# Output: the reports on stdout; model files go to bench-out/.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BUILD=${BUILD:-auto}
CPU=${CPU:-1}
D=${DATASETS:-../shared/datasets}
what=${1:-all}
out=bench-out
mkdir -p "$out"
log() { echo "localize.sh: $*" >&2; }

if [[ -n "${MALLGATE:-}" ]]; then
  mg=$MALLGATE
else
  mg=.build/release/mallgate
  if [[ $BUILD == yes || ( $BUILD == auto && ! -x $mg ) ]]; then
    log "building mallgate (release)"
    swift build -c release --product mallgate >&2
  fi
fi
pin() { if command -v taskset >/dev/null; then taskset -c "$CPU" "$@"; else "$@"; fi; }
run() { echo; echo "\$ mallgate ${*}"; "$mg" "$@" --quiet; }

if [[ $what == all || $what == synthetic ]]; then
  echo "## synthetic venue: 200 zones x 64 sensors x 15 windows"
  start=$(date +%s.%N)
  run train --synthetic 200x64x15 --models knn,mlp,trees,mlp+trees --output "$out/synthetic-200x64.mgm"
  end=$(date +%s.%N)
  echo "wall time incl. start-up: $(echo "$end - $start" | bc) s; file: $(stat -c %s "$out/synthetic-200x64.mgm") bytes"
  for kind in mlp trees mlp+trees; do
    echo
    echo "\$ taskset -c $CPU mallgate train --synthetic 200x64x15 --folds 0 --models $kind --time-inference"
    pin "$mg" train --synthetic 200x64x15 --folds 0 --models $kind --time-inference --quiet --output "$out/synthetic-$kind.mgm" \
      | grep -E "inference|chosen"
  done
fi

if [[ $what == all || $what == walk ]]; then
  echo "## demo venue: 35-minute simulation with the calibration walk, train --captures"
  venue=firmware-configs/venues/demo-mall.json
  sim=$out/demo-walk
  [[ -f $sim/labels.csv ]] || "$mg" simulate --venue $venue --out "$sim" --seed 1 --duration 35m --visitors 100 --staff 0 >/dev/null
  # The default (the walk added to fingerprints synthesized from the layout), then the walk alone.
  for layout in "" --no-from-layout; do
    echo "\$ mallgate train --venue $venue --captures $sim --labels $sim/labels.csv $layout --models knn,mlp,trees,mlp+trees --features all"
    /usr/bin/time -f "wall %e s, user %U s, max RSS %M KB" "$mg" train --venue $venue --captures "$sim" --labels "$sim/labels.csv" \
      $layout --models knn,mlp,trees,mlp+trees --features all --output "$out/demo.mgm" --quiet
  done
  echo "\$ taskset -c $CPU mallgate train ... --folds 0 --models mlp+trees --features all --time-inference"
  pin "$mg" train --venue $venue --captures "$sim" --labels "$sim/labels.csv" --folds 0 --models mlp+trees --features all \
    --time-inference --quiet | grep -E "inference"
fi

if [[ $what == all || $what == datasets ]]; then
  [[ -d $D ]] || { log "$D is absent: no dataset figures"; exit 1; }
  echo "## UJIIndoorLoc: train on trainingData, test on validationData"
  for kind in knn mlp trees; do
    run train --csv "$D/ujiindoorloc/trainingData.csv.gz" --label BUILDINGID,FLOOR --rss-columns WAP \
      --test "$D/ujiindoorloc/validationData.csv" --folds 0 --models $kind --output "$out/uji-bf-$kind.mgm"
  done
  run train --csv "$D/ujiindoorloc/trainingData.csv.gz" --label BUILDINGID,FLOOR --rss-columns WAP \
    --test "$D/ujiindoorloc/validationData.csv" --folds 0 --models mlp --features all --output "$out/uji-bf-mlp-all.mgm"
  # The choice by 5-fold CV on the training rows only (MLP and trees; kNN's CV is slow here).
  run train --csv "$D/ujiindoorloc/trainingData.csv.gz" --label BUILDINGID,FLOOR --rss-columns WAP \
    --test "$D/ujiindoorloc/validationData.csv" --models mlp,trees,mlp+trees --output "$out/uji-bf-chosen.mgm"
  echo "\$ mallgate eval --model $out/uji-bf-mlp.mgm --csv $D/ujiindoorloc/validationData.csv"
  "$mg" eval --model "$out/uji-bf-mlp.mgm" --csv "$D/ujiindoorloc/validationData.csv"

  echo; echo "## UCI wireless indoor localization: stratified 5-fold CV, seed 0"
  run train --csv "$D/uci_wireless_indoor_localization/wifi_localization.txt" --no-header --label 7 --rss-columns 0-6 \
    --features all --dropout 0 --models knn,mlp,trees,mlp+trees --output "$out/uci-rooms.mgm"
  run train --csv "$D/uci_wireless_indoor_localization/wifi_localization.txt" --no-header --label 7 --rss-columns 0-6

  echo; echo "## UCI BLE iTAG (filtered_rssi.csv): stratified 5-fold CV, seed 0"
  run train --csv "$D/uci_ble_itag/filtered_rssi.csv" --label locationStatus --rss-columns rssiOne,rssiTwo \
    --features all --dropout 0 --models knn,mlp,trees,mlp+trees --sequence name --time timestamp --smooth --output "$out/ble-itag.mgm"

  echo; echo "## UJI long-term library, month 01: train trn01, test tst01, label = floor (crd column 2)"
  m=$D/uji_lib_db_v2/month01
  for feat in robust all; do
    run train --csv "$m/trn01rss.csv" --no-header --labels-csv "$m/trn01crd.csv" --label 2 \
      --test "$m/tst01rss.csv" --test-labels-csv "$m/tst01crd.csv" --features $feat --models knn,mlp,trees,mlp+trees \
      --output "$out/uji-lib-$feat.mgm"
  done
  run train --csv "$m/trn01rss.csv" --no-header --labels-csv "$m/trn01crd.csv" --label 2 \
    --test "$m/tst01rss.csv" --test-labels-csv "$m/tst01crd.csv" --features all --folds 0 --models knn --k 1
fi
