#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the collector's PostgreSQL tests and benchmarks:
# installs Debian's `postgresql` if missing, runs initdb + pg_ctl as user postgres in a temp
# directory on a free loopback port (trust auth, loopback only), creates database `mallgate`.
#
#   eval "$(scripts/ci-postgres.sh start)"   # exports MALLGATE_TEST_POSTGRES_URL and MALLGATE_TEST_POSTGRES_DIR
#   scripts/ci-postgres.sh stop DIR          # stops it and removes DIR
#
# scripts/test.sh (README's test command, which .ci/run runs) calls `start` before the tests and `stop` after; the tests skip the PostgreSQL
# cases (saying so) when MALLGATE_TEST_POSTGRES_URL is unset.
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else $sudo -u postgres "$@" 2>/dev/null || su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
}

start() {
    if ! bin=$(pg_bin); then
        echo "Installing postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        bin=$(pg_bin)
    fi
    # A free port: ask the kernel for one, then give it to PostgreSQL.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    dir=$(mktemp -d /tmp/mallgate-pg.XXXXXX)
    chown postgres: "$dir" 2>/dev/null || true
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres mallgate
    echo "export MALLGATE_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/mallgate?sslmode=disable'"
    echo "export MALLGATE_TEST_POSTGRES_DIR='$dir'"
}

stop() {
    local dir="${1:-${MALLGATE_TEST_POSTGRES_DIR:-}}"
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "usage: $0 stop DIR (the MALLGATE_TEST_POSTGRES_DIR start printed)" >&2; exit 1; }
    bin=$(pg_bin)
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
