/**
 * Runs Debian's `wrk` load generator (a C program, so it takes little CPU
 * from the server on a 2-core machine) and parses its summary.
 * @module
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  latencyAvgMs: number;
  latencyP99Ms: number;
  errors: number;
}

export function wrkAvailable(): boolean {
  return spawnSync("wrk", ["--version"]).error === undefined;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

const execFileAsync = promisify(execFile);

/**
 * Each wrk run of a process starts its steps 20,000,000 above the last (STEP_BASE, read by log-metric.lua and
 * log-batch.lua), so a measured window never repeats its warm-up's points, and every step stays below 2^31 (a
 * small integer in V8 and 4 bytes in SQLite, as the 2026-11-25 figures were measured): 50 runs per process
 * before the bases repeat.
 */
let wrkRuns = 0;
const nextStepBase = () => String((wrkRuns++ % 50) * 20_000_000);

/**
 * Async on purpose: a blocked event loop would keep the harness's HTTP client from
 * noticing that the server closed its idle keep-alive sockets meanwhile.
 */
export async function runWrk(opts: {
  url: string;
  script: string;
  threads: number;
  connections: number;
  seconds: number;
  env?: Record<string, string>;
  /** wrk's per-request timeout (its default, 2 s, counts slower answers as errors). */
  timeoutSeconds?: number;
}): Promise<WrkResult> {
  const script = isAbsolute(opts.script) ? opts.script : fileURLToPath(new URL(`../wrk/${opts.script}`, import.meta.url));
  // wrk runs a bare GET when its script is missing: every answer would be an error and the rate meaningless.
  if (!existsSync(script)) throw new Error(`wrk script not found: ${script}`);
  const { stdout: out } = await execFileAsync(
    "wrk",
    [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.seconds}s`, "--latency", ...(opts.timeoutSeconds ? ["--timeout", `${opts.timeoutSeconds}s`] : []), "-s", script, opts.url],
    { env: { ...process.env, STEP_BASE: nextStepBase(), ...opts.env }, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const avg = /Latency\s+(\S+)/.exec(out)?.[1] ?? "";
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? "";
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requestsPerSec: rps, requests, latencyAvgMs: toMs(avg), latencyP99Ms: toMs(p99), errors };
}
