/**
 * `npm run bench:writes`: ciclo's write throughput beside MLflow 2.10.2's, the same wrk scripts against both
 * servers, each on a fresh database of the same PostgreSQL server (MLflow: 4 gunicorn workers, psycopg2).
 *
 *   npm run bench:writes                         # ciclo and MLflow on PostgreSQL
 *   npm run bench:writes -- --backend sqlite     # ciclo on SQLite (MLflow is measured on PostgreSQL only)
 *   npm run bench:writes -- --ciclo-only --seconds 5
 *   npm run bench:writes -- --ciclo-only --cases log-metric,create-run   # some cases only
 *   npm run bench:writes -- --warmup 6           # a longer warm-up of each case before its window (default 2 s)
 *
 * Cases: log-batch of 1,000 new points (4 connections), log-metric into one run and spread over 32 runs
 * (32 connections), create run (16 connections). Every request writes new points, so no retry path flatters a
 * figure. Beside each rate: CPU per request of the server process (its workers included) and, on PostgreSQL,
 * of the database's backends and of the server's background processes (bench/lib/pg-cpu.ts) over the measured
 * window, and the load average after it — figures load on the machine distorts far less than the rates.
 * Results print as a table and go to bench/results/writes-<backend>.json.
 * @module
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findOracle, startMlflowServer } from "../src/mlflow-import/testing/mlflow-oracle.js";
import { createTestDatabase, type PgDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { postJson } from "./lib/latency.js";
import { PgCpu } from "./lib/pg-cpu.js";
import { treeCpuSeconds } from "./lib/proc-cpu.js";
import { startBenchServer } from "./lib/server-process.js";
import { runWrk, wrkAvailable, type WrkResult } from "./lib/wrk.js";

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const backend = (opt("--backend") ?? "postgres") as "postgres" | "sqlite";
const SECONDS = Number(opt("--seconds") ?? 8);
/**
 * Warm-up of each case before its measured window, seconds (both servers alike). At 2 s V8 was still optimising
 * ciclo's server 11–15 s after its start (~8 % of its CPU in the window): longer warm-ups measure it warm.
 */
const WARMUP = Number(opt("--warmup") ?? 2);
if (![WARMUP, SECONDS].every((s) => Number.isInteger(s) && s > 0)) throw new Error("--seconds and --warmup: a whole number of seconds above 0 (wrk's -d)");
const cicloOnly = args.includes("--ciclo-only") || backend !== "postgres";
/** Case ids to run (default all): log-batch, log-metric, log-metric-32, create-run. */
const only = opt("--cases")?.split(",");

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

interface Case {
  id: string;
  name: string;
  unit: string;
  /** Per wrk request. */
  perRequest: number;
}
const CASES: Case[] = [
  { id: "log-batch", name: "log-batch, 1,000 new points/request, 4 connections", unit: "metrics/s", perRequest: 1000 },
  { id: "log-metric", name: "log-metric into one run, 32 connections", unit: "calls/s", perRequest: 1 },
  { id: "log-metric-32", name: "log-metric over 32 runs, 32 connections", unit: "calls/s", perRequest: 1 },
  { id: "create-run", name: "create run, 16 connections", unit: "runs/s", perRequest: 1 },
].filter((c) => !only || only.includes(c.id));
if (only && CASES.length !== only.length) throw new Error(`--cases: one of log-batch, log-metric, log-metric-32, create-run, not ${only.join(",")}`);

/** CPU µs per request over a measured window: the server process (and its workers), PostgreSQL's processes. */
interface Cpu {
  serverUs: number;
  pgBackendsUs?: number;
  pgBackgroundUs?: number;
  /** Requests per PostgreSQL commit: the mean group. */
  perCommit?: number;
  /** PostgreSQL's WAL per request (the whole server's, pg_stat_wal): bytes and full-page images. */
  pgWalBytes?: number;
  pgWalFpi?: number;
  load: string;
  /** SQLite: the WAL file's size after the case, MB (the server's checkpoints keep it bounded). */
  walFileMb?: number;
}
type Measured = WrkResult & { cpu: Cpu };

