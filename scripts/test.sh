#!/usr/bin/env bash
# Runs MallGate's test suite: installs the system packages it needs, starts a throw-away
# PostgreSQL for the collector's tests (unless MALLGATE_TEST_POSTGRES_URL names one already),
# then `swift test` (arguments, if any, go to it; without any, the browser scenario runs after the
# rest, see below). Swift Testing runs the tests in parallel; the conformance tests compare
# MallGate with tshark on the real captures in ../shared (skipped, with a message, if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ -z "${MALLGATE_TEST_POSTGRES_URL:-}" ]; then
    if pg=$(scripts/ci-postgres.sh start); then
        eval "$pg"
        trap 'scripts/ci-postgres.sh stop "$MALLGATE_TEST_POSTGRES_DIR"' EXIT
    else
        echo "test.sh: could not start PostgreSQL; its collector tests will be skipped" >&2
    fi
fi
if [ $# -gt 0 ]; then
    swift test "$@"
    exit
fi
# The browser scenario (MallGateWebUITests) is one synchronous test of about three minutes that
# drives Chromium; it holds one of the cooperative pool's threads (two on a two-core CI machine)
# the whole time, and the in-process collector tests beside it then starved past their timeouts.
# It runs on its own, after the rest.
swift build --build-tests
swift test --skip-build --skip MallGateWebUITests
swift test --skip-build --filter MallGateWebUITests
