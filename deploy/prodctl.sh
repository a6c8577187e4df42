#!/usr/bin/env bash
# `make prod` / `make prod-stop`: the CRM in production shape on this machine, in the background.
#
#   deploy/prodctl.sh start    settings from instance/prod.env (made on first run, with a fresh
#                              SECRET_KEY, mode 600), database created if missing and migrated,
#                              Redis checked, gunicorn + two mail workers (+ a local mail sink
#                              when no mail server is configured)
#   deploy/prodctl.sh stop     stops what start started (pid files under instance/)
#   deploy/prodctl.sh status
#
# Logs: instance/log/. This is for trying the production setup on one machine; a real server
# runs the same commands under systemd (docs/deployment.md, deploy/systemd/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
INSTANCE=${CRM_INSTANCE_DIR:-$ROOT/instance}
ENV_FILE=$INSTANCE/prod.env
LOG=$INSTANCE/log
WORKERS=2
SERVICES=(web $(seq -f "worker-%g" 1 $WORKERS) mail-sink)

pidfile() { echo "$INSTANCE/$1.pid"; }

alive() {
    local file
    file=$(pidfile "$1")
    [ -s "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null
}

write_env_file() {
    # A new secret for this machine; never committed (instance/ is ignored), readable by us only
    # from the first byte written (umask), not only after the chmod.
    local secret
    secret=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))')
    (umask 077 && touch "$ENV_FILE")
    cat >"$ENV_FILE" <<EOF
# Settings of \`make prod\` on this machine (made by deploy/prodctl.sh; edit freely).
# Every variable is described in docs/deployment.md.
CRM_CONFIG=production
SECRET_KEY=$secret
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/crm_prod
RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1
CRM_BIND=127.0.0.1:8000
PUBLIC_BASE_URL=http://localhost:8000
# No reverse proxy here; behind one (nginx with TLS) set PROXY_COUNT=1.
PROXY_COUNT=0
# Plain http on this machine: browsers keep Secure cookies for localhost, so this stays on.
SESSION_COOKIE_SECURE=1
# Unset MAIL_SERVER (or 127.0.0.1:8025 with nothing listening): a local sink keeps every
# message as a file under instance/prod-mailbox. Set a real relay to send for real.
MAIL_SERVER=127.0.0.1
MAIL_PORT=8025
EOF
    chmod 600 "$ENV_FILE"
    echo "  wrote $ENV_FILE (mode 600) with a new SECRET_KEY"
}

load_env() {
    mkdir -p "$INSTANCE" "$LOG"
    [ -f "$ENV_FILE" ] || write_env_file
    chmod 600 "$ENV_FILE"
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    export CRM_CONFIG=${CRM_CONFIG:-production}
    export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/crm_prod}
    export RATELIMIT_STORAGE_URI=${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/1}
    export CRM_BIND=${CRM_BIND:-127.0.0.1:8000}
    export MAIL_SERVER=${MAIL_SERVER:-127.0.0.1}
    export MAIL_PORT=${MAIL_PORT:-8025}
}

create_database() {
    # The maintenance database on the same server, and the name of ours, from DATABASE_URL.
    local parts name admin
    parts=$("$BIN/python" - <<'PY'
import os
from sqlalchemy.engine import make_url
url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
print(url.database)
print(url.set(database="postgres").render_as_string(hide_password=False))
PY
)
    name=$(sed -n 1p <<<"$parts")
    admin=$(sed -n 2p <<<"$parts")
    if [[ ! $name =~ ^[A-Za-z0-9_]+$ ]]; then
        echo "  the database name '$name' must be letters, digits and _" >&2
        return 1
    fi
    if [ "$(psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
        psql "$admin" -qc "CREATE DATABASE $name"
        echo "  created database $name"
    fi
}

check_redis() {
    "$BIN/python" - <<'PY'
import os, sys
import redis
url = os.environ["RATELIMIT_STORAGE_URI"]
if url.startswith("redis"):
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        sys.exit(f"  Redis at {url} does not answer ({error}): public forms would refuse with 503")
PY
}

port_open() {
    "$BIN/python" -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1" "$2"
}

background() {
    # Its own session: a Ctrl-C in the terminal that ran make does not reach it.
    local name=$1
    shift
    setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile "$name")"
}

