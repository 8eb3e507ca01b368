/**
 * Test helper: the real MLflow (the shared oracle, found by
 * scripts/find-shared.sh or $CICLO_MLFLOW_ORACLE) under Debian's
 * /usr/bin/python3 — its server on a loopback port and its client filling a
 * store. When it cannot run, tests skip with the reason printed, unless
 * CICLO_REQUIRE_ALL=1, where that is a failure.
 * @module
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../../testing/free-port.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../..", import.meta.url));
export const FILL_SCRIPT = fileURLToPath(new URL("./fill-mlflow.py", import.meta.url));

export type MlflowVersion = "2.10" | "3.3";

export interface Oracle {
  dir: string;
  /** The environment that makes /usr/bin/python3 import this MLflow. */
  env(version: MlflowVersion): NodeJS.ProcessEnv;
}

async function oracleDir(): Promise<string> {
  if (process.env.CICLO_MLFLOW_ORACLE) return process.env.CICLO_MLFLOW_ORACLE;
  const { stdout } = await run("bash", [join(REPO, "scripts/find-shared.sh")]);
  return join(stdout.trim(), "oracles", "mlflow");
}

/** The oracle, or undefined (with the reason printed) when it cannot run here. */
export async function findOracle(scratch: string, needs: string[] = []): Promise<Oracle | undefined> {
  let why: string;
  try {
    const dir = await oracleDir();
    // MLflow 3.3's genai module asks importlib for databricks.agents, which raises without a `databricks`
    // package; an empty one (in the test's scratch folder) makes it answer "not installed".
    const shim = join(scratch, "pyshim");
    await mkdir(join(shim, "databricks"), { recursive: true });
    await writeFile(join(shim, "databricks", "__init__.py"), "");
    const oracle: Oracle = {
      dir,
      env(version) {
        const paths =
          version === "2.10"
            ? [join(dir, "mlflow-2.10.2"), join(dir, "pydeps")]
            : [join(dir, "mlflow3/mlflow-3.3.2.dev0"), join(dir, "mlflow3/pydeps"), join(dir, "mlflow3/pydeps-3.3"), shim];
        return {
          ...process.env,
          PYTHONPATH: paths.join(":"),
          PYTHONDONTWRITEBYTECODE: "1",
          MLFLOW_DISABLE_TELEMETRY: "true",
          DO_NOT_TRACK: "true",
          GIT_PYTHON_REFRESH: "quiet",
        };
      },
    };
    for (const v of ["2.10", "3.3"] as const) {
      await run("/usr/bin/python3", ["-c", ["import mlflow, sklearn, pandas", ...needs.map((n) => `import ${n}`)].join("; ")], { env: oracle.env(v), timeout: 120_000 });
    }
    return oracle;
  } catch (err) {
    why = `the real MLflow cannot run here (${((err as Error).message || String(err)).split("\n").slice(0, 3).join(" ")})`;
  }
  if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${why} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
  console.log(`# SKIP MLflow oracle tests: ${why}`);
  return undefined;
}

export interface MlflowServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  log(): string;
}

/** `python -m mlflow server` on a free loopback port; resolves once /health answers. */
export async function startMlflowServer(
  oracle: Oracle,
  version: MlflowVersion,
  backendStoreUri: string,
  artifactsDir: string,
  cwd: string,
  opts: { workers?: number } = {},
): Promise<MlflowServer> {
  const port = await freePort();
  const proc = spawn(
    "/usr/bin/python3",
    ["-m", "mlflow", "server", "--backend-store-uri", backendStoreUri, "--artifacts-destination", artifactsDir, "--host", "127.0.0.1", "--port", String(port), "--workers", String(opts.workers ?? 1)],
    { env: oracle.env(version), cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const server: MlflowServer = {
    url,
    proc,
    log: () => log,
    async stop() {
      // The server forks workers: end the whole process group it leads.
      if (proc.exitCode === null && proc.pid) process.kill(-proc.pid, "SIGTERM");
      await exited;
    },
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mlflow server exited (${proc.exitCode}):\n${log}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`mlflow server did not answer /health within 180 s:\n${log}`);
    }
    // Readiness polling of another process (no event to wait on), not a timing assumption.
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Filled {
  mlflow: string;
  experiments: string[];
  runs: string[];
  models: string[];
  logged_models: string[];
  skipped?: string[];
}

/** Runs fill-mlflow.py with MLFLOW_TRACKING_URI = `trackingUri`. */
export async function fillMlflow(oracle: Oracle, version: MlflowVersion, trackingUri: string, scratch: string): Promise<Filled> {
  try {
    const { stdout } = await run("/usr/bin/python3", [FILL_SCRIPT], {
      env: { ...oracle.env(version), MLFLOW_TRACKING_URI: trackingUri, FILL_TMP: scratch },
      cwd: scratch,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split("\n").pop()!) as Filled;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`fill-mlflow.py failed: ${e.message}\n${(e.stderr ?? "").slice(-3000)}`);
  }
}
