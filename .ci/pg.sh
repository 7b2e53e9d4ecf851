#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite, in a temporary directory.
#
#   .ci/pg.sh run CMD [ARG...]  start a fresh server, run CMD with KIOSK_TEST_PG_URL set,
#                               stop the server and delete its directory (even if CMD fails)
#   .ci/pg.sh start [DIR]       start a server in DIR (default: one per checkout under /tmp),
#                               print its URL; a leftover server in DIR is stopped first
#   .ci/pg.sh url [DIR]         print the URL of the server started in DIR
#   .ci/pg.sh stop [DIR]        stop it and delete DIR
#
# Trust authentication on 127.0.0.1 only, fsync off: for local tests, never for data.
# The data directory goes to /dev/shm (memory) when there is room, else to $TMPDIR or
# /tmp; KIOSK_PG_TMPDIR chooses. Each test copies a template database (CREATE DATABASE),
# which on a busy disk took ~0.5 s and in memory takes a few ms.
# Works as root (initdb/pg_ctl run as the `postgres` user), with no stdin, and after a
# killed run: `run` removes servers whose owning process is gone before starting.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
pick_tmproot() {
    if [ -n "${KIOSK_PG_TMPDIR:-}" ]; then echo "$KIOSK_PG_TMPDIR"; return; fi
    # /dev/shm when writable with at least 1 GiB free (the suite's server needs ~100 MB)
    if [ -d /dev/shm ] && [ -w /dev/shm ] &&
        [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" -gt 1048576 ] 2>/dev/null; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}
TMPROOT=$(pick_tmproot)
PGUSER_OS=postgres

say() { echo "pg.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

find_bindir() {
    local d
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

ensure_bindir() {
    if BINDIR=$(find_bindir); then return 0; fi
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's 'postgresql' package"
    say "PostgreSQL not found: installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq --no-install-recommends postgresql </dev/null >&2
    BINDIR=$(find_bindir) || die "apt-get installed postgresql but initdb/pg_ctl are still missing"
}

# Run a server binary as the postgres user when we are root (initdb refuses root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
        runuser -u "$PGUSER_OS" -- "$@"
    else
        "$@"
    fi
}

default_dir() {
    local name root
    name="kiosk-pg.$(id -u).$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)"
    for root in "$TMPROOT" /dev/shm "${TMPDIR:-/tmp}"; do  # where an earlier `start` put it
        [ -d "$root/$name" ] && { echo "$root/$name"; return; }
    done
    echo "$TMPROOT/$name"
}

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

url_of() {
    local dir=$1
    [ -f "$dir/port" ] || die "no server started in $dir: run '.ci/pg.sh start' first"
    echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

# Stop whatever server runs in DIR (fast, then immediate) and delete DIR.
# Stop whatever server runs in DIR, keeping DIR (and its owner file).
stop_server() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ] && BINDIR=$(find_bindir); then
        (cd "$dir" && as_pg "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1) ||
            (cd "$dir" && as_pg "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1) || true
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then  # pg_ctl could not stop it: kill the postmaster itself
        local pid
        pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = postgres ]; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
}

stop_dir() {
    stop_server "$1"
    rm -rf "$1"
}

# Servers left by `run`s that were killed (their owner process is gone). Another checkout's
# `run` going on at the same time keeps its owner file from start to end and is left alone.
reap_stale() {
    local dir owner
    for dir in "$TMPROOT"/kiosk-pg-run.* /dev/shm/kiosk-pg-run.* "${TMPDIR:-/tmp}"/kiosk-pg-run.*; do
        [ -d "$dir" ] || continue
        owner=$(cat "$dir/owner" 2>/dev/null || true)
        # No owner file: a run being set up (or one of an older pg.sh): never ours to stop.
        [ -n "$owner" ] || continue
        if ! kill -0 "$owner" 2>/dev/null; then
            say "removing the server of a killed run in $dir"
            stop_dir "$dir"
        fi
    done
}

start_dir() {
    local dir=$1 port attempt
    ensure_bindir
    stop_server "$dir"  # a leftover server; the folder stays (a `run` keeps its owner file in it)
    rm -rf "$dir/data" "$dir/port" "$dir/server.log" "$dir/initdb.log"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && { id "$PGUSER_OS" >/dev/null 2>&1 || as_pg true; chown "$PGUSER_OS:" "$dir"; }
    cd "$dir"  # the postgres user may not be allowed into the caller's directory
    as_pg "$BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    for attempt in 1 2 3; do  # the port is free when picked; retry if someone takes it first
        port=$(free_port)
        if as_pg "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'" \
            -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            -o "-c timezone=UTC -c log_min_messages=warning" \
            start >/dev/null; then
            echo "$port" >"$dir/port"
            return 0
        fi
        say "server did not start on port $port (attempt $attempt)"
    done
    tail -n 20 "$dir/server.log" >&2 || true
    die "could not start PostgreSQL in $dir"
}

cmd=${1:-}
shift || true
case "$cmd" in
    start)
        dir=${1:-${KIOSK_PG_DIR:-$(default_dir)}}
        start_dir "$dir"
        url_of "$dir"
        ;;
    url)
        url_of "${1:-${KIOSK_PG_DIR:-$(default_dir)}}"
        ;;
    stop)
        stop_dir "${1:-${KIOSK_PG_DIR:-$(default_dir)}}"
        ;;
    run)
        [ $# -gt 0 ] || die "usage: .ci/pg.sh run CMD [ARG...]"
        reap_stale
        dir=$(mktemp -d "$TMPROOT/kiosk-pg-run.XXXXXX")
        echo $$ >"$dir/owner"
        trap 'stop_dir "$dir"' EXIT
        trap 'exit 130' INT TERM
        start_dir "$dir"
        KIOSK_TEST_PG_URL=$(url_of "$dir")
        export KIOSK_TEST_PG_URL
        cd "$REPO"
        say "PostgreSQL test server at $KIOSK_TEST_PG_URL"
        status=0
        "$@" || status=$?
        exit "$status"
        ;;
    *)
        echo "usage: .ci/pg.sh run CMD [ARG...] | start [DIR] | url [DIR] | stop [DIR]" >&2
        exit 2
        ;;
esac
