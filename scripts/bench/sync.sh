#!/usr/bin/env bash
# Sync benchmarks for BENCHMARKS.md: bytes on the wire per position row, collector ingest
# rows/s (SQLite and PostgreSQL), and the time to drain a day's backlog over loopback HTTP.
#
# Usage: scripts/bench/sync.sh
# Environment (all optional):
#   MALLGATE=path     a release `mallgate` to simulate with (default: build one)
#   HOURS=1           hours of the demo venue to simulate (positions every 5 s per probing device)
#   VISITORS=600      visitors in those hours
#   COPIES=24         the drain backlog: COPIES × the simulated hours (24 × 1 h = a day)
#   POSTGRES_URL=…    use this PostgreSQL instead of starting one with scripts/ci-postgres.sh
#   BUILD=no          reuse .build/release binaries
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p bench-out
hours=${HOURS:-1}
visitors=${VISITORS:-600}
copies=${COPIES:-24}

if [ "${BUILD:-yes}" != no ]; then
    swift build -c release --product mallgate-sync-bench 2>&1 | grep -E "error|Compiling|Build complete" >&2 || true
    [ -n "${MALLGATE:-}" ] || swift build -c release --product mallgate 2>&1 | grep -E "error|Build complete" >&2 || true
fi
bench=.build/release/mallgate-sync-bench
mallgate=${MALLGATE:-.build/release/mallgate}

sim=bench-out/sync-sim-${hours}h-${visitors}
if [ ! -s "$sim/truth-positions.csv" ]; then
    echo "== simulating ${hours} h of the demo venue, ${visitors} visitors" >&2
    "$mallgate" simulate --venue firmware-configs/venues/demo-mall.json --out "$sim" \
        --duration "${hours}h" --visitors "$visitors" --no-calibration-walk --seed 1 >/dev/null
fi
positions=$sim/truth-positions.csv
echo "positions: $positions ($(($(wc -l < "$positions") - 1)) rows)"

echo; echo "## Bytes on the wire per position row (gzip(BatchEnvelope), everything included)"
"$bench" wire "$positions" 60 300 900

started_pg=""
if [ -z "${POSTGRES_URL:-}" ]; then
    eval "$(scripts/ci-postgres.sh start)"
    POSTGRES_URL=$MALLGATE_TEST_POSTGRES_URL
    started_pg=$MALLGATE_TEST_POSTGRES_DIR
fi
fresh_pg() {  # a new database per run, so counts and timings start empty
    local name="mgbench_$RANDOM$RANDOM"
    psql "$POSTGRES_URL" -qc "CREATE DATABASE $name" >/dev/null
    echo "${POSTGRES_URL%%/mallgate*}/$name?sslmode=disable"
}

echo; echo "## Collector ingest (store only: one transaction per 60 s batch)"
"$bench" ingest sqlite "$positions" 60 1
"$bench" ingest "$(fresh_pg)" "$positions" 60 1

echo; echo "## Drain a backlog of ${copies} × ${hours} h over loopback HTTP (uploader → collector → store)"
"$bench" drain sqlite "$positions" 60 "$copies"
"$bench" drain "$(fresh_pg)" "$positions" 60 "$copies"

[ -z "$started_pg" ] || scripts/ci-postgres.sh stop "$started_pg"
