#!/usr/bin/env bash
# The windows stage alone: FingerprintWindows.add ns/reading, this tree vs main before the in-place rewrite
# (commit 97ec56b), side by side in one process on the same 2,000,000 readings (20,000 devices, bursts of 8
# readings over 34 sensors), CPU time (getrusage), pinned. Both compiled with swiftc -O into one binary.
# Usage: scripts/bench/windows.sh      Environment: CPU=0, BASE=97ec56b
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=bench-out/windows
mkdir -p "$out"
git show "${BASE:-97ec56b}:Sources/MallGateLocalize/FingerprintWindow.swift" | sed -n '/^public struct FingerprintWindows/,$p' \
    | sed 's/FingerprintWindows/OldFingerprintWindows/g' > "$out/old.swift"
cp scripts/bench/windows/main.swift "$out/main.swift"
swiftc -O -swift-version 6 Sources/MallGateLocalize/FingerprintWindow.swift Sources/MallGateLocalize/Sample.swift \
    "$out/old.swift" "$out/main.swift" -o "$out/windows-bench"
taskset -c "${CPU:-0}" "$out/windows-bench"
