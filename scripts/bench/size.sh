#!/usr/bin/env bash
# Binary size of `mallgate`: release with the dynamic Swift runtime and with --static-swift-stdlib, stripped,
# and whether the full Foundation is linked (its symbols, and libFoundation.so among the needed libraries).
#
# Usage: scripts/bench/size.sh      Environment: STATIC=yes|no (default yes; the static build goes to .build-static, slow the first time)
#                                                 MALLGATE=path (an already-built release binary, e.g. from another --scratch-path; not rebuilt)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p bench-out
report() {  # label, binary
    strip -o bench-out/mallgate.stripped "$2"
    local foundation
    foundation=$(nm "$2" 2>/dev/null | grep -c ' s10Foundation\| \$s10Foundation' || true)
    echo "| $1 | $(stat -c %s "$2") | $(stat -c %s bench-out/mallgate.stripped) | $foundation | $(ldd "$2" | awk '{print $1}' | grep -E 'Foundation|swift|pcap|libz|sqlite' | tr '\n' ' ') |"
}
bin=${MALLGATE:-.build/release/mallgate}
[ -n "${MALLGATE:-}" ] || swift build -c release --product mallgate >/dev/null
echo "| build | bytes | stripped bytes | full-Foundation symbols | Swift/system libraries needed |"
echo "|---|---:|---:|---:|---|"
report "release, dynamic Swift runtime" "$bin"
if [ "${STATIC:-yes}" = yes ]; then
    swift build -c release --product mallgate --static-swift-stdlib --scratch-path .build-static >/dev/null
    report "release, --static-swift-stdlib" .build-static/release/mallgate
fi
