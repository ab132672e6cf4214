#!/usr/bin/env bash
# MallGate demo, end to end on a fresh Debian/Ubuntu machine with Swift on the PATH.
#
#   scripts/demo.sh            replay the bundled demo venue (3 sensors along a corridor)
#   scripts/demo.sh wlan1      listen to a real monitor-mode radio for 60 s instead
#                              (needs root or CAP_NET_RAW + CAP_NET_ADMIN)
#
# Installs the system packages it needs, builds the release binary, then decodes what
# the sensors heard: every probe request with its sensor, RSSI, channel and IE
# fingerprint, and a per-sensor summary.
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
echo "== writing the demo venue into $demo/ (scripts/demo/make-demo-venue.py)" >&2
python3 scripts/demo/make-demo-venue.py "$demo" >&2
sources=(entrance="$demo/entrance.pcap" middle="$demo/middle.pcap" foodcourt="$demo/foodcourt.pcap")

echo "== the first 30 probe requests the three sensors heard, in time order" >&2
"$bin" parse "${sources[@]}" --format table --count 30 2>/dev/null
echo >&2
echo "== the same as JSON lines (what 'mallgate parse' prints by default), first 2" >&2
"$bin" parse "${sources[@]}" --count 2 2>/dev/null
echo >&2
echo "== everything, summarised per sensor" >&2
"$bin" parse "${sources[@]}" --format none
