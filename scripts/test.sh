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
# Three runs of the one build, each its own process with its own cooperative pool (one thread
# per core: two on the CI machine). Tests that wait on child processes or simulate venues hold
# pool threads; in the same process they starved the in-process collectors, uploaders and web
# servers of the sync and web tests past their timeouts. So: those first, then the sync and web
# tests by themselves, then the browser scenario (one synchronous test of about three minutes
# that drives Chromium) alone.
swift build --build-tests
# Every run goes ahead even when one before it failed, so one CI log shows every failure.
failed=0
swift test --skip-build --skip MallGateWebUITests --skip MallGateSyncTests --skip MallGateWebTests || failed=1
swift test --skip-build --filter MallGateSyncTests --filter MallGateWebTests || failed=1
swift test --skip-build --filter MallGateWebUITests || failed=1
exit $failed
