#!/usr/bin/env bash
# Runs every *.test.ts under src/, bench/ and ui/src/ (the UI's logic tests, beside its code)
# with node's test runner (through tsx).
# Node 20 does not discover .ts test files itself, so the list is built here.
# Prints the runner's closing summary and fails when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src bench ui/src -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test files found" >&2
  exit 1
fi

mkdir -p .tmp
tap=$(mktemp .tmp/test-results.XXXXXX.tap)
trap 'rm -f "$tap"' EXIT
status=0
node --import tsx --test --test-concurrency="${CICLO_TEST_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}" || status=$?

echo
echo "── test summary (${#files[@]} files) ──"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" || true
tests=$(grep -E '^# tests ' "$tap" | awk '{print $3}' | tail -n1)
if [ -z "${tests:-}" ] || [ "$tests" -eq 0 ]; then
  echo "test: no test ran" >&2
  exit 1
fi
exit "$status"
