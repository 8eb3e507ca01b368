#!/usr/bin/env bash
# A real container registry for tests: Debian's docker-registry (CNCF
# Distribution, the OCI Distribution API) on 127.0.0.1 only, plain http, with
# its storage and config in a private folder; plus a private Podman
# configuration (storage, registries, runtime) selected by environment
# variables, so that nothing under /etc changes.
#
#   scripts/registry-test-server.sh install  # Debian packages: docker-registry podman runc skopeo mmdebstrap apache2-utils openssl curl
#   scripts/registry-test-server.sh start    # idempotent; prints the env exports on stdout
#   scripts/registry-test-server.sh env      # prints the env exports only
#   scripts/registry-test-server.sh stop     # kills exactly the registry start launched (pid file), removes its data
#
# Use: eval "$(bash scripts/registry-test-server.sh start)"
#
# Podman here: runc (crun 1.8 rejects a host with hybrid cgroups), cgroupfs,
# host network (bridge networking would leave iptables chains behind) and
# explicit ulimits (root in this kind of VM may not raise its own rlimits).
# Progress goes to stderr so that stdout stays eval-able.
set -euo pipefail

DIR="${CICLO_REGISTRY_DIR:-/tmp/ciclo-registry}"
HOST=127.0.0.1
PORT="${CICLO_REGISTRY_PORT:-5870}"
ADDR="$HOST:$PORT"
ETC="$DIR/etc"
PACKAGES=(docker-registry podman runc skopeo mmdebstrap apache2-utils openssl curl)

log() { echo "registry-test-server: $*" >&2; }

print_env() {
  echo "export CICLO_TEST_REGISTRY=$ADDR"
  echo "export CONTAINERS_CONF=$ETC/containers.conf"
  echo "export CONTAINERS_STORAGE_CONF=$ETC/storage.conf"
  echo "export CONTAINERS_REGISTRIES_CONF=$ETC/registries.conf"
  echo "export BUILDAH_ISOLATION=chroot"
}

# True when GET /v2/ answers 200 (no curl needed).
answers() {
  local line
  line=$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT && printf 'GET /v2/ HTTP/1.0\r\nHost: $ADDR\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null) || return 1
  [[ "$line" == HTTP/1.?\ 200 ]]
}

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]} (Debian)"
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

write_conf() {
  mkdir -p "$ETC" "$DIR/data" "$DIR/storage" "$DIR/run"
  cat >"$ETC/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $DIR/data}
  delete: {enabled: true}
http: {addr: "$ADDR"}
EOF
  cat >"$ETC/storage.conf" <<EOF
[storage]
driver = "${CICLO_PODMAN_DRIVER:-overlay}"
graphroot = "$DIR/storage"
runroot = "$DIR/run"
EOF
  cat >"$ETC/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "$ADDR"
insecure = true
EOF
  cat >"$ETC/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$DIR/run/libpod"
EOF
}

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]; }

start() {
  write_conf
  if answers; then
    log "already answering on http://$ADDR"
    print_env
    return 0
  fi
  install_packages
  # setsid: the registry outlives this script (and the shell that eval'd it).
  setsid docker-registry serve "$ETC/registry.yml" >"$DIR/registry.log" 2>&1 < /dev/null &
  echo $! >"$DIR/registry.pid"
  local pid; pid=$(cat "$DIR/registry.pid")
  for _ in $(seq 1 100); do
    answers && break
    alive "$pid" || break
    sleep 0.1
  done
  if ! answers; then
    log "docker-registry did not answer on http://$ADDR; its log:"
    tail -n 5 "$DIR/registry.log" >&2 || true
    return 1
  fi
  log "up on http://$ADDR (pid $pid, data in $DIR)"
  print_env
}

stop() {
  if [ -f "$DIR/registry.pid" ]; then
    local pid; pid=$(cat "$DIR/registry.pid")
    if alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
      log "stopped docker-registry (pid $pid)"
    fi
    rm -f "$DIR/registry.pid"
  fi
  if [ -f "$ETC/containers.conf" ] && command -v podman >/dev/null; then
    eval "$(print_env)"
    podman rm -af -t 0 >/dev/null 2>&1 || true
    podman rmi -af >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  install) install_packages ;;
  status) if answers; then log "answering on http://$ADDR"; else log "not answering"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|env|install|status" >&2; exit 2 ;;
esac
