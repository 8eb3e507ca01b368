#!/usr/bin/env bash
# A real S3 server for tests: a one-node, in-memory Ceph cluster (ceph-mon +
# ceph-osd on memstore + radosgw) listening on 127.0.0.1:7480 only.
#
#   scripts/s3-test-server.sh start   # idempotent; prints the env exports on stdout
#   scripts/s3-test-server.sh env     # prints the env exports only
#   scripts/s3-test-server.sh stop    # kills exactly the daemons start launched (pid files)
#
# Use: eval "$(bash scripts/s3-test-server.sh start)"
# Why radosgw and not an npm fake: it checks SigV4 signatures (the fakes
# accept any secret), so tests prove they speak real S3.
# Needs Debian's ceph-mon, ceph-osd and radosgw (`install` adds them).
# Progress goes to stderr so that stdout stays eval-able.
set -euo pipefail

DIR="${CICLO_S3_DIR:-/tmp/ciclo-s3}"
HOST=127.0.0.1
PORT="${CICLO_S3_PORT:-7480}"
MON_PORT="${CICLO_S3_MON_PORT:-6789}"
# Fixed test-only credentials (src/testing/s3-fixture.ts knows them too).
ACCESS_KEY="ciclo-test-access-key"
SECRET_KEY="ciclo-test-secret-key-not-for-production"
ENDPOINT="http://$HOST:$PORT"
CONF="$DIR/ceph.conf"
DAEMONS=(mon.a osd.0 client.rgw)

log() { echo "s3-test-server: $*" >&2; }

print_env() {
  echo "export MLFLOW_S3_ENDPOINT_URL=$ENDPOINT"
  echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
  echo "export AWS_DEFAULT_REGION=us-east-1"
  echo "export CICLO_TEST_S3_ENDPOINT=$ENDPOINT"
}

# True when GET / answers with an HTTP status line (no curl needed).
answers() {
  local line
  line=$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT && printf 'GET / HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null) || return 1
  [[ "$line" == HTTP/1.?\ 200 ]]
}

have_binaries() {
  command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null \
    && command -v radosgw-admin >/dev/null && command -v monmaptool >/dev/null && command -v ceph >/dev/null
}

install_packages() {
  have_binaries && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing radosgw ceph-mon ceph-osd (Debian)"
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq radosgw ceph-mon ceph-osd ceph-common >&2
}

# True while `pid` runs; an exited daemon nobody reaped yet (zombie) counts as gone.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

# Kills the daemons named in our pid files, waiting (bounded) for each to exit.
stop_daemons() {
  local name pid
  # Reverse start order: radosgw hangs on shutdown once the cluster under it is gone.
  for name in client.rgw osd.0 mon.a; do
    [ -f "$DIR/run/$name.pid" ] || continue
    pid=$(cat "$DIR/run/$name.pid")
    if [ -n "$pid" ] && alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
      log "stopped $name (pid $pid)"
    fi
    rm -f "$DIR/run/$name.pid"
  done
}

# Prints the first of our daemons that is no longer running (none: fails).
dead_daemon() {
  local name pid
  for name in "${DAEMONS[@]}"; do
    # No pid file yet is not death: a daemon writes it a moment after forking.
    pid=$(cat "$DIR/run/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && ! alive "$pid"; then echo "$name"; return 0; fi
  done
  return 1
}

write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = $HOST:$MON_PORT
mon initial members = a
public addr = $HOST
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd objectstore = memstore
memstore device bytes = 4294967296
osd crush chooseleaf type = 0
# The script places osd.0 in the CRUSH map itself; letting the OSD do it at
# start races the new monitor (seen here: "wrong fsid", then the OSD exits).
osd crush update on start = false
osd class update on start = false
osd pool default pg autoscale mode = off
osd_pool_default_pg_num = 8
ms bind ipv6 = false
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.asok
[mon.a]
mon data = $DIR/mon.a
[osd.0]
osd data = $DIR/osd.0
[client.rgw]
rgw frontends = beast endpoint=$HOST:$PORT
rgw data = $DIR/rgw
# Deleted test objects are reclaimed within a minute, not hours: the store is RAM.
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF
}

start() {
  if answers; then
    log "already answering on $ENDPOINT"
    print_env
    return 0
  fi
  install_packages
  local t0=$SECONDS
  # A stale cluster (memstore loses the OSD's data on restart): start afresh.
  stop_daemons
  rm -rf "$DIR"
  mkdir -p "$DIR/mon.a" "$DIR/osd.0" "$DIR/run" "$DIR/log" "$DIR/rgw"
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  (
    cd "$DIR"
    monmaptool --create --add a "$HOST:$MON_PORT" --fsid "$fsid" monmap >/dev/null
    ceph-mon -c "$CONF" --mkfs -i a --monmap monmap
    ceph-mon -c "$CONF" -i a
    ceph -c "$CONF" --connect-timeout 30 osd create >/dev/null
    ceph-osd -c "$CONF" -i 0 --mkfs 2>/dev/null
    ceph-osd -c "$CONF" -i 0
    ceph -c "$CONF" --connect-timeout 30 osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>&1
    radosgw -c "$CONF" -n client.rgw
  ) >&2
  # Bounded wait for radosgw to answer (it creates its pools first); a daemon
  # that died meanwhile ends the wait at once.
  local dead=""
  for _ in $(seq 1 240); do
    answers && break
    dead=$(dead_daemon) && break
    sleep 0.5
  done
  if ! answers; then
    log "radosgw did not answer on $ENDPOINT${dead:+ ($dead exited)}; last log lines:"
    tail -n 5 "$DIR"/log/*.log >&2 || true
    return 1
  fi
  radosgw-admin -c "$CONF" -n client.admin user create --uid=ciclo-test --display-name="ciclo tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>&1
  log "up on $ENDPOINT after $((SECONDS - t0)) s (data in $DIR)"
  print_env
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; rm -rf "$DIR" ;;
  env) print_env ;;
  install) install_packages ;;
  status) if answers; then log "answering on $ENDPOINT"; else log "not answering"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|env|install|status" >&2; exit 2 ;;
esac
