/**
 * Runs Python oracles (Debian's scipy/numpy under /usr/bin/python3, and
 * Evidently) for tests that compare ciclo's numbers with theirs. When an
 * oracle is missing the caller skips with the printed reason — unless
 * CICLO_REQUIRE_ALL=1 (CI), where that is a failure.
 *
 * Evidently is found through CICLO_EVIDENTLY_PATH (a folder holding the
 * `evidently` package and a `pydeps/` folder of its pure-Python extras, put
 * on PYTHONPATH), else in the shared oracles folder scripts/find-shared.sh
 * finds; `.ci/run` sets the variable.
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const PYTHON = "/usr/bin/python3";

export interface PythonOracle {
  /** Why the oracle cannot run (printed as the skip reason), or undefined. */
  missing: string | undefined;
  /** Runs `script` with `input` as JSON on stdin; returns its stdout parsed as JSON. */
  run<T = unknown>(script: string, input: unknown): T;
}

function env(extraPath: string[]): NodeJS.ProcessEnv {
  const paths = [...extraPath, process.env.PYTHONPATH].filter((p): p is string => !!p);
  return { ...process.env, PYTHONPATH: paths.join(":"), PYTHONDONTWRITEBYTECODE: "1", DO_NOT_TRACK: "1" };
}

function oracle(what: string, probe: string, extraPath: string[], hint: string): PythonOracle {
  const r = spawnSync(PYTHON, ["-c", probe], { encoding: "utf8", env: env(extraPath) });
  let missing: string | undefined;
  if (r.error) missing = `${PYTHON} not found`;
  else if (r.status !== 0) missing = `${what} not importable by ${PYTHON}: ${(r.stderr || "").trim().split("\n").pop()}`;
  if (missing && process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${missing} (CICLO_REQUIRE_ALL=1 forbids skipping; ${hint})`);
  if (missing) console.log(`# SKIP ${what} comparisons: ${missing} (${hint})`);
  return {
    missing,
    run<T>(script: string, input: unknown): T {
      const res = spawnSync(PYTHON, ["-c", script], {
        input: JSON.stringify(input),
        encoding: "utf8",
        env: env(extraPath),
        maxBuffer: 256 * 1024 * 1024,
      });
      if (res.status !== 0) throw new Error(`${what} oracle failed: ${res.stderr}`);
      return JSON.parse(res.stdout) as T;
    },
  };
}

/** pandas (Debian python3-pandas). */
export function pandasOracle(): PythonOracle {
  return oracle("pandas", "import pandas", [], "apt-get install python3-pandas");
}

/** numpy + scipy (Debian python3-scipy). */
export function scipyOracle(): PythonOracle {
  return oracle("scipy", "import scipy.stats, numpy", [], "apt-get install python3-scipy");
}

function sharedEvidently(): string | undefined {
  const script = new URL("../../scripts/find-shared.sh", import.meta.url).pathname;
  const r = spawnSync("bash", [script], { encoding: "utf8" });
  const dir = r.status === 0 ? r.stdout.trim() : "";
  return dir && existsSync(join(dir, "oracles", "evidently", "evidently")) ? join(dir, "oracles", "evidently") : undefined;
}

/** Evidently (0.4.x legacy Report API) from CICLO_EVIDENTLY_PATH or the shared oracles. */
export function evidentlyOracle(): PythonOracle {
  const home = process.env.CICLO_EVIDENTLY_PATH || sharedEvidently();
  const paths = home ? [home, join(home, "pydeps")].filter((p) => existsSync(p)) : [];
  return oracle(
    "Evidently",
    "from evidently.report import Report; from evidently.metric_preset import DataDriftPreset",
    paths,
    "set CICLO_EVIDENTLY_PATH to a folder with the evidently package; .ci/run does",
  );
}
