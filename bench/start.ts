/**
 * `npm run bench:start`: how long `npm start` takes to answer /health — the first start (dist/ missing or
 * stale, so the server and UI are built) and the following ones (the build is current: no build) — and how long
 * `ciclo --version` takes. Results print and go to bench/results/start.json.
 *
 *   npm run bench:start                 # 3 warm starts; the cold start only with --cold (it deletes the build stamps)
 *   npm run bench:start -- --cold --runs 5
 *
 * Each start runs `npm start -- --port 0` on a fresh SQLite file in a temp folder, waits for the server's
 * "listening" log line (which carries its URL), times the first 200 from /health, and stops the whole process
 * group.
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { tempDir } from "../src/testing/temp-dir.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const RUNS = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 3;
const COLD = args.includes("--cold");

const serverMs: number[] = [];

/** Wall ms from `npm start` to the first 200 from /health; the server's own startup (its `startupMs`) goes to serverMs. */
async function timeStart(dir: string): Promise<number> {
  const t0 = performance.now();
  const env = { ...process.env };
  for (const k of ["CICLO_BACKEND_STORE_URI", "CICLO_PORT", "CICLO_HOST", "CICLO_DEFAULT_ARTIFACT_ROOT"]) delete env[k];
  const proc = spawn("npm", ["start", "--silent", "--", "--port", "0", "--backend-store-uri", `sqlite:///${join(dir, "ciclo.db")}`, "--artifacts-destination", join(dir, "artifacts")], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on("line", (line) => {
        try {
          const log = JSON.parse(line) as { msg?: string; url?: string; startupMs?: number };
          if (log.msg === "ciclo server listening" && log.url) {
            serverMs.push(Number(log.startupMs));
            resolve(log.url);
          }
        } catch {
          // not a log line
        }
      });
      void exited.then(() => reject(new Error("npm start exited before listening")));
    });
    const res = await fetch(`${url}/health`);
    if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
    return performance.now() - t0;
  } finally {
    try {
      process.kill(-proc.pid!, "SIGTERM");
    } catch {
      // gone
    }
    await exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const work = tempDir("ciclo-bench-start-");
try {
  const results: Record<string, unknown> = { loadavg: (await import("node:os")).loadavg()[0] };
  if (COLD) {
    rmSync(join(ROOT, "dist", ".build-server"), { force: true });
    rmSync(join(ROOT, "dist", ".build-ui"), { force: true });
    mkdirSync(join(work.path, "cold"));
    results.coldStartMs = Math.round(await timeStart(join(work.path, "cold")));
    console.log(`npm start, build stale (server + UI built): ${results.coldStartMs} ms to /health`);
  } else {
    execFileSync("node", ["scripts/build-if-stale.mjs"], { cwd: ROOT, stdio: "inherit" });
  }
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    mkdirSync(join(work.path, `warm-${i}`));
    warm.push(await timeStart(join(work.path, `warm-${i}`)));
  }
  results.warmStartMs = warm.map(Math.round);
  results.serverStartupMs = serverMs;
  console.log(`npm start, build current: median ${Math.round(median(warm))} ms to /health (${results.warmStartMs} ms); the server's own startup: ${serverMs.join(", ")} ms`);
  const version: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["bin/ciclo.js", "--version"], { cwd: ROOT });
    version.push(performance.now() - t0);
  }
  results.versionMs = version.map(Math.round);
  console.log(`ciclo --version: median ${Math.round(median(version))} ms`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "start.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  work.remove();
}
