#!/usr/bin/env bash
# Builds the release binaries a gateway runs: mallgate with the Swift runtime linked in
# (--static-swift-stdlib), so the box needs only libpcap, SQLite and zlib from Debian.
#
#   scripts/build-release.sh                      this machine's architecture → dist/<arch>/
#   scripts/build-release.sh --arch aarch64       a Raspberry Pi 4/5 or other ARM64 gateway
#
# Cross-compiling to another architecture needs a Swift SDK for it (`swift sdk list`):
#   * the Swift Static Linux SDK (swift.org, "static-linux-0.0.1", musl) gives a fully static
#     binary, but the SDK's sysroot must also hold libpcap, libsqlite3 and zlib built for musl
#     and that architecture (set MALLGATE_SYSROOT_LIBS to a directory with the .a files);
#   * or a Debian-sysroot SDK made with swift-sdk-generator for `aarch64-unknown-linux-gnu`
#     with libpcap-dev, libsqlite3-dev and zlib1g-dev added to its sysroot.
# Without one, build natively on the target (or in a qemu-user arm64 Debian chroot): this
# script then runs unchanged there. The result is checked with `file` before it is reported.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
HOST=$(uname -m)
ARCH=$HOST
SDK=""
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) ARCH=$2; shift 2 ;;
        --swift-sdk) SDK=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-release.sh: unknown option '$1'" >&2; exit 1 ;;
    esac
done
case "$ARCH" in arm64) ARCH=aarch64 ;; amd64) ARCH=x86_64 ;; esac
OUT=$HERE/dist/$ARCH
mkdir -p "$OUT"
cd "$HERE"
if [ "$ARCH" = "$HOST" ] && [ -z "$SDK" ]; then
    swift build -c release --product mallgate --static-swift-stdlib
    BIN=$(swift build -c release --show-bin-path)/mallgate
else
    if [ -z "$SDK" ]; then
        SDK=$(swift sdk list 2>/dev/null | grep -E "^${ARCH}-swift-linux-musl|${ARCH}-unknown-linux-gnu" | head -1 || true)
    fi
    if [ -z "$SDK" ]; then
        cat >&2 <<MSG
build-release.sh: no Swift SDK for $ARCH is installed here (swift sdk list shows none).
Install one (see the comment at the top of this script and docs/deployment.md), or run this
script on an $ARCH machine, where it builds natively.
MSG
        exit 2
    fi
    extra=()
    if [ -n "${MALLGATE_SYSROOT_LIBS:-}" ]; then extra+=(-Xlinker -L"$MALLGATE_SYSROOT_LIBS"); fi
    swift build -c release --product mallgate --swift-sdk "$SDK" --static-swift-stdlib "${extra[@]}"
    BIN=$(swift build -c release --swift-sdk "$SDK" --show-bin-path)/mallgate
fi
cp "$BIN" "$OUT/mallgate"
strip --strip-unneeded "$OUT/mallgate" 2>/dev/null || true
file "$OUT/mallgate" >&2
ls -l "$OUT/mallgate" >&2
echo "$OUT/mallgate"
