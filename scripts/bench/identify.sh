#!/bin/sh
# Identify-stage bench: ns/frame for DeviceIdentifier (cache hit / miss) and PseudoDeviceGrouper,
# release build, pinned to one core. Usage: scripts/bench/identify.sh   Env: FRAMES (5000000), REPEATS (5), CPU (1).
# Builds a throwaway package in bench-out/identify-bench that depends on this one by path.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/bench-out/identify-bench"
mkdir -p "$DIR/Sources/IdentifyBench"
cp "$ROOT/scripts/bench/identify/main.swift" "$DIR/Sources/IdentifyBench/main.swift"
cat > "$DIR/Package.swift" <<PKG
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "IdentifyBench",
    dependencies: [.package(name: "MallGate", path: "$ROOT")],
    targets: [.executableTarget(name: "IdentifyBench", dependencies: [
        .product(name: "MallGateIdentify", package: "MallGate"), .product(name: "MallGateDecode", package: "MallGate")])]
)
PKG
swift build -c release --package-path "$DIR" >&2
taskset -c "${CPU:-1}" "$DIR/.build/release/IdentifyBench"
