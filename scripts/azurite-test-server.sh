#!/usr/bin/env bash
# A real Azure Blob Storage endpoint for tests: Azurite (Microsoft's storage
# emulator, npm `azurite`, pinned in scripts/azurite/package-lock.json),
# blob service only, listening on 127.0.0.1:10000 only, data on disk under
# $CICLO_AZURITE_DIR, telemetry off.
#
#   scripts/azurite-test-server.sh start     # idempotent; prints the env exports on stdout
#   scripts/azurite-test-server.sh env       # prints the env exports only
#   scripts/azurite-test-server.sh stop      # kills exactly the process start launched (pid file)
#   scripts/azurite-test-server.sh install   # npm ci of scripts/azurite (once)
#
# Use: eval "$(bash scripts/azurite-test-server.sh start)"
# The account and key are fixed test-only values (src/testing/azurite-fixture.ts
# knows them too); Azurite checks Shared Key signatures, so a wrong key is refused.
# Azurite is kept out of ciclo's own dependencies: it pulls ~370 packages
# (database drivers, telemetry) that no ciclo user needs.
# Progress goes to stderr so that stdout stays eval-able.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/scripts/azurite"
BIN="$PKG/node_modules/azurite/dist/src/blob/main.js"
DIR="${CICLO_AZURITE_DIR:-/tmp/ciclo-azurite}"
HOST=127.0.0.1
PORT="${CICLO_AZURITE_PORT:-10000}"
ACCOUNT="cicloteststore"
KEY="Y2ljbG8tYXp1cml0ZS10ZXN0LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tdXNlISE="
ENDPOINT="http://$HOST:$PORT/$ACCOUNT"
CONN="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$ENDPOINT;"

log() { echo "azurite-test-server: $*" >&2; }

print_env() {
  echo "export AZURE_STORAGE_CONNECTION_STRING='$CONN'"
  echo "export CICLO_TEST_AZURE_CONNECTION_STRING='$CONN'"
}

# True when the port answers HTTP at all (Azurite answers GET / with 400: no account named).
answers() {
  local line
  line=$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT && printf 'GET /$ACCOUNT?comp=list HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 && head -c 9 <&3" 2>/dev/null) || return 1
  [[ "$line" == HTTP/1.?\  ]]
}

install_packages() {
  if [ -f "$BIN" ]; then return 0; fi
  command -v npm >/dev/null || { log "npm is needed to install Azurite"; return 1; }
  log "installing Azurite (npm ci in scripts/azurite)"
  npm ci --prefix "$PKG" --no-audit --no-fund --loglevel=error >&2
}

alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

stop_server() {
  [ -f "$DIR/azurite.pid" ] || return 0
  local pid; pid=$(cat "$DIR/azurite.pid")
  if [ -n "$pid" ] && alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    log "stopped Azurite (pid $pid)"
  fi
  rm -f "$DIR/azurite.pid"
}

start() {
  if answers; then
    log "already answering on $ENDPOINT"
    print_env
    return 0
  fi
  install_packages
  stop_server
  rm -rf "$DIR"
  mkdir -p "$DIR/data"
  local t0=$SECONDS
  # The blob service alone: the queue and table services are not used.
  # --skipApiVersionCheck: the pinned @azure/storage-blob may speak a newer
  # service version than this Azurite release knows; the operations ciclo uses exist in both.
  # --blobKeepAliveTimeout 60: Azurite's 5 s default closes idle sockets about when
  # clients reuse them (undici keeps them 4 s), which showed as EPIPE on a busy machine.
  AZURITE_ACCOUNTS="$ACCOUNT:$KEY" setsid node "$BIN" \
    --blobHost "$HOST" --blobPort "$PORT" --location "$DIR/data" --blobKeepAliveTimeout 60 \
    --disableTelemetry --skipApiVersionCheck --loose --silent \
    </dev/null >"$DIR/azurite.log" 2>&1 &
  echo $! >"$DIR/azurite.pid"
  local pid; pid=$(cat "$DIR/azurite.pid")
  for _ in $(seq 1 100); do
    answers && break
    alive "$pid" || break
    sleep 0.2
  done
  if ! answers; then
    log "Azurite did not answer on $ENDPOINT; last log lines:"
    tail -n 5 "$DIR/azurite.log" >&2 || true
    return 1
  fi
  log "up on $ENDPOINT after $((SECONDS - t0)) s (pid $pid, data in $DIR)"
  print_env
}

case "${1:-}" in
  start) start ;;
  stop) stop_server; rm -rf "$DIR" ;;
  env) print_env ;;
  install) install_packages ;;
  status) if answers; then log "answering on $ENDPOINT"; else log "not answering"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|env|install|status" >&2; exit 2 ;;
esac
