/**
 * `npm run bench:start`: how long `npm start` takes to answer /health — the first start (dist/ missing or
 * stale, so the server, its bundle and the UI are built) and the following ones (the build is current: no build) —
 * with the CPU time it took, the server's idle RSS and its first request; and how long `ciclo --version` and
 * `ciclo --help` take (wall and CPU). Results print and go to bench/results/start.json.
 *
 *   npm run bench:start                 # 3 warm starts; the cold start only with --cold (it deletes the build stamps)
 *   npm run bench:start -- --cold --runs 5
 *
 * Each start runs `npm start -- --port 0` in a temp folder (the warm starts share one SQLite file, as a project's
 * second start does; the first of them creates it), waits for the server's "listening" log line (which carries its
 * URL), times the first 200 from /health, reads the server process's CPU time and RSS from /proc, times two
 * `experiments/search` calls, and stops the whole process group. On a shared machine compare CPU times: wall
 * times follow the load.
 * @module
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { tempDir } from "../src/testing/temp-dir.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const RUNS = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 3;
const COLD = args.includes("--cold");

const serverMs: number[] = [];

interface Start {
  /** Wall ms from `npm start` to the first 200 from /health. */
  wallMs: number;
  /** CPU ms (user + system) of the server's process at that moment, and of the npm process that started it. */
  serverCpuMs: number;
  npmCpuMs: number;
  /** The server's RSS right after /health answered, in MB. */
  rssMb: number;
  /** Wall ms of the first and the second `experiments/search` after /health (the first compiles its route's schemas). */
  firstRequestMs: number;
  secondRequestMs: number;
}

const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent("process.on('exit', () => { const c = process.cpuUsage(); process.stderr.write(`CPU ${(c.user + c.system) / 1000}\\n`); });")}`;
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The processes in process group `pgid` as pid → command line. */
function group(pgid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) out.set(Number(e), readFileSync(`/proc/${e}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // gone
    }
  }
  return out;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ max_results: 10 }) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  await res.arrayBuffer();
  return performance.now() - t0;
}

/** Starts `npm start` on the data in `dir` and measures it (see {@link Start}); the server's own startup goes to serverMs. */
async function timeStart(dir: string): Promise<Start> {
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
    const wallMs = performance.now() - t0;
    const server = [...group(proc.pid!)].find(([, cmd]) => /^\S*node /.test(cmd) && cmd.includes("scripts/start.mjs"));
    if (!server) throw new Error("no process running scripts/start.mjs in npm start's process group");
    const start: Start = { wallMs, serverCpuMs: cpuMs(server[0]), npmCpuMs: cpuMs(proc.pid!), rssMb: rssMb(server[0]), firstRequestMs: 0, secondRequestMs: 0 };
    start.firstRequestMs = await timed(`${url}/api/2.0/mlflow/experiments/search`);
    start.secondRequestMs = await timed(`${url}/api/2.0/mlflow/experiments/search`);
    return start;
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
    rmSync(join(ROOT, "dist", "bundle"), { recursive: true, force: true });
    mkdirSync(join(work.path, "cold"));
    const cold = await timeStart(join(work.path, "cold"));
    results.coldStartMs = Math.round(cold.wallMs);
    console.log(`npm start, build stale (server, bundle and UI built): ${results.coldStartMs} ms to /health`);
  } else {
    execFileSync("node", ["scripts/build-if-stale.mjs"], { cwd: ROOT, stdio: "inherit" });
  }
  // The first warm start makes its database (migrations run); the others open the same one, as a second
  // `npm start` in a project does.
  mkdirSync(join(work.path, "warm"));
  const warm: Start[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await timeStart(join(work.path, "warm")));
  const col = (k: keyof Start) => warm.map((w) => Math.round(w[k]));
  const med = (k: keyof Start) => Math.round(median(warm.map((w) => w[k])));
  results.warmStartMs = col("wallMs");
  results.serverStartupMs = serverMs;
  results.serverCpuMs = col("serverCpuMs");
  results.npmCpuMs = col("npmCpuMs");
  results.idleRssMb = col("rssMb");
  results.firstRequestMs = col("firstRequestMs");
  results.secondRequestMs = col("secondRequestMs");
  console.log(`npm start, build current: median ${med("wallMs")} ms to /health (${results.warmStartMs} ms); the server's own startup: ${serverMs.join(", ")} ms`);
  console.log(`  CPU at /health: server process median ${med("serverCpuMs")} ms (${results.serverCpuMs}), npm ${med("npmCpuMs")} ms (${results.npmCpuMs})`);
  console.log(`  idle RSS after start: median ${med("rssMb")} MB (${results.idleRssMb})`);
  console.log(`  experiments/search right after start: first ${med("firstRequestMs")} ms, second ${med("secondRequestMs")} ms (medians)`);
  for (const [name, args] of [
    ["version", ["--version"]],
    ["help", ["--help"]],
  ] as const) {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      // The child reports its own CPU time at exit (user + system, from process.cpuUsage()).
      const run = spawnSync(process.execPath, ["--import", CPU_AT_EXIT, "bin/ciclo.js", ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
      if (run.status !== 0) throw new Error(`ciclo ${args.join(" ")} exited with ${run.status}: ${run.stderr}`);
      wall.push(performance.now() - t0);
      cpu.push(Number(/CPU ([\d.]+)/.exec(run.stderr)?.[1] ?? NaN));
    }
    results[`${name}Ms`] = wall.map(Math.round);
    results[`${name}CpuMs`] = cpu.map(Math.round);
    console.log(`ciclo ${args[0]}: median ${Math.round(median(wall))} ms wall, ${Math.round(median(cpu))} ms CPU`);
  }
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "start.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  work.remove();
}
