#!/usr/bin/env bash
# Small offline base images for the image tests, made with mmdebstrap from the
# machine's Debian apt sources and pushed to the test registry as Docker v2
# schema 2 (scripts/registry-test-server.sh must be running):
#
#   base/node:<node version>      libc, libstdc++ and busybox, plus the Node binary that runs this
#                                 script at /usr/local/bin/node (Debian's nodejs is 18; ciclo needs 20)
#   base/python-sklearn:3-node<node version>-<hash>
#                                 the same plus Debian's python3, numpy, scipy, pandas and scikit-learn,
#                                 and the Debian packages MLflow's pyfunc loader imports (click,
#                                 cloudpickle, packaging, protobuf, requests, sqlparse, …) — but not
#                                 MLflow itself: `ciclo models build-image --mlflow-from` adds it.
#                                 <hash> names the package list, so a changed list is a new base.
#
# The rootfs tarballs are cached under ${XDG_CACHE_HOME:-~/.cache}/ciclo/bases
# (CICLO_BASE_CACHE overrides): when the registry lacks a base (a fresh
# registry), it is imported from the cache instead of rebuilt (seconds, not a
# minute or more of mmdebstrap).
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
DIR="${CICLO_BASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ciclo/bases}"
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node -p process.versions.node)
NODE_TAG="$REG/base/node:$NODE_VERSION"
NODE_PKGS=libc6,libstdc++6,libgcc-s1,busybox-static
# MLflow's pyfunc loader imports these at `import mlflow` (mlflow-skinny's requirements, from Debian).
MLFLOW_DEPS=python3-click,python3-cloudpickle,python3-entrypoints,python3-packaging,python3-protobuf,python3-tz,python3-requests,python3-sqlparse,python3-importlib-metadata,python3-pkg-resources
# What MLflow's requirement inference lists for a scikit-learn model logged on Debian's Python
# (it records every package the model's loading imported): lz4 and psutil (joblib), typing-extensions.
SKLEARN_MODEL_DEPS=python3-lz4,python3-psutil,python3-typing-extensions
PY_PKGS=$NODE_PKGS,python3,python3-numpy,python3-scipy,python3-pandas,python3-sklearn,python3-yaml,$MLFLOW_DEPS,$SKLEARN_MODEL_DEPS
# Debian's python3-scipy depends on python3-pythran, which pulls a C++ compiler, Boost's headers and
# Perl (~400 MB) that nothing imports at run time: those paths are left out of the Python base.
PY_EXCLUDES="/usr/include/* /usr/lib/gcc/* /usr/libexec/gcc/* /usr/share/perl/* /usr/lib/x86_64-linux-gnu/perl/* /usr/lib/aarch64-linux-gnu/perl/* /usr/lib/*/*.a /usr/bin/*-linux-gnu-lto-dump-* /usr/share/gcc/*"
# Bump when the recipe changes in a way the package list does not show (hooks).
RECIPE=3
PY_TAG="$REG/base/python-sklearn:3-node$NODE_VERSION-$(printf '%s|%s|%s' "$PY_PKGS" "$PY_EXCLUDES" "$RECIPE" | sha256sum | cut -c1-8)"

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

build() { # TAG PACKAGES [PATHS TO LEAVE OUT]
  local tag=$1 pkgs=$2 rootfs x excludes=()
  for x in ${3:-}; do excludes+=("--dpkgopt=path-exclude=$x"); done
  if present "$tag"; then log "$tag already in the registry"; return 0; fi
  mkdir -p "$DIR"
  rootfs="$DIR/$(echo "${tag##*/}" | tr ':' '-').tar"
  local src=/etc/apt/sources.list.d/debian.sources; [ -f "$src" ] || src=/etc/apt/sources.list
  local t0=$SECONDS
  if [ -s "$rootfs" ] && [ -z "${FORCE:-}" ]; then
    log "$tag: importing the cached rootfs $rootfs"
  else
    # The hooks add busybox's applet links (sh, ls, …), the build's Node binary, and the links
    # update-alternatives would make (maintainer scripts do not run here): libblas.so.3,
    # liblapack.so.3 and libopenblas.so.0, without which numpy cannot load.
    mmdebstrap --quiet --format=tar --variant=extract --include="$pkgs" --skip=output/dev \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' "${excludes[@]}" \
      --extract-hook='for a in $("$1"/bin/busybox --list); do [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"; done' \
      --extract-hook="mkdir -p \"\$1/usr/local/bin\" && cp '$NODE_BIN' \"\$1/usr/local/bin/node\" && mkdir -p \"\$1/tmp\" && chmod 1777 \"\$1/tmp\"" \
      --extract-hook='for d in "$1"/usr/lib/*-linux-gnu; do for l in libblas.so.3 liblapack.so.3 libopenblas.so.0; do [ -e "$d/$l" ] && continue; for s in openblas-pthread blas lapack; do [ -e "$d/$s/$l" ] && { ln -s "$s/$l" "$d/$l"; break; }; done; done; done; true' \
      bookworm "$rootfs.partial" "$src" >&2
    mv "$rootfs.partial" "$rootfs"
  fi
  podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' "$rootfs" "$tag" >/dev/null
  # v2s2: what most registries and tools take (containerify needs manifest.mediaType).
  podman push -q --format v2s2 "$tag"
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  log "$tag pushed ($(du -h "$rootfs" | cut -f1) rootfs, $((SECONDS - t0)) s; rootfs kept in $DIR)"
}

case "${1:-build}" in
  env) print_env ;;
  build)
    bash scripts/registry-test-server.sh status >/dev/null 2>&1 || { log "the test registry is not running: scripts/registry-test-server.sh start"; exit 1; }
    build "$NODE_TAG" "$NODE_PKGS"
    set -f  # the exclusions are globs for dpkg, not for this shell
    build "$PY_TAG" "$PY_PKGS" "$PY_EXCLUDES"
    set +f
    print_env
    ;;
  *) echo "usage: $0 [build|env]" >&2; exit 2 ;;
esac
