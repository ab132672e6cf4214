#!/usr/bin/env bash
# Store benchmark (issue 5): positions/s written into MallGateStore in batches of 1k and 10k rows,
# with bulk durability synchronous=NORMAL (the default) and FULL side by side, and the database
# size per million positions. Runs are interleaved (every configuration once per round) so load
# from other builds hits all of them alike; the table shows medians and the FULL/NORMAL ratio.
#
# Uses the release build of mallgate-store-writer (`bench` subcommand, Tests/mallgate-store-writer):
# one process per run, a new database each time, batches built before the clock starts, the
# timed part is BufferDatabase.write(_:) calls only; the size is the file after close (TRUNCATE
# checkpoint, so no WAL).
#
# Env: ROWS (1000000) positions per run, RUNS (3) rounds, BUILD (yes|no),
#      DIR (bench-out/store): where the databases go — its file system and device are what FULL measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BUILD=${BUILD:-yes}
DIR=${DIR:-bench-out/store}

if [ "$BUILD" = yes ]; then swift build -c release --product mallgate-store-writer >&2; fi
BIN="$(swift build -c release --show-bin-path)/mallgate-store-writer"
mkdir -p "$DIR"
RESULTS="$DIR/results.txt"
: > "$RESULTS"

for run in $(seq "$RUNS"); do
    for batch in 1000 10000; do
        for sync in normal full; do
            rm -f "$DIR"/bench.db "$DIR"/bench.db-wal "$DIR"/bench.db-shm
            line=$("$BIN" bench --db "$DIR/bench.db" --rows "$ROWS" --batch "$batch" --synchronous "$sync")
            echo "$line" | tee -a "$RESULTS" >&2
        done
    done
done
rm -f "$DIR"/bench.db "$DIR"/bench.db-wal "$DIR"/bench.db-shm

echo "$(date -u +%FT%TZ) ROWS=$ROWS RUNS=$RUNS DIR=$DIR ($(df -T "$DIR" | awk 'NR==2 {print $2}')), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| batch | synchronous | median rows/s | runs (rows/s) | vs NORMAL | file bytes | MB per 1M positions (= bytes/position) |"
echo "|---:|---|---:|---|---:|---:|---:|"
python3 - "$RESULTS" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    key = (int(f["batch"]), f["synchronous"])
    runs.setdefault(key, []).append((int(f["rows_per_s"]), int(f["file_bytes"]), int(f["rows"])))
medians = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
for (batch, sync), v in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1] != "NORMAL")):
    rates = ", ".join(f"{r[0]:,}" for r in v)
    ratio = medians[(batch, sync)] / medians[(batch, "NORMAL")]
    size, rows = v[-1][1], v[-1][2]
    print(f"| {batch:,} | {sync} | {medians[(batch, sync)]:,.0f} | {rates} | {ratio:.2f} | {size:,} | {size / rows:.1f} |")
PY
