#!/usr/bin/env bash
# Decode-only benchmark and callgrind harness: MallGateDecode without libpcap, threads or batching.
#
# Usage: scripts/bench/decode-loop.sh [FILE.pcap]   (default bench-out/probes-1000000.pcap; run decode.sh once to make it)
# Environment (all optional):
#   FRAMES=100000  frames decoded per repetition (from the start of the file)
#   REPEATS=20     repetitions; the best one is reported (ns/frame, wall clock, pinned to CPU)
#   CPU=1          core to pin to (taskset -c)
#   CALLGRIND=N    instead of timing, count instructions with valgrind's callgrind over N frames
#                  and print instructions/frame plus the top functions (deterministic, unlike timings)
# Builds bench-out/decode-loop from Sources/MallGateDecode/*.swift + scripts/bench/DecodeLoop.swift as one
# module (-O -wmo, like the release build of the package), the same way scripts/fuzz builds its fuzzer.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p bench-out
file=${1:-bench-out/probes-1000000.pcap}
[ -s "$file" ] || { echo "decode-loop.sh: $file is missing; run scripts/bench/decode.sh (or make-probe-pcap.py) first" >&2; exit 1; }

# From inside bench-out/: with -g, swiftc leaves MallGateDecode-*.swiftmodule/doc files in its working directory.
(cd bench-out && swiftc -O -g -wmo -parse-as-library -module-name MallGateDecode \
    "$root"/Sources/MallGateDecode/*.swift "$root"/scripts/bench/DecodeLoop.swift -o decode-loop)

if [ -n "${CALLGRIND:-}" ]; then
    out=bench-out/decode-loop.callgrind
    # Two runs (N frames and none) so the program's start-up cost can be subtracted.
    valgrind --tool=callgrind --callgrind-out-file="$out" bench-out/decode-loop "$file" "$CALLGRIND" 1 >/dev/null 2>"$out.log"
    valgrind --tool=callgrind --callgrind-out-file="$out.0" bench-out/decode-loop "$file" 0 1 >/dev/null 2>"$out.0.log"
    total=$(sed -n 's/.*Collected : //p' "$out.log")
    base=$(sed -n 's/.*Collected : //p' "$out.0.log")
    echo "instructions/frame: $(( (total - base) / CALLGRIND )) (callgrind, $CALLGRIND frames of $file)"
    callgrind_annotate "$out" 2>/dev/null | grep -E '^ *[0-9,]+ .*MallGateDecode' | head -12
else
    taskset -c "${CPU:-1}" bench-out/decode-loop "$file" "${FRAMES:-100000}" "${REPEATS:-20}"
fi