/** Runs every case against the server at `base`; a warm-up of each first (V8, MLflow's workers, caches). */
async function measure(base: string, serverPid: number, pgUri?: string, walFile?: string): Promise<Measured[]> {
  const api = `${base}/api/2.0/mlflow`;
  const newRun = async (name: string) =>
    ((await postJson(`${api}/runs/create`, { experiment_id: "0", run_name: name, start_time: Date.now() })) as { run: { info: { run_id: string } } }).run.info.run_id;
  const batchRun = await newRun("log-batch");
  const oneRun = await newRun("log-metric");
  const runs: string[] = [];
  for (let i = 0; i < 32; i++) runs.push(await newRun(`sweep-${i}`));
  const out: Measured[] = [];
  const pgCpu = pgUri ? await PgCpu.open(pgUri) : undefined;
  const serverCpu = () => {
    const t = treeCpuSeconds(serverPid);
    return t ? t.self + t.children : NaN;
  };
  const go = async (warm: boolean, c: Case) => {
    const seconds = warm ? WARMUP : SECONDS;
    const wrk: Record<string, () => Promise<WrkResult>> = {
      "log-batch": () => runWrk({ url: `${api}/runs/log-batch`, script: "log-batch.lua", threads: 2, connections: 4, seconds, timeoutSeconds: 30, env: { RUN_ID: batchRun, BODIES: String(seconds * 300) } }),
      "log-metric": () => runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds, timeoutSeconds: 30, env: { RUN_ID: oneRun } }),
      "log-metric-32": () => runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds, timeoutSeconds: 30, env: { RUN_IDS: runs.join(",") } }),
      "create-run": () => runWrk({ url: `${api}/runs/create`, script: "create-run.lua", threads: 1, connections: 16, seconds, timeoutSeconds: 30 }),
    };
    return wrk[c.id]();
  };
  try {
    for (const c of CASES) {
      await go(true, c);
      const s0 = serverCpu();
      await pgCpu?.begin();
      const r = await go(false, c);
      // One read closes the window: ciclo folds what the writes left in its metric inbox, inside the measured CPU.
      await postJson(`${api}/runs/search`, { experiment_ids: ["0"], max_results: 1 });
      const s1 = serverCpu();
      const pgUsed = await pgCpu?.end();
      const perRequest = (seconds: number) => (seconds * 1e6) / r.requests;
      const cpu: Cpu = {
        serverUs: perRequest(s1 - s0),
        pgBackendsUs: pgUsed && perRequest(pgUsed.backends),
        pgBackgroundUs: pgUsed && perRequest(pgUsed.background),
        perCommit: pgUsed && r.requests / pgUsed.commits,
        pgWalBytes: pgUsed && pgUsed.walBytes / r.requests,
        pgWalFpi: pgUsed && pgUsed.walFpi / r.requests,
        load: loadavg().map((l) => l.toFixed(1)).join(" "),
        walFileMb: walFile === undefined ? undefined : existsSync(walFile) ? statSync(walFile).size / 2 ** 20 : 0,
      };
      log(`  ${c.name}: ${Math.round(r.requestsPerSec * c.perRequest)} ${c.unit} (p99 ${r.latencyP99Ms} ms, errors ${r.errors}); ${cpuText(cpu)}`);
      out.push({ ...r, cpu });
    }
  } finally {
    await pgCpu?.close();
  }
  return out;
}

function cpuText(c: Cpu): string {
  const us = (v: number) => `${v.toFixed(0)} µs`;
  const pg =
    c.pgBackendsUs === undefined
      ? ""
      : `, PostgreSQL backends ${us(c.pgBackendsUs)} + background ${us(c.pgBackgroundUs!)}; ${c.perCommit!.toFixed(1)} requests per commit; ` +
        `WAL ${c.pgWalBytes!.toFixed(0)} B and ${c.pgWalFpi!.toFixed(2)} full-page images per request`;
  const wal = c.walFileMb === undefined ? "" : `; WAL file ${c.walFileMb.toFixed(1)} MB`;
  return `CPU per request: server ${us(c.serverUs)}${pg}; load ${c.load}${wal}`;
}

async function withDatabase<T>(fn: (uri: string, dir: string) => Promise<T>, sqlite = false): Promise<T> {
  const dir = tempDir("ciclo-bench-writes-");
  let pg: PgDatabase | undefined;
  try {
    pg = sqlite ? undefined : await createTestDatabase();
    return await fn(pg ? pg.uri : `sqlite:///${join(dir.path, "bench.db")}`, dir.path);
  } finally {
    await pg?.drop();
    dir.remove();
  }
}

if (!wrkAvailable()) throw new Error("wrk not found (apt-get install wrk)");
log(`ciclo on ${backend}`);
const ciclo = await withDatabase(async (uri, dir) => {
  const server = await startBenchServer(uri, join(dir, "artifacts"));
  try {
    return await measure(server.url, server.pid, backend === "postgres" ? uri : undefined, backend === "sqlite" ? join(dir, "bench.db-wal") : undefined);
  } finally {
    await server.stop();
  }
}, backend === "sqlite");

let mlflow: Measured[] | undefined;
if (!cicloOnly) {
  const scratch = tempDir("ciclo-bench-mlflow-");
  try {
    const oracle = await findOracle(scratch.path);
    if (oracle) {
      log("MLflow 2.10.2 on postgres, 4 workers");
      mlflow = await withDatabase(async (uri, dir) => {
        const server = await startMlflowServer(oracle, "2.10", uri, join(dir, "artifacts"), dir, { workers: 4 });
        try {
          return await measure(server.url, server.proc.pid!, uri);
        } finally {
          await server.stop();
        }
      });
    }
  } finally {
    scratch.remove();
  }
}

const fmt = (v: number) => Math.round(v).toLocaleString("en-US");
console.log(`\n### writes, ${backend}${mlflow ? " (MLflow 2.10.2 on postgres beside it)" : ""}\n`);
console.log(mlflow ? "| case | ciclo | MLflow 2.10.2 | ratio |\n|---|---|---|---|" : "| case | ciclo |\n|---|---|");
const rows = CASES.map((c, i) => {
  const a = ciclo[i].requestsPerSec * c.perRequest;
  const b = mlflow ? mlflow[i].requestsPerSec * c.perRequest : undefined;
  const cell = (r: Measured, v: number) => `${fmt(v)} ${c.unit} (p99 ${r.latencyP99Ms} ms${r.errors ? `, ${r.errors} errors` : ""}; ${cpuText(r.cpu)})`;
  console.log(`| ${c.name} | ${cell(ciclo[i], a)} |${b !== undefined ? ` ${cell(mlflow![i], b)} | ${(a / b).toFixed(1)}× |` : ""}`);
  return { name: c.name, unit: c.unit, ciclo: a, cicloP99Ms: ciclo[i].latencyP99Ms, cicloCpu: ciclo[i].cpu, mlflow: b, mlflowP99Ms: mlflow?.[i].latencyP99Ms, mlflowCpu: mlflow?.[i].cpu };
});
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/writes-${backend}.json`, import.meta.url), JSON.stringify({ date: new Date().toISOString(), backend, seconds: SECONDS, rows }, null, 2) + "\n");
