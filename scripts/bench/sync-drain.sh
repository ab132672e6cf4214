#!/usr/bin/env bash
# Time to drain a 24-hour backlog of the demo venue from the gateway's buffer into a local
# collector (SQLite), end to end: `mallgate sync --once` reads buffer.sqlite, seals batches
# (BufferOutbox), uploads them over loopback HTTP to `mallgate-collector serve`, which stores
# them (synchronous=FULL). Target (issue 6): ≤ 30 s. Also bytes on the wire per position row:
# the compressed batch bodies the collector received (its mallgate_collector_request_bytes_total,
# visits, store counts and events included) divided by the position rows. Target ≤ 12.
# Reported in BENCHMARKS.md "Sync".
#
# The backlog: MINUTES of the demo venue are simulated (VISITORS visitors), replayed through the
# real pipeline into buffer.sqlite, and the rows of that replay are copied with sqlite3 to fill
# 24 h (each copy shifted by MINUTES, device ids offset so the copies are distinct devices).
#
# Usage: scripts/bench/sync-drain.sh
# Environment (all optional):
#   CONFIG=release|debug   which build to run (default debug; release takes long to build)
#   MINUTES=10 VISITORS=100   the simulated slice (100 per 10 min = 600 visitors an hour)
#   HOURS=24               the backlog to drain
#   BATCH_ROWS=5000        [upstream] batch_rows
#   BUILD=no               reuse existing binaries
#   SCRATCH=.build-release a separate build directory (--scratch-path), so a release build
#                          does not wait on the lock of a debug build or test run in .build
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
config=${CONFIG:-debug}
minutes=${MINUTES:-10}
visitors=${VISITORS:-100}
hours=${HOURS:-24}
batch_rows=${BATCH_ROWS:-5000}
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt install sqlite3)" >&2; exit 2; }
scratch=${SCRATCH:-$root/.build}
case $scratch in /*) ;; *) scratch=$root/$scratch ;; esac
if [ "${BUILD:-yes}" != no ]; then
    swift build -c "$config" --scratch-path "$scratch" --product mallgate 2>&1 | grep -E "error|Build complete" >&2 || true
    swift build -c "$config" --scratch-path "$scratch" --product mallgate-collector 2>&1 | grep -E "error|Build complete" >&2 || true
fi
mallgate=$scratch/$config/mallgate
collector=$scratch/$config/mallgate-collector
venue=$root/firmware-configs/venues/demo-mall.json

out=$root/bench-out/sync-drain
sim=$out/sim-${minutes}m-${visitors}
mkdir -p "$out"
if [ ! -s "$sim/labels.csv" ]; then
    echo "== simulating ${minutes} min of the demo venue, ${visitors} visitors" >&2
    "$mallgate" simulate --venue "$venue" --out "$sim" --duration "${minutes}m" --visitors "$visitors" --staff 2 --seed 3 >/dev/null
fi
[ -s "$out/demo.mgm" ] || "$mallgate" train --venue "$venue" --captures "$sim" --labels "$sim/labels.csv" --no-from-layout --models knn --folds 0 --output "$out/demo.mgm" --quiet

work=$(mktemp -d "$out/run-XXXXXX")
collector_pid=
trap '[ -z "$collector_pid" ] || kill "$collector_pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
port=$((20000 + RANDOM % 20000))
token=$("$collector" gateway add gw-bench --venue demo-mall --database "$work/collector.sqlite" | tail -1)
cat > "$work/gateway.toml" <<EOF
venue = "$venue"
model = "$out/demo.mgm"
state_directory = "$work/state"
[[sources]]
kind = "directory"
path = "$sim"
[metrics]
enabled = false
[retention]
max_database_mb = 4096
[upstream]
url = "http://127.0.0.1:$port"
token_env = "MG_TOKEN"
gateway_id = "gw-bench"
batch_rows = $batch_rows
EOF
echo "== replaying the slice into the gateway's buffer" >&2
MG_TOKEN=$token "$mallgate" replay --config "$work/gateway.toml" "$sim" --quiet >/dev/null

db=$work/state/buffer.sqlite
copies=$(( hours * 60 / minutes ))
echo "== copying the slice to $copies × ${minutes} min = ${hours} h" >&2
sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TEMP TABLE k AS WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $copies - 1) SELECT k FROM n;
CREATE TEMP TABLE p AS SELECT * FROM positions;
CREATE TEMP TABLE v AS SELECT * FROM visits;
CREATE TEMP TABLE c AS SELECT * FROM store_counts;
CREATE TEMP TABLE e AS SELECT * FROM events;
INSERT INTO positions (device_id, window_end_ns, floor, zone_index, zone_name, placement, confidence, clock_synchronized)
  SELECT device_id + k * 1000003, window_end_ns + k * $minutes * 60000000000, floor, zone_index, zone_name, placement, confidence, clock_synchronized
  FROM k, p ORDER BY k, p.id;
INSERT INTO visits (device_id, store_index, store_name, enter_ns, exit_ns, passer_by)
  SELECT device_id + k * 1000003, store_index, store_name, enter_ns + k * $minutes * 60000000000, exit_ns + k * $minutes * 60000000000, passer_by
  FROM k, v ORDER BY k, v.id;
INSERT OR IGNORE INTO store_counts (store_index, store_name, interval_start_ns, interval_ns, footfall, passers_by, unique_devices,
    dwell_under_1m, dwell_1m_5m, dwell_5m_15m, dwell_15m_30m, dwell_30m_60m, dwell_60m_plus)
  SELECT store_index, store_name, interval_start_ns + k * $minutes * 60000000000, interval_ns, footfall, passers_by, unique_devices,
    dwell_under_1m, dwell_1m_5m, dwell_5m_15m, dwell_15m_30m, dwell_30m_60m, dwell_60m_plus
  FROM k, c ORDER BY k, c.id;
INSERT INTO events (time_ns, level, kind, message) SELECT time_ns + k * $minutes * 60000000000, level, kind, message FROM k, e ORDER BY k, e.id;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM positions) + (SELECT count(*) FROM visits) + (SELECT count(*) FROM store_counts) + (SELECT count(*) FROM events)")
positions=$(sqlite3 "$db" "SELECT count(*) FROM positions")
echo "backlog: $rows rows ($positions positions), buffer $(du -h "$db" | cut -f1)"

"$collector" serve --database "$work/collector.sqlite" --port "$port" >"$work/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== draining (${config} build): MG_TOKEN=… mallgate sync --once --config gateway.toml --quiet"
start=$(date +%s.%N)
MG_TOKEN=$token "$mallgate" sync --once --config "$work/gateway.toml" --quiet
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc)
stored=$(sqlite3 "$work/collector.sqlite" "SELECT count(*) FROM positions")
batches=$(sqlite3 "$work/collector.sqlite" "SELECT count(*) FROM batches")
wire=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^mallgate_collector_request_bytes_total/ { s += $NF } END { printf "%d", s }')
echo "wire: $wire compressed body bytes for $positions positions = $(echo "scale=2; $wire / $positions" | bc) bytes per position row (all row kinds counted)"
echo "drained $rows rows ($positions positions, $batches batches of ≤ $batch_rows rows) in ${seconds} s = $(echo "$rows / $seconds" | bc) rows/s; collector holds $stored positions"
[ "$stored" = "$positions" ] || { echo "MISMATCH: collector $stored positions, gateway $positions" >&2; exit 1; }
