/**
 * CPU time per request of built ciclo servers, compared alternately: the
 * steadier figure on a shared machine, where wall-clock throughput moves with
 * everyone else's load. For each server (a checkout with a build: its
 * `bin/ciclo.js`, as `npx ciclo server` runs it) and each round, a fresh
 * SQLite database is seeded over HTTP (1,000 runs of MLflow's benchmark shape),
 * then `wrk` drives each case for a warm-up and a measured window; the server
 * process's CPU (user + system, every thread: /proc/<pid>/stat) is read before
 * and after the measured window and divided by the requests wrk completed.
 *
 *   node --import tsx bench/cpu-per-request.ts                       # this checkout's build
 *   node --import tsx bench/cpu-per-request.ts --server before=../old --server after=. --rounds 3
 *   node --import tsx bench/cpu-per-request.ts --server dist=.:CICLO_BUNDLE=0 --server bundle=. --cases log-metric
 *
 * A server is `label=DIR[:NAME=VALUE,...]` (environment for that server only). Options: `--seconds N`
 * (measured window per case, default 5), `--warmup N` (default 2), `--rounds N` (default 2),
 * `--windows N` (measured windows per case and round, default 1; on a loaded machine compare the minimums),
 * `--cases log-batch,log-metric,create-run,search` (default all), `--prof DIR` (runs the servers under
 * `node --cpu-prof`, profiles written to DIR), `--small-steps` (metric steps below 2^31, as the
 * benchmarks of 2026-11-25 sent them). Prints one line per measurement and a summary.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { tempDir } from "../src/testing/temp-dir.js";
import { postJson } from "./lib/latency.js";
import { seedRunsOverHttp } from "./lib/http-seed.js";
import { runWrk } from "./lib/wrk.js";

interface ServerSpec {
  label: string;
  dir: string;
  env: Record<string, string>;
}

const CASES = ["log-batch", "log-metric", "create-run", "search"] as const;
type CaseName = (typeof CASES)[number];

const args = process.argv.slice(2);
const opt = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const servers: ServerSpec[] = args
  .flatMap((a, i) => (a === "--server" ? [args[i + 1]] : []))
  .map((s) => {
    const eq = s.indexOf("=");
    const [dir, envText] = s.slice(eq + 1).split(/:(?=[A-Z_][A-Z0-9_]*=)/);
    const env = Object.fromEntries((envText ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));
    return { label: s.slice(0, eq), dir: resolve(dir), env };
  });
if (servers.length === 0) servers.push({ label: "this", dir: resolve("."), env: {} });
const SECONDS = Number(opt("--seconds", "5"));
const WARMUP = Number(opt("--warmup", "2"));
const ROUNDS = Number(opt("--rounds", "2"));
/** Measured windows per case and round: on a loaded machine the lowest figure is the one least disturbed. */
const WINDOWS = Number(opt("--windows", "1"));
const cases = opt("--cases", CASES.join(",")).split(",") as CaseName[];
const profDir = args.includes("--prof") ? resolve(opt("--prof", "")) : undefined;
/**
 * Steps as the 2026-11-25 runs sent them (below 2^31, V8 small integers, 4-byte SQLite integers), 2,000,000
 * apart per wrk run. bench/lib/wrk.ts now keeps steps below 2^31 by default too (20,000,000 apart per run).
 */
const smallSteps = args.includes("--small-steps");
let wrkRuns = 0;

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(" ");
}

async function start(spec: ServerSpec, dbDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const bin = join(spec.dir, "bin", "ciclo.js");
  const serverArgs = ["server", "--port", "0", "--backend-store-uri", `sqlite:///${join(dbDir, "bench.db")}`, "--artifacts-destination", join(dbDir, "artifacts"), "--log-level", "info"];
  // Under the profiler the bin runs through node with the same V8 flag as its shebang.
  const proc = profDir
    ? spawn(process.execPath, ["--max-semi-space-size=32", "--cpu-prof", "--cpu-prof-dir", profDir, bin, ...serverArgs], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "0", ...spec.env } })
    : spawn(bin, serverArgs, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "0", ...spec.env } });
  const url = await new Promise<string>((ok, fail) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on("line", (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string };
        if (j.msg === "ciclo server listening" && j.url) ok(j.url);
      } catch {
        /* not a log line */
      }
    });
    proc.once("exit", (code) => fail(new Error(`${spec.label}: server exited with ${code} before listening`)));
  });
  return { url, proc };
}

