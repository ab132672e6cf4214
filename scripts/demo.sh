#!/usr/bin/env bash
# MallGate demo, end to end on a fresh Debian/Ubuntu machine with Swift on the PATH.
#
#   scripts/demo.sh            simulate the bundled demo venue (2 floors, 30 stores, 34
#                              sensors) and decode what its sensors heard
#   scripts/demo.sh wlan1      listen to a real monitor-mode radio for 60 s instead
#                              (needs root or CAP_NET_RAW + CAP_NET_ADMIN)
#
# Installs the system packages it needs, builds the release binary, simulates ten minutes
# of firmware-configs/venues/demo-mall.json (one pcap per sensor plus ground truth), then
# decodes what the sensors heard: every probe request with its sensor, RSSI, channel and
# IE fingerprint, and a per-sensor summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
echo "== building mallgate (release)" >&2
swift build -c release --product mallgate 2>&1 | grep -E "error|warning: unre|Compiling mallgate|Build complete" >&2 || true
bin=.build/release/mallgate
[ -x "$bin" ] || { echo "build failed: run 'swift build -c release' to see why" >&2; exit 1; }

if [ $# -ge 1 ]; then
    echo "== listening on $1 (channels 1, 6, 11; 60 s; Ctrl-C stops)" >&2
    exec "$bin" parse "iface:$1" --hop 1,6,11 --dwell-ms 250 --duration 60 --format table
fi

demo=.demo
venue=firmware-configs/venues/demo-mall.json
echo "== the demo venue: $venue" >&2
mkdir -p "$demo/plans"
"$bin" venue show "$venue" --svg-dir "$demo/plans" >&2
echo "== simulating 10 minutes of it: 150 visitors, 34 sensors (mallgate simulate)" >&2
rm -f "$demo"/*.pcap
"$bin" simulate --venue "$venue" --out "$demo" --duration 10m --visitors 150 --no-calibration-walk --seed 1 >/dev/null
captures=("$demo"/*.pcap)

echo "== the first 30 probe requests the sensors heard, in time order (mallgate parse)" >&2
"$bin" parse "${captures[@]}" --format table --count 30 2>/dev/null
echo >&2
echo "== the same as JSON lines (what 'mallgate parse' prints by default), first 2" >&2
"$bin" parse "${captures[@]}" --count 2 2>/dev/null
echo >&2
echo "== everything, summarised per sensor" >&2
"$bin" parse "${captures[@]}" --format none
echo >&2
echo "Floor plans: $demo/plans/*.svg   Captures and ground truth: $demo/" >&2
