/**
 * The overload of issue 18 part 2, as a test and a benchmark drive it: many
 * keep-alive connections, each posting the same large `dataframe_split` body
 * to `/invocations` in a loop for a fixed time, with a client-side timeout,
 * against `ciclo models serve` in its own process (so its peak RSS —
 * `VmHWM` in /proc/<pid>/status — is the server's alone).
 *
 * The client does not back off on 503 (the worst case for the server); it
 * records every status, whether 503s carried `Retry-After`, timeouts and
 * connection errors.
 * @module
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { MlflowPython } from "./mlflow-python.js";

const BIN = fileURLToPath(new URL("../../bin/ciclo.js", import.meta.url));

/** A `dataframe_split` body of `rows` rows × 3 columns (about 30 bytes a row: 5,000 rows ≈ 150 KB). */
export function dataframeSplitBody(rows: number): string {
  const data: number[][] = [];
  for (let i = 0; i < rows; i++) data.push([((i % 1000) + 0.123457) / 100, ((i % 777) + 0.5) / 777, -((i % 313) + 0.25) / 7].map((v) => Math.round(v * 1e6) / 1e6));
  return JSON.stringify({ dataframe_split: { columns: ["a", "b", "c"], data } });
}

/** A linear regression on the three columns {@link dataframeSplitBody} writes, saved with the real MLflow client. */
const SAVE_ABC_REGRESSOR = `
import sys
import numpy as np, pandas as pd
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression
X = pd.DataFrame(np.random.default_rng(3).normal(size=(100, 3)), columns=["a", "b", "c"])
reg = LinearRegression().fit(X, 2 * X["a"] - X["b"] + 0.5 * X["c"])
mlflow.sklearn.save_model(reg, sys.argv[1], signature=infer_signature(X, reg.predict(X)), pip_requirements=["scikit-learn"])
`;

/** Saves the scikit-learn model the Python overload drives (test and benchmark) to `dir`. */
export async function saveAbcRegressor(mp: MlflowPython, dir: string): Promise<void> {
  await promisify(execFile)(mp.python, ["-c", SAVE_ABC_REGRESSOR, dir], { env: { ...process.env, ...mp.env }, timeout: 120_000 });
}

/** The Python worker processes among a server's children (their pids). */
export function pythonWorkerPids(server: ServeProcess): number[] {
  return server
    .children()
    .filter((c) => c.cmdline.includes("pyfunc_worker.py"))
    .map((c) => c.pid);
}

export interface ServeProcess {
  url: string;
  pid: number;
  /** Resident memory now (bytes). */
  rss(): number;
  /** Peak resident memory since the process started (bytes). */
  peakRss(): number;
  /** Its child processes now, with their command lines (the Python runtime's workers; esbuild's service from source). */
  children(): Array<{ pid: number; cmdline: string }>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** A process's resident memory now (VmRSS) or its peak (VmHWM), in bytes. */
export function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** The children of `pid` (every thread's: Node may spawn from any). */
function childrenOf(pid: number): number[] {
  const out = new Set<number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
    } catch {
      continue; // the thread ended
    }
    for (const c of text.trim().split(/\s+/)) if (c) out.add(Number(c));
  }
  return [...out];
}

/** `ciclo models serve -m <modelDir> -p 0 <args>` from source (with `env` added); resolves once it is ready. */
export async function startServeProcess(modelDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const proc: ChildProcess = spawn(process.execPath, ["--max-semi-space-size=32", BIN, "models", "serve", "-m", modelDir, "-p", "0", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env, CICLO_FROM_SOURCE: "1" },
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      try {
        const j = JSON.parse(l) as { msg: string; url?: string };
        if (j.msg === "ciclo scoring server ready") resolve(j.url!);
      } catch {
        /* not a log line */
      }
    });
    void exited.then((c) => reject(new Error(`ciclo models serve exited (${c}) before it was ready`)));
  });
  return {
    url,
    pid: proc.pid!,
    rss: () => statusField(proc.pid!, "VmRSS"),
    peakRss: () => statusField(proc.pid!, "VmHWM"),
    children: () =>
      childrenOf(proc.pid!).map((pid) => {
        let cmdline = "";
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        } catch {
          // it exited
        }
        return { pid, cmdline };
      }),
    stop: async () => {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

export interface OverloadOptions {
  url: string;
  body: string;
  connections: number;
  seconds: number;
  /** Client-side timeout per request (ms); the tool waited 10 s. */
  timeoutMs?: number;
}

export interface OverloadResult {
  requests: number;
  /** Answers by status code. */
  statuses: Record<number, number>;
  /** 503 answers without a `Retry-After` header. */
  unavailableWithoutRetryAfter: number;
  /** Requests with no answer within the client timeout. */
  timeouts: number;
  /** Connection errors (reset, refused). */
  errors: number;
  /** Latency of the 200 answers (ms): p50, p99, max. */
  okLatencyMs: { p50: number; p99: number; max: number };
  seconds: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Drives the overload; the loops stop by themselves after `seconds` (no request starts after that). */
export async function driveOverload(o: OverloadOptions): Promise<OverloadResult> {
  const target = new URL(`${o.url}/invocations`);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const payload = Buffer.from(o.body);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const result: OverloadResult = { requests: 0, statuses: {}, unavailableWithoutRetryAfter: 0, timeouts: 0, errors: 0, okLatencyMs: { p50: 0, p99: 0, max: 0 }, seconds: o.seconds };
  const okLatencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;

  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      result.requests++;
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { "content-type": "application/json", "content-length": payload.length } },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume();
          res.on("end", () => {
            clearTimeout(timer);
            result.statuses[status] = (result.statuses[status] ?? 0) + 1;
            if (status === 503 && res.headers["retry-after"] === undefined) result.unavailableWithoutRetryAfter++;
            if (status === 200) okLatencies.push(performance.now() - started);
            settle();
          });
        },
      );
      const timer = setTimeout(() => {
        result.timeouts++;
        req.destroy(new Error("client timeout"));
        settle();
      }, timeoutMs);
      req.on("error", () => {
        clearTimeout(timer);
        if (!settled) result.errors++;
        settle();
      });
      req.end(payload);
    });

  const loop = async () => {
    while (performance.now() < end) await once();
  };
  await Promise.all(Array.from({ length: o.connections }, loop));
  agent.destroy();
  okLatencies.sort((a, b) => a - b);
  result.okLatencyMs = { p50: Math.round(quantile(okLatencies, 0.5)), p99: Math.round(quantile(okLatencies, 0.99)), max: Math.round(okLatencies.at(-1) ?? NaN) };
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/**
 * What every overload test asks of the answers, whatever the runtime: no client timed out or lost its
 * connection, part of the load was refused with 503 + Retry-After, part was scored, and nothing else came back.
 */
export function assertRefusedCleanly(r: OverloadResult, summary: string): void {
  assert.equal(r.timeouts, 0, `no client timeouts (${summary})`);
  assert.equal(r.errors, 0, `no connection errors (${summary})`);
  assert.ok((r.statuses[503] ?? 0) > 0, `the overload was refused in part (${summary})`);
  assert.equal(r.unavailableWithoutRetryAfter, 0, "every 503 says when to retry");
  assert.ok((r.statuses[200] ?? 0) > 0, `admitted requests were scored (${summary})`);
  assert.deepEqual(Object.keys(r.statuses).sort(), ["200", "503"], `only answers and refusals (${summary})`);
}