async function stop(proc: ChildProcess): Promise<void> {
  await new Promise<void>((done) => {
    proc.once("exit", () => done());
    proc.kill(profDir ? "SIGINT" : "SIGTERM");
  });
}

interface Measurement {
  server: string;
  round: number;
  case: CaseName;
  requests: number;
  cpuUsPerRequest: number;
  requestsPerSec: number;
  load: string;
}

async function measure(spec: ServerSpec, round: number): Promise<Measurement[]> {
  const dir = tempDir("ciclo-cpu-");
  const { url, proc } = await start(spec, dir.path);
  const api = `${url}/api/2.0/mlflow`;
  const out: Measurement[] = [];
  try {
    // 1,000 runs of MLflow's benchmark shape (1 param, 1 metric, 5 tags).
    const exp = await seedRunsOverHttp(api, "search-1k", { params: 1, metrics: 1, tags: 1 });
    const runFor = async (name: string) =>
      ((await postJson(`${api}/runs/create`, { experiment_id: "0", run_name: name })) as { run: { info: { run_id: string } } }).run.info.run_id;
    for (const c of cases) {
      const wrk: { path: string; script: string; threads: number; connections: number; env: Record<string, string> } =
        c === "log-batch"
          ? { path: "runs/log-batch", script: "log-batch.lua", threads: 2, connections: 4, env: { RUN_ID: await runFor("log-batch"), BODIES: String((SECONDS + WARMUP) * 150) } }
          : c === "log-metric"
            ? { path: "runs/log-metric", script: "log-metric.lua", threads: 1, connections: 32, env: { RUN_ID: await runFor("log-metric") } }
            : c === "create-run"
              ? { path: "runs/create", script: "create-run.lua", threads: 1, connections: 16, env: {} }
              : { path: "runs/search", script: "search-runs.lua", threads: 1, connections: 1, env: { EXPERIMENT_ID: exp } };
      const go = (seconds: number) =>
        runWrk({
          url: `${api}/${wrk.path}`,
          script: wrk.script,
          threads: wrk.threads,
          connections: wrk.connections,
          seconds,
          env: smallSteps ? { ...wrk.env, STEP_BASE: String(++wrkRuns * 2_000_000) } : wrk.env,
        });
      await go(WARMUP);
      for (let w = 0; w < WINDOWS; w++) {
        const before = cpuMs(proc.pid!);
        const r = await go(SECONDS);
        const used = cpuMs(proc.pid!) - before;
        if (r.errors > 0) throw new Error(`${spec.label} ${c}: wrk saw ${r.errors} errors`);
        const m = { server: spec.label, round, case: c, requests: r.requests, cpuUsPerRequest: (used * 1000) / r.requests, requestsPerSec: r.requestsPerSec, load: load() };
        process.stderr.write(`${m.server.padEnd(10)} round ${round} ${c.padEnd(10)} ${m.cpuUsPerRequest.toFixed(1).padStart(8)} µs CPU/request  ${r.requestsPerSec.toFixed(0).padStart(6)} req/s  (${r.requests} requests, load ${m.load})\n`);
        out.push(m);
      }
    }
  } finally {
    await stop(proc);
    dir.remove();
  }
  return out;
}

const all: Measurement[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const spec of round % 2 === 1 ? servers : [...servers].reverse()) all.push(...(await measure(spec, round)));
}
/** min / median / max of one figure per case and server, over rounds and windows. */
function summary(title: string, pick: (m: Measurement) => number, digits: number): void {
  process.stdout.write(`\n${title}: min / median / max over rounds and windows (load average of each in the lines above)\n`);
  for (const c of cases) {
    const cells = servers.map((s) => {
      const xs = all.filter((m) => m.server === s.label && m.case === c).map(pick).sort((a, b) => a - b);
      return `${s.label} ${xs[0].toFixed(digits)} / ${xs[Math.floor(xs.length / 2)].toFixed(digits)} / ${xs[xs.length - 1].toFixed(digits)}`;
    });
    process.stdout.write(`${c.padEnd(10)} ${cells.join("   ")}\n`);
  }
}
summary("CPU µs per request", (m) => m.cpuUsPerRequest, 1);
summary("Requests per second (wall clock: meaningful on a quiet machine only)", (m) => m.requestsPerSec, 0);
