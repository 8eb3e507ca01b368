#!/usr/bin/env bash
# Prints the folder that holds the project's shared test oracles (oracles/mlflow,
# oracles/evidently) and container notes, or nothing (exit 1) when none is found.
# Looked for, in order: $CICLO_SHARED; ../shared beside the checkout; ../shared
# beside the repository this checkout was cloned from (a CI clone made elsewhere).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
candidates=()
[ -n "${CICLO_SHARED:-}" ] && candidates+=("$CICLO_SHARED")
candidates+=("$root/../shared")
origin=$(git -C "$root" config --get remote.origin.url 2>/dev/null || true)
case "$origin" in
  /*) candidates+=("$origin/../shared") ;;
  file://*) candidates+=("${origin#file://}/../shared") ;;
esac
for c in "${candidates[@]}"; do
  if [ -d "$c/oracles" ]; then (cd "$c" && pwd); exit 0; fi
done
exit 1
