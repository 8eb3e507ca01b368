/**
 * Runs the built server (dist/) as a child process for benchmarks, so the
 * load generator and the server do not share an event loop.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/ciclo.js", import.meta.url));

export interface BenchServer {
  url: string;
  pid: number;
  /** ms from spawn until the server answered /health. */
  startupMs: number;
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * With `CICLO_BENCH_PROF_DIR` set, the server runs under `node --cpu-prof` and writes its profile there when
 * stopped (read it with bench/tools/top-functions.mjs).
 */
export async function startBenchServer(backendStoreUri: string, artifactsDir: string, extraArgs: string[] = []): Promise<BenchServer> {
  const t0 = performance.now();
  const serverArgs = ["server", "--port", "0", "--backend-store-uri", backendStoreUri, "--artifacts-destination", artifactsDir, "--log-level", "info", ...extraArgs];
  const profDir = process.env.CICLO_BENCH_PROF_DIR;
  const env = { ...process.env, CICLO_FROM_SOURCE: "0" };
  // The bin itself, as `npx ciclo server` runs it (its shebang carries the V8 flags); under the profiler,
  // through node with the same flag.
  const proc: ChildProcess = profDir
    ? spawn(process.execPath, ["--max-semi-space-size=32", "--cpu-prof", "--cpu-prof-dir", profDir, BIN, ...serverArgs], { stdio: ["ignore", "pipe", "inherit"], env })
    : spawn(BIN, serverArgs, { stdio: ["ignore", "pipe", "inherit"], env });
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on("line", (line) => {
      if (process.env.CICLO_BENCH_SERVER_LOG === "1") process.stderr.write(`[server] ${line}\n`);
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string };
        if (j.msg === "ciclo server listening" && j.url) resolve(j.url);
      } catch {
        /* not a log line */
      }
    });
    proc.once("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  const res = await fetch(`${url}/health`);
  if (!res.ok) throw new Error(`health check failed: ${res.status}`);
  const startupMs = performance.now() - t0;
  return {
    url,
    pid: proc.pid!,
    startupMs,
    rssMb() {
      const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once("exit", () => resolve());
        proc.kill(profDir ? "SIGINT" : "SIGTERM");
      }),
  };
}
