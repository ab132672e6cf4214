#!/usr/bin/env bash
# Regenerates Sources/MallGateWire/mallgate_sync.pb.swift from mallgate_sync.proto.
# Run after changing the .proto and commit both files; the build never runs protoc (no build
# plugin: it would cost every clean build minutes).
#   protoc           Debian: apt install protobuf-compiler
#   protoc-gen-swift swift-protobuf 1.39.0 (the version Package.swift names), built once outside
#                    the repository, e.g.:
#                      git clone -b 1.39.0 https://github.com/apple/swift-protobuf /tmp/protogen/swift-protobuf
#                      (cd /tmp/protogen/swift-protobuf && swift build -c release --product protoc-gen-swift)
#                    then PROTOC_GEN_SWIFT=/tmp/protogen/swift-protobuf/.build/release/protoc-gen-swift
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-/tmp/protogen/swift-protobuf/.build/release/protoc-gen-swift}"
[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin; build it (see this script's header) or set PROTOC_GEN_SWIFT" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc not found; apt install protobuf-compiler" >&2; exit 1; }
protoc --plugin=protoc-gen-swift="$plugin" \
    --proto_path=Sources/MallGateWire \
    --swift_opt=Visibility=Internal \
    --swift_out=Sources/MallGateWire \
    Sources/MallGateWire/mallgate_sync.proto
echo "wrote Sources/MallGateWire/mallgate_sync.pb.swift ($("$plugin" --version 2>/dev/null || echo protoc-gen-swift), $(protoc --version))"
