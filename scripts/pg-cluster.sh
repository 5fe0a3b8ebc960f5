#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for atkafka's tests (the real Ozone keeps its data in it):
# initdb in a work dir, a free loopback port, run as an unprivileged user (postgres refuses
# to run as root: as root the cluster runs as the `postgres` system user, else `nobody`).
# Fast and unsafe on purpose (fsync off): test data only.
#
#   pg-cluster.sh bindir                 print the directory of initdb/postgres (exit 1 if none)
#   pg-cluster.sh start WORKDIR [PID]    initdb + start in WORKDIR, wait until it answers; with
#                                        PID, a watchdog stops it (and removes WORKDIR) when that
#                                        process dies
#   pg-cluster.sh stop WORKDIR [--rm]    stop it (fast shutdown, then KILL), optionally remove WORKDIR
#
# After start, WORKDIR/env holds (shell syntax, also valid for `node --env-file`):
#   PG_URL    postgresql://atkafka@127.0.0.1:PORT/postgres (trust auth, loopback only)
#   PG_PORT   the port
set -euo pipefail

TIMEOUT="${PG_START_TIMEOUT:-60}"
log() { echo "pg-cluster: $*" >&2; }

bindir() {
  local d best=""
  # Debian: /usr/lib/postgresql/<major>/bin, the newest major wins
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && best="$d"
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    best="$(dirname "$(command -v initdb)")"
  fi
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

# the user the cluster runs as, and how to run a command as that user
run_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; else echo nobody; fi
}
as_user() {
  local user="$1"
  shift
  if [ "$(id -un)" = "$user" ]; then "$@"; return; fi
  if command -v runuser >/dev/null 2>&1; then runuser -u "$user" -- "$@"; return; fi
  setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
}

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })' 2>/dev/null ||
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local work="${1:?usage: start WORKDIR [WATCH_PID]}" watch="${2:-}" bin user t0=$SECONDS
  bin="$(bindir)" || { log "initdb/postgres not found: run scripts/setup-postgres.sh"; return 1; }
  user="$(run_user)"
  [ -f "$work/data/postmaster.pid" ] && stop "$work"
  mkdir -p "$work"
  rm -rf "$work/data" "$work/sock" "$work/env"
  mkdir -p "$work/data" "$work/sock"
  chown "$user" "$work" "$work/data" "$work/sock"
  chmod 700 "$work/data"
  as_user "$user" "$bin/initdb" -D "$work/data" -U atkafka -A trust -E UTF8 --no-sync --no-instructions \
    >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; return 1; }
  local port attempt
  for attempt in 1 2 3; do
    port="$(free_port)"
    if as_user "$user" "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -t "$TIMEOUT" \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      break
    fi
    # a port taken between the probe and the bind: try another
    grep -q 'could not bind\|Address already in use' "$work/postgres.log" 2>/dev/null && [ "$attempt" -lt 3 ] && continue
    log "postgres did not start"; tail -n 40 "$work/postgres.log" >&2; return 1
  done
  printf 'PG_URL=postgresql://atkafka@127.0.0.1:%s/postgres\nPG_PORT=%s\n' "$port" "$port" >"$work/env"
  local pid
  pid="$(head -n 1 "$work/data/postmaster.pid")"
  [ -n "$watch" ] && watchdog "$watch" "$pid" "$work"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready in $((SECONDS - t0))s on 127.0.0.1:$port as $user, pid $pid"
}

# stop the cluster and remove its dir if the process that asked for it dies without stopping it
watchdog() {
  local watch="$1" pid="$2" work="$3"
  (
    set +e
    trap '' HUP INT
    while kill -0 "$watch" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null # fast shutdown
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -rf "$work"
    fi
  ) </dev/null >/dev/null 2>&1 &
  disown
}

stop() {
  local work="${1:?usage: stop WORKDIR [--rm]}" rm="${2:-}"
  if [ -f "$work/data/postmaster.pid" ]; then
    local pid
    pid="$(head -n 1 "$work/data/postmaster.pid")"
    if kill -INT "$pid" 2>/dev/null; then # SIGINT = fast shutdown
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null && log "postgres $pid did not stop in 15s; killed" || true
    fi
  fi
  if [ "$rm" = "--rm" ]; then rm -rf "$work"; fi
}

case "${1:-}" in
  bindir) bindir ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 bindir | start WORKDIR [WATCH_PID] | stop WORKDIR [--rm]" >&2; exit 2 ;;
esac
