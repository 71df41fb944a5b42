#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for Weir's tests and benchmarks.
#
#   scripts/postgres-server.sh start DIR [MAX_PREPARED_TRANSACTIONS]   prints the server's URL
#   scripts/postgres-server.sh stop DIR
#   scripts/postgres-server.sh restart DIR [DOWNTIME]   same port, same data (prepared transactions survive)
#
# `start` installs PostgreSQL from Debian's packages if it is missing (without creating or
# starting Debian's own cluster), creates a data directory in DIR, starts the server on a free
# port of 127.0.0.1 with trust authentication for the user `weir` and the database `weir`, and
# prints `postgres://weir@127.0.0.1:PORT/weir`. `stop` stops the server started in DIR, by the
# pid it recorded, and removes nothing else. MAX_PREPARED_TRANSACTIONS defaults to 64
# (PostgreSQL's own default, 0, disables PREPARE TRANSACTION).
set -euo pipefail

command="${1:?usage: postgres-server.sh start|stop DIR [MAX_PREPARED_TRANSACTIONS]}"
dir="${2:?usage: postgres-server.sh start|stop DIR [MAX_PREPARED_TRANSACTIONS]}"
max_prepared="${3:-64}"  # start; for restart, the third argument is the downtime in seconds

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

install_postgres() {
    echo "postgres-server: installing PostgreSQL from Debian's packages" >&2
    # No cluster of Debian's own: it would be started as a service we did not ask for.
    mkdir -p /etc/postgresql-common
    if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
}

# Runs a command as the unprivileged `postgres` user when we are root (the server refuses root).
as_server_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        install_postgres
        bin="$(find_bin)"
    fi
    [ -n "$bin" ] || { echo "postgres-server: no PostgreSQL server binaries after installing" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        # The server user must reach DIR through its parent (often a 0700 mktemp directory).
        chmod a+x "$(dirname "$dir")"
    fi
    as_server_user "$bin/initdb" -D "$dir/data" -U weir --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_prepared_transactions = $max_prepared
max_connections = 100
EOF
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_server_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U weir weir
    head -1 "$dir/data/postmaster.pid" >"$dir/server.pid"
    echo "postgres://weir@127.0.0.1:$port/weir"
}

stop() {
    [ -f "$dir/server.pid" ] || return 0
    local pid
    pid="$(cat "$dir/server.pid")"
    # SIGINT = fast shutdown: roll back what is open, leave prepared transactions prepared.
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$dir/server.pid"; return 0; }
        sleep 0.1
    done
    echo "postgres-server: server $pid did not stop in 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
}

# Stops the server started in DIR (fast shutdown: sessions cut, prepared transactions kept),
# leaves it down for DOWNTIME seconds (default 0), and starts it again on the same port with the
# same data — a database outage under a running job.
restart() {
    [ -f "$dir/server.pid" ] || { echo "postgres-server: no server started in $dir" >&2; exit 1; }
    stop
    sleep "${3:-0}"  # restart's third argument
    local bin
    bin="$(find_bin)"
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    head -1 "$dir/data/postmaster.pid" >"$dir/server.pid"
}

case "$command" in
    start) start ;;
    stop) stop ;;
    restart) restart ;;
    *) echo "usage: postgres-server.sh start|stop|restart DIR [MAX_PREPARED_TRANSACTIONS]" >&2; exit 2 ;;
esac
