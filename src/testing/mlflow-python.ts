/**
 * Test helper for the Python runtime: the real MLflow (the shared oracle,
 * `oracles/mlflow/env-2.10.sh` / `env-3.3.sh`, found through
 * $CICLO_MLFLOW_ORACLE or scripts/find-shared.sh) under Debian's
 * /usr/bin/python3 with its scikit-learn — the interpreter and environment
 * ciclo's Python workers and `mlflow models serve` both run with.
 *
 * When it cannot run, tests skip with the reason printed, unless
 * CICLO_REQUIRE_ALL=1, where that is a failure.
 * @module
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const execFileP = promisify(execFile);
export const SYSTEM_PYTHON = "/usr/bin/python3";
const SAVE_SCRIPT = fileURLToPath(new URL("./python/save_mlflow_models.py", import.meta.url));

export type MlflowVersion = "2.10" | "3.3";

export interface MlflowPython {
  version: MlflowVersion;
  python: string;
  /** The environment that makes `python` import this MLflow (PYTHONPATH etc.). */
  env: Record<string, string>;
}

function oracleDir(): string | undefined {
  if (process.env.CICLO_MLFLOW_ORACLE) return process.env.CICLO_MLFLOW_ORACLE;
  const r = spawnSync("bash", [fileURLToPath(new URL("../../scripts/find-shared.sh", import.meta.url))], { encoding: "utf8" });
  const dir = r.status === 0 ? r.stdout.trim() : "";
  return dir ? join(dir, "oracles", "mlflow") : undefined;
}

/** MLflow `version` under /usr/bin/python3, or undefined (reason printed) when it cannot run here. */
export async function findMlflowPython(version: MlflowVersion, scratch: string): Promise<MlflowPython | undefined> {
  let why: string;
  const dir = oracleDir();
  if (!dir || !existsSync(dir)) why = "the shared MLflow oracle folder was not found (set CICLO_MLFLOW_ORACLE)";
  else if (!existsSync(SYSTEM_PYTHON)) why = `${SYSTEM_PYTHON} does not exist`;
  else {
    // MLflow 3.3 asks importlib for databricks.agents, which raises without a `databricks` package: an empty one answers "not installed".
    const shim = join(scratch, "pyshim");
    await mkdir(join(shim, "databricks"), { recursive: true });
    await writeFile(join(shim, "databricks", "__init__.py"), "");
    // MLflow 3's `models serve` execs `uvicorn`; Debian's python3-uvicorn has the module but no command.
    const bin = join(scratch, "pybin");
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, "uvicorn"), `#!/bin/sh\nexec ${SYSTEM_PYTHON} -m uvicorn "$@"\n`, { mode: 0o755 });
    const paths =
      version === "2.10"
        ? [join(dir, "mlflow-2.10.2"), join(dir, "pydeps")]
        : [join(dir, "mlflow3/mlflow-3.3.2.dev0"), join(dir, "mlflow3/pydeps"), join(dir, "mlflow3/pydeps-3.3"), shim];
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, MLFLOW_TRACKING_URI: `file://${join(scratch, "mlruns")}`, PYTHONPATH: paths.join(":"), PYTHONDONTWRITEBYTECODE: "1", MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", GIT_PYTHON_REFRESH: "quiet" };
    try {
      await execFileP(SYSTEM_PYTHON, ["-c", "import mlflow.pyfunc, sklearn, pandas"], { env: { ...process.env, ...env }, timeout: 120_000 });
      return { version, python: SYSTEM_PYTHON, env };
    } catch (err) {
      why = `MLflow ${version} is not importable by ${SYSTEM_PYTHON}: ${((err as Error).message || "").split("\n").slice(-3).join(" ")} (run oracles/mlflow/install-deps.sh)`;
    }
  }
  if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${why} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
  console.log(`# SKIP MLflow ${version} Python runtime tests: ${why}`);
  return undefined;
}

/** Saves the test models (see testing/python/save_mlflow_models.py) under `out` with the real client. */
export async function saveTestModels(mp: MlflowPython, out: string): Promise<void> {
  await execFileP(mp.python, [SAVE_SCRIPT, out], { env: { ...process.env, ...mp.env }, timeout: 300_000, maxBuffer: 16 << 20 });
}

export interface MlflowScoringServer {
  url: string;
  stop(): Promise<void>;
}

/** `python -m mlflow models serve -m <dir> --env-manager local --workers 1` on a loopback port; resolves once /ping answers 200. */
export async function startMlflowServe(mp: MlflowPython, modelDir: string, extra: string[] = []): Promise<MlflowScoringServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(mp.python, ["-m", "mlflow", "models", "serve", "-m", modelDir, "--env-manager", "local", "-h", "127.0.0.1", "-p", String(port), "--workers", "1", ...extra], {
    env: { ...process.env, ...mp.env },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true, // its own process group: gunicorn/uvicorn children stop with it
  });
  let log = "";
  child.stderr!.on("data", (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`mlflow models serve exited (${code}):\n${log}`))));
  exited.catch(() => undefined);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`${url}/ping`).then(
        (r) => r.status === 200,
        () => false,
      ),
      exited,
    ]);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mlflow models serve did not answer /ping in 120 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200)); // polling for readiness, not timing a result
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}
