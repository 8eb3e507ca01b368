#!/usr/bin/env bash
# Small offline base images for the image tests, made with mmdebstrap from the
# machine's Debian apt sources and pushed to the test registry as Docker v2
# schema 2 (scripts/registry-test-server.sh must be running):
#
#   base/node:<node version>      libc, libstdc++ and busybox, plus the Node binary that runs this
#                                 script at /usr/local/bin/node (Debian's nodejs is 18; ciclo needs 20)
#   base/python-sklearn:<py ver>  the same plus Debian's python3, numpy, scipy, pandas and scikit-learn
#                                 (for the Python runtime's images: ciclo's front in Node, Python workers)
#
#   scripts/base-images.sh          build what the registry lacks; prints the env exports on stdout
#   scripts/base-images.sh env      prints the env exports only
#   FORCE=1 scripts/base-images.sh  rebuild both
#
# `--variant=extract` unpacks packages without running maintainer scripts:
# no /etc/passwd, no /bin/sh beyond busybox's links (added by the hook). That
# is what a distroless-style base looks like; ciclo's image builder adds its
# own user to /etc/passwd.
# Use: eval "$(bash scripts/base-images.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/registry-test-server.sh env)"
REG="$CICLO_TEST_REGISTRY"
DIR="${CICLO_REGISTRY_DIR:-/tmp/ciclo-registry}/bases"
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node -p process.versions.node)
NODE_TAG="$REG/base/node:$NODE_VERSION"
PY_TAG="$REG/base/python-sklearn:3-node$NODE_VERSION"
NODE_PKGS=libc6,libstdc++6,libgcc-s1,busybox-static
PY_PKGS=$NODE_PKGS,python3,python3-numpy,python3-scipy,python3-pandas,python3-sklearn,python3-yaml

log() { echo "base-images: $*" >&2; }

print_env() {
  echo "export CICLO_TEST_NODE_BASE=$NODE_TAG"
  echo "export CICLO_TEST_PYTHON_BASE=$PY_TAG"
}

# True when the registry already holds the tag.
present() {
  local ref=${1#"$REG/"} repo tag
  repo=${ref%:*} tag=${ref##*:}
  [ -z "${FORCE:-}" ] && curl -sf -o /dev/null -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/$repo/manifests/$tag"
}

build() { # TAG PACKAGES
  local tag=$1 pkgs=$2 rootfs
  if present "$tag"; then log "$tag already in the registry"; return 0; fi
  mkdir -p "$DIR"
  rootfs="$DIR/$(echo "${tag##*/}" | tr ':' '-').tar"
  local src=/etc/apt/sources.list.d/debian.sources; [ -f "$src" ] || src=/etc/apt/sources.list
  local t0=$SECONDS
  # The hook adds busybox's applet links (sh, ls, …) and the build's Node binary.
  mmdebstrap --quiet --variant=extract --include="$pkgs" --skip=output/dev \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --extract-hook='for a in $("$1"/bin/busybox --list); do [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"; done' \
    --extract-hook="mkdir -p \"\$1/usr/local/bin\" && cp '$NODE_BIN' \"\$1/usr/local/bin/node\" && mkdir -p \"\$1/tmp\" && chmod 1777 \"\$1/tmp\"" \
    bookworm "$rootfs" "$src" >&2
  podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' "$rootfs" "$tag" >/dev/null
  # v2s2: what most registries and tools take (containerify needs manifest.mediaType).
  podman push -q --format v2s2 "$tag"
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  log "$tag pushed ($(du -h "$rootfs" | cut -f1) rootfs, $((SECONDS - t0)) s)"
  rm -f "$rootfs"
}

case "${1:-build}" in
  env) print_env ;;
  build)
    bash scripts/registry-test-server.sh status >/dev/null 2>&1 || { log "the test registry is not running: scripts/registry-test-server.sh start"; exit 1; }
    build "$NODE_TAG" "$NODE_PKGS"
    build "$PY_TAG" "$PY_PKGS"
    print_env
    ;;
  *) echo "usage: $0 [build|env]" >&2; exit 2 ;;
esac
