/**
 * Test helper: runs `ciclo` (bin/ciclo.js, from the TypeScript source through
 * tsx) as a child process. `ciclo server --port 0` lets the OS pick a port;
 * the server announces it in its "ciclo server listening" log line (JSON on
 * stdout, field `url`), which is what {@link startChildServer} waits for —
 * no sleeps, no polling.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const CICLO_BIN = fileURLToPath(new URL("../../bin/ciclo.js", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  /** Wall-clock ms from spawn to the "listening" log line. */
  startupWallMs: number;
  /** The server's own `startupMs` (stores opened + app built + listening). */
  startupMs: number;
  /** Every JSON log line printed so far. */
  logs: LogLine[];
  /** Resolves with the first log line (past or future) whose `msg` equals `msg`; rejects if the process exits first. */
  waitForLog(msg: string): Promise<LogLine>;
  exited: Promise<Exit>;
  stderr(): string;
}

export function cicloEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Run the source, not a possibly stale dist/ build; keep the child's config independent of the caller's.
  const env: NodeJS.ProcessEnv = { ...process.env, CICLO_FROM_SOURCE: "1", ...extra };
  for (const k of ["CICLO_BACKEND_STORE_URI", "CICLO_PORT", "CICLO_HOST", "CICLO_DEFAULT_ARTIFACT_ROOT"]) {
    if (!(k in extra)) delete env[k];
  }
  delete env.NODE_TEST_CONTEXT;
  return env;
}

export function spawnCiclo(args: string[], env?: NodeJS.ProcessEnv, entry: string[] = [CICLO_BIN], stdin: "ignore" | "pipe" = "ignore"): ChildProcess {
  return spawn(process.execPath, [...entry, ...args], {
    cwd: REPO_ROOT,
    env: cicloEnv(env),
    stdio: [stdin, "pipe", "pipe"],
  });
}

export interface ChildServerOptions {
  /** Added to the child's environment. */
  env?: NodeJS.ProcessEnv;
  /** What node runs instead of bin/ciclo.js, e.g. `["--import", "tsx", "src/testing/jobs-child-server.ts"]`. */
  entry?: string[];
  /** Appended to the command line. */
  args?: string[];
}

/** Starts `ciclo server` on a free port and resolves once it listens. */
export async function startChildServer(backendStoreUri: string, artifactsDir: string, opts: ChildServerOptions = {}): Promise<ChildServer> {
  const t0 = performance.now();
  const proc = spawnCiclo(
    ["server", "--port", "0", "--host", "127.0.0.1", "--backend-store-uri", backendStoreUri, "--artifacts-destination", artifactsDir, ...(opts.args ?? [])],
    opts.env,
    opts.entry,
  );
  const logs: LogLine[] = [];
  const waiters: Array<{ msg: string; resolve(l: LogLine): void }> = [];
  let err = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  createInterface({ input: proc.stdout! }).on("line", (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    logs.push(line);
    for (const w of waiters.filter((x) => x.msg === line.msg)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const waitForLog = (msg: string): Promise<LogLine> => {
    const seen = logs.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      waiters.push({ msg, resolve });
      void exited.then((e) =>
        reject(new Error(`ciclo exited (${e.code ?? e.signal}) before logging '${msg}'. stderr:\n${err}`)),
      );
    });
  };
  const listening = await waitForLog("ciclo server listening");
  return {
    proc,
    url: String(listening.url),
    startupWallMs: Math.round(performance.now() - t0),
    startupMs: Number(listening.startupMs),
    logs,
    waitForLog,
    exited,
    stderr: () => err,
  };
}

/** Runs a `ciclo` command to completion. */
export async function runCiclo(
  args: string[],
  env?: NodeJS.ProcessEnv,
  /** Written to the command's stdin (which is then a pipe, not a terminal). */
  input?: string,
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = spawnCiclo(args, env, undefined, input === undefined ? "ignore" : "pipe");
  if (input !== undefined) proc.stdin!.end(input);
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exit = await new Promise<Exit>((resolve) => proc.once("close", (code, signal) => resolve({ code, signal })));
  return { ...exit, stdout, stderr };
}

/** Calls an MLflow REST endpoint; resolves with the status and parsed JSON body. */
export async function callApi(
  baseUrl: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${baseUrl}/api/2.0/mlflow/${path}`;
  const res = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
