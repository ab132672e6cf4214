#!/usr/bin/env bash
# MallGate demo, end to end on a fresh Debian/Ubuntu machine with Swift on the PATH.
#
#   scripts/demo.sh            the main job on the bundled demo venue (2 floors, 30 stores,
#                              34 sensors): simulate a crowd, localize, count visits, buffer
#                              everything in SQLite, print a per-store report
#   scripts/demo.sh wlan1      listen to a real monitor-mode radio for 60 s instead
#                              (needs root or CAP_NET_RAW + CAP_NET_ADMIN)
#
# Steps: install the system packages, build the release binary, train a model from the
# venue's layout (what a fresh gateway does before its calibration walk), simulate 20 minutes
# of firmware-configs/venues/demo-mall.json (one pcap per sensor, plus ground truth), replay
# the captures through the gateway's whole pipeline (`mallgate replay`: decode → keyed device
# ids → windows → model → venue-graph smoothing → visits → SQLite buffer) and print visitors,
# passers-by and median dwell per store next to the simulation's truth. Then it starts a local
# collector (`mallgate-collector serve`, SQLite, loopback), registers the gateway, uploads the
# buffer (`mallgate sync --once`) and prints the collector's per-store report: the central side.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
echo "== building mallgate and mallgate-collector (${MALLGATE_DEMO_CONFIGURATION:-release})" >&2
configuration=${MALLGATE_DEMO_CONFIGURATION:-release}   # debug: a quicker build for trying the script
for product in mallgate mallgate-collector; do
    swift build -c "$configuration" --product "$product" 2>&1 | grep -E "error|warning: unre|Build complete" >&2 || true
done
bin=.build/$configuration/mallgate
collector=.build/$configuration/mallgate-collector
[ -x "$bin" ] && [ -x "$collector" ] || { echo "build failed: run 'swift build -c release' to see why" >&2; exit 1; }

if [ $# -ge 1 ]; then
    echo "== listening on $1 (channels 1, 6, 11; 60 s; Ctrl-C stops)" >&2
    exec "$bin" parse "iface:$1" --hop 1,6,11 --dwell-ms 250 --duration 60 --format table
fi

demo=$PWD/.demo
venue=$PWD/firmware-configs/venues/demo-mall.json
rm -rf "$demo"
mkdir -p "$demo/plans" "$demo/captures"
port=${MALLGATE_DEMO_COLLECTOR_PORT:-18470}
echo "== the demo venue: $venue" >&2
"$bin" venue show "$venue" --svg-dir "$demo/plans" >&2

echo "== a model from the layout alone (mallgate train --from-layout)" >&2
"$bin" train --venue "$venue" --from-layout --folds 0 --models mlp --quiet --output "$demo/model.mgm" >&2

echo "== simulating 20 minutes: 200 visitors with phones that randomize their MACs (mallgate simulate)" >&2
"$bin" simulate --venue "$venue" --out "$demo/captures" --duration 20m --visitors 200 --no-calibration-walk --seed 7 >/dev/null
mkdir -p "$demo/truth"
mv "$demo"/captures/*.csv "$demo"/captures/*.json "$demo/truth/" 2>/dev/null || true

echo "== the central side: a local collector on 127.0.0.1:$port (mallgate-collector serve, SQLite)" >&2
"$collector" gateway add demo-gateway --venue demo-mall --database "$demo/collector.sqlite" > "$demo/token"
chmod 600 "$demo/token"
"$collector" serve --database "$demo/collector.sqlite" --port "$port" 2> "$demo/collector.log" &
collector_pid=$!
trap 'kill $collector_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    sleep 0.2
done
cat > "$demo/gateway.toml" <<EOF
# Written by scripts/demo.sh: the gateway's configuration for replaying the simulated captures.
venue = "$venue"
model = "$demo/model.mgm"
state_directory = "$demo/state"

[[sources]]
kind = "directory"
path = "$demo/captures"

[privacy]
rotation = "never"

[metrics]
enabled = false

[upstream]
url = "http://127.0.0.1:$port"
token_file = "$demo/token"
gateway_id = "demo-gateway"
EOF

echo "== the gateway's pipeline over the captures, into SQLite (mallgate replay)" >&2
"$bin" replay --config "$demo/gateway.toml" "$demo/captures"
echo >&2
if command -v python3 >/dev/null && [ -f "$demo/truth/truth-visits.csv" ]; then
    echo "== the simulation's truth, for comparison: visits of 30 s or more per store" >&2
    python3 - "$demo/truth/truth-visits.csv" <<'PY'
import csv, sys, statistics
from datetime import datetime
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
by = {}
for r in csv.DictReader(open(sys.argv[1])):
    dwell = t(r["exit"]) - t(r["enter"])
    if r["probing"] == "1" and dwell >= 30:   # phones that probe, stays the gateway should count
        by.setdefault(r["store"], []).append(dwell)
print(f"{'store':<14} {'visits':>6} {'median dwell':>13}")
for s in sorted(by):
    print(f"{s:<14} {len(by[s]):>6} {statistics.median(by[s]):>12.0f}s")
PY
fi

echo >&2
echo "== uploading the buffer to the collector (mallgate sync --once)" >&2
"$bin" sync --once --config "$demo/gateway.toml" --give-up-after 60 >&2
echo "== what the collector holds: per-store footfall for the day (GET /v1/venues/demo-mall/stores?format=csv&bucket=day)" >&2
python3 -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode(), end='')" \
    "http://127.0.0.1:$port/v1/venues/demo-mall/stores?format=csv&bucket=day" | head -12
kill $collector_pid 2>/dev/null; wait $collector_pid 2>/dev/null || true
trap - EXIT

echo >&2
echo "Collector: $demo/collector.sqlite (log $demo/collector.log)" >&2
echo "Database: $demo/state/buffer.sqlite   Floor plans: $demo/plans/*.svg   Truth: $demo/truth/" >&2
