#!/usr/bin/env bash
# Runs MallGate's test suite: installs the system packages it needs, then `swift test`.
# Swift Testing runs the tests in parallel; the conformance tests compare MallGate
# with tshark on the real captures in ../shared (skipped, with a message, if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec swift test "$@"
