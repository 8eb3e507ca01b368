#!/usr/bin/env bash
# Runs MLflow 2.10.2's own REST test suite (SQL-store half, 112 tests) against
# `ciclo server` and fails unless every test passed. The suite and its runner
# come from the shared MLflow oracle (scripts/find-shared.sh, or
# $CICLO_MLFLOW_ORACLE); it is missing: exit 1 under CICLO_REQUIRE_ALL=1, else
# a printed skip. Needs `npm run build` first (bin/ciclo.js runs dist/).
#
#   bash scripts/mlflow-rest-suite.sh              # the whole suite (~10-17 min on a loaded machine)
#   bash scripts/mlflow-rest-suite.sh -k model_version   # extra runner options pass through
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
oracle=${CICLO_MLFLOW_ORACLE:-}
if [ -z "$oracle" ] && shared=$(bash "$root/scripts/find-shared.sh"); then oracle="$shared/oracles/mlflow"; fi
if [ -z "$oracle" ] || [ ! -f "$oracle/suite/run.sh" ]; then
  msg="MLflow REST suite: no MLflow oracle found (set CICLO_MLFLOW_ORACLE or CICLO_SHARED)"
  if [ "${CICLO_REQUIRE_ALL:-}" = "1" ]; then echo "$msg (CICLO_REQUIRE_ALL=1 forbids skipping)" >&2; exit 1; fi
  echo "# SKIP $msg"; exit 0
fi
[ -f "$root/dist/cli/main.js" ] || { echo "MLflow REST suite: run 'npm run build' first" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/ciclo-mlflow-suite.XXXXXX")
# MLflow's conftest builds and serves an MLflow wheel (pip, network) whenever CI=true;
# the suite tests a server, not MLflow's packaging, so that switch is cleared here.
env -u CI bash "$oracle/suite/run.sh" -b sqlalchemy -o "$out" "$@" "node $root/bin/ciclo.js server" | tee "$out/summary.txt"
last=$(tail -n 1 "$out/summary.txt")
# The runner's last line: "mlflow 2.10.2 REST suite: P passed, F failed, S skipped, E errors of N (...)".
if [[ $last =~ :\ ([0-9]+)\ passed,\ 0\ failed,\ 0\ skipped,\ 0\ errors\ of\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [[ $last != *"not run"* ]] && [[ $last != *"TIMED OUT"* ]]; then
  exit 0
fi
echo "MLflow REST suite: not every test passed (log: $out/pytest.log)" >&2
exit 1