start_mail() {
    if [[ $MAIL_SERVER == 127.0.0.1 || $MAIL_SERVER == localhost ]] && [ "$MAIL_PORT" = 8025 ]; then
        if port_open "$MAIL_SERVER" "$MAIL_PORT"; then
            echo "  mail: to the SMTP server already listening on $MAIL_SERVER:$MAIL_PORT"
        else
            background mail-sink "$BIN/python" deploy/mail_sink.py "$INSTANCE/prod-mailbox" \
                --port "$MAIL_PORT"
            echo "  mail: no mail server configured, so a local sink on $MAIL_SERVER:$MAIL_PORT" \
                "keeps every message under $INSTANCE/prod-mailbox (nothing leaves this machine)"
        fi
    else
        echo "  mail: to $MAIL_SERVER:$MAIL_PORT"
    fi
}

start() {
    for service in "${SERVICES[@]}"; do
        if alive "$service"; then
            echo "already running ($service, pid $(cat "$(pidfile "$service")")): make prod-stop first"
            return 1
        fi
    done
    load_env
    create_database
    "$BIN/flask" --app wsgi db upgrade 2>>"$LOG/migrate.log"
    check_redis
    local host=${CRM_BIND%:*} port=${CRM_BIND##*:}
    if port_open "$host" "$port"; then
        echo "  $CRM_BIND is taken: set CRM_BIND in $ENV_FILE" >&2
        return 1
    fi
    start_mail
    "$BIN/gunicorn" -c deploy/gunicorn.conf.py --daemon --pid "$(pidfile web)" \
        --access-logfile "$LOG/access.log" --error-logfile "$LOG/web.log" \
        --capture-output
    for i in $(seq 1 $WORKERS); do
        background "worker-$i" "$BIN/flask" --app wsgi crm worker
    done
    for _ in $(seq 1 60); do
        port_open "$host" "$port" && break
        sleep 0.5
    done
    if ! port_open "$host" "$port"; then
        echo "  gunicorn did not start; the end of $LOG/web.log:" >&2
        tail -n 20 "$LOG/web.log" >&2
        stop
        return 1
    fi
    echo ""
    echo "  The CRM runs in production shape at http://localhost:$port/ (bound to $CRM_BIND)"
    echo "  gunicorn: ${WEB_CONCURRENCY:-$(($(nproc) * 2 + 1))} workers x ${GUNICORN_THREADS:-4}" \
        "threads; mail workers: $WORKERS; database: ${DATABASE_URL%%\?*};" \
        "rate limits: $RATELIMIT_STORAGE_URI"
    echo "  Logs: $LOG/   Settings: $ENV_FILE   Stop: make prod-stop"
    echo "  First admin: CRM_CONFIG=production .venv/bin/flask --app wsgi crm create-user" \
        "EMAIL --role admin (with the same environment: set -a; . $ENV_FILE)"
}

stop() {
    local service pid
    for service in "${SERVICES[@]}"; do
        if alive "$service"; then
            pid=$(cat "$(pidfile "$service")")
            kill -TERM "$pid"
            for _ in $(seq 1 60); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.5
            done
            if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid"
            fi
            echo "  stopped $service (pid $pid)"
        fi
        rm -f "$(pidfile "$service")"
    done
}

status() {
    local service
    for service in "${SERVICES[@]}"; do
        if alive "$service"; then
            echo "  $service: running (pid $(cat "$(pidfile "$service")"))"
        else
            echo "  $service: stopped"
        fi
    done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
