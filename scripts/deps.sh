#!/usr/bin/env bash
# Installs the Debian packages MallGate builds, runs and tests with.
# Idempotent: packages already present are not touched. Needs root (or sudo).
#   libpcap-dev      capture (the CPcap system library)
#   zlib1g-dev       IMDF .zip import (the CZlib system library)
#   libsqlite3-dev   the on-gateway buffer (GRDB on the system SQLite)
#   tshark, tcpdump  reference peers for the conformance tests and benchmarks
#   iw, iproute2     channel control; network namespaces in the live-path tests
#   python3          capture generators used by the demo and the benchmarks
#   systemd          systemd-analyze (unit checks) and systemd-sysusers (installer tests)
#   dpkg-dev, fakeroot  building and installing the .deb in the packaging test
#   protobuf-compiler protoc: the sync tests cross-check the wire format with it; scripts/gen-proto.sh
#   sqlite3          the reference reader of the gateway's buffer in tests
#   postgresql       the collector's shared database, started by scripts/ci-postgres.sh for the tests
#   chromium, python3-websocket  the web UI tests drive headless Chromium over the DevTools protocol
#                    (Tests/MallGateWebUITests/cdp.py, run by /usr/bin/python3)
set -euo pipefail

packages=(libpcap-dev zlib1g-dev libsqlite3-dev tshark tcpdump iw iproute2 python3 systemd dpkg-dev fakeroot
    protobuf-compiler sqlite3 postgresql chromium python3-websocket)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
