/**
 * The scoring benchmarks' one driver (`bench/serving.ts`, `bench/python-serving.ts`): `ciclo models serve` as a
 * child process, and a wrk phase against a scoring server's `/invocations` (a 2 s warm-up, then the measured
 * run) that also reports the mean batch ciclo's scheduler formed, from its /metrics.
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { treeCpuSeconds } from "./proc-cpu.js";
import { runWrk, type WrkResult } from "./wrk.js";

const BIN = fileURLToPath(new URL("../../bin/ciclo.js", import.meta.url));

export interface ScoringServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `ciclo models serve -m <modelDir> -p 0 --workers <workers> <args>`, resolved once it logs that it is ready. */
export async function startModelServer(modelDir: string, workers: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ScoringServer> {
  const proc = spawn(process.execPath, [BIN, "models", "serve", "-m", modelDir, "-p", "0", "--workers", workers, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      try {
        const j = JSON.parse(l) as { msg: string; url?: string };
        if (j.msg === "ciclo scoring server ready") resolve(j.url!);
      } catch {
        // not a log line
      }
    });
    proc.once("exit", (c) => reject(new Error(`ciclo models serve exited (${c})`)));
  });
  return {
    url,
    pid: proc.pid!,
    stop: () =>
      new Promise<void>((r) => {
        proc.once("exit", () => r());
        proc.kill("SIGTERM");
      }),
  };
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN;
}

export interface ScoringPhase {
  script: string;
  connections: number;
  seconds: number;
  env?: Record<string, string>;
  /** ciclo's server: read the mean batch from its /metrics (not for `mlflow models serve`). */
  ciclo?: boolean;
  /** The server's process: its CPU time (and its children's: Python workers) per request is reported. */
  pid?: number;
}

export interface PhaseResult extends WrkResult {
  meanBatch?: number;
  /** CPU ms per request during the measured run: the server process, and its children (Python workers). */
  cpuMsPerRequest?: { server: number; workers: number };
}

/** wrk against `<url>/invocations`: a 2 s warm-up, then `seconds` measured. */
export async function scoringPhase(url: string, p: ScoringPhase): Promise<PhaseResult> {
  const run = (seconds: number) => runWrk({ url: `${url}/invocations`, script: p.script, threads: 1, connections: p.connections, seconds, env: p.env });
  await run(2);
  const measured = async (): Promise<PhaseResult> => {
    const cpu0 = p.pid === undefined ? undefined : treeCpuSeconds(p.pid);
    const r: PhaseResult = await run(p.seconds);
    const cpu1 = p.pid === undefined ? undefined : treeCpuSeconds(p.pid);
    if (cpu0 && cpu1 && r.requests > 0) {
      const per = (s: number) => Math.round(((s * 1000) / r.requests) * 1000) / 1000;
      r.cpuMsPerRequest = { server: per(cpu1.self - cpu0.self), workers: per(cpu1.children - cpu0.children) };
    }
    return r;
  };
  if (!p.ciclo) return measured();
  const batches = () => Promise.all([metricSum(url, "ciclo_serving_batch_size_sum"), metricSum(url, "ciclo_serving_batch_size_count")]);
  const [s0, c0] = await batches();
  const r = await measured();
  const [s1, c1] = await batches();
  return { ...r, meanBatch: Math.round(((s1 - s0) / (c1 - c0)) * 10) / 10 };
}
