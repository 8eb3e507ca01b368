/**
 * `npm run bench:writes`: ciclo's write throughput beside MLflow 2.10.2's, the same wrk scripts against both
 * servers, each on a fresh database of the same PostgreSQL server (MLflow: 4 gunicorn workers, psycopg2).
 *
 *   npm run bench:writes                         # ciclo and MLflow on PostgreSQL
 *   npm run bench:writes -- --backend sqlite     # ciclo on SQLite (MLflow is measured on PostgreSQL only)
 *   npm run bench:writes -- --ciclo-only --seconds 5
 *
 * Cases: log-batch of 1,000 new points (4 connections), log-metric into one run and spread over 32 runs
 * (32 connections), create run (16 connections). Every request writes new points, so no retry path flatters a
 * figure. Results print as a table and go to bench/results/writes-<backend>.json.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findOracle, startMlflowServer } from "../src/mlflow-import/testing/mlflow-oracle.js";
import { createTestDatabase, type PgDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { postJson } from "./lib/latency.js";
import { startBenchServer } from "./lib/server-process.js";
import { runWrk, wrkAvailable, type WrkResult } from "./lib/wrk.js";

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const backend = (opt("--backend") ?? "postgres") as "postgres" | "sqlite";
const SECONDS = Number(opt("--seconds") ?? 8);
const cicloOnly = args.includes("--ciclo-only") || backend !== "postgres";

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

interface Case {
  name: string;
  unit: string;
  /** Per wrk request. */
  perRequest: number;
}
const CASES: Case[] = [
  { name: "log-batch, 1,000 new points/request, 4 connections", unit: "metrics/s", perRequest: 1000 },
  { name: "log-metric into one run, 32 connections", unit: "calls/s", perRequest: 1 },
  { name: "log-metric over 32 runs, 32 connections", unit: "calls/s", perRequest: 1 },
  { name: "create run, 16 connections", unit: "runs/s", perRequest: 1 },
];

/** Runs every case against the server at `base`; a warm-up of each first (V8, MLflow's workers, caches). */
async function measure(base: string): Promise<WrkResult[]> {
  const api = `${base}/api/2.0/mlflow`;
  const newRun = async (name: string) =>
    ((await postJson(`${api}/runs/create`, { experiment_id: "0", run_name: name, start_time: Date.now() })) as { run: { info: { run_id: string } } }).run.info.run_id;
  const batchRun = await newRun("log-batch");
  const oneRun = await newRun("log-metric");
  const runs: string[] = [];
  for (let i = 0; i < 32; i++) runs.push(await newRun(`sweep-${i}`));
  const out: WrkResult[] = [];
  const go = async (warm: boolean, i: number) => {
    const seconds = warm ? 2 : SECONDS;
    const wrk = [
      () => runWrk({ url: `${api}/runs/log-batch`, script: "log-batch.lua", threads: 2, connections: 4, seconds, timeoutSeconds: 30, env: { RUN_ID: batchRun, BODIES: String(seconds * 300) } }),
      () => runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds, timeoutSeconds: 30, env: { RUN_ID: oneRun } }),
      () => runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds, timeoutSeconds: 30, env: { RUN_IDS: runs.join(",") } }),
      () => runWrk({ url: `${api}/runs/create`, script: "create-run.lua", threads: 1, connections: 16, seconds, timeoutSeconds: 30 }),
    ][i];
    return wrk();
  };
  for (let i = 0; i < CASES.length; i++) {
    await go(true, i);
    const r = await go(false, i);
    log(`  ${CASES[i].name}: ${Math.round(r.requestsPerSec * CASES[i].perRequest)} ${CASES[i].unit} (p99 ${r.latencyP99Ms} ms, errors ${r.errors})`);
    out.push(r);
  }
  return out;
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
    return await measure(server.url);
  } finally {
    await server.stop();
  }
}, backend === "sqlite");

let mlflow: WrkResult[] | undefined;
if (!cicloOnly) {
  const scratch = tempDir("ciclo-bench-mlflow-");
  try {
    const oracle = await findOracle(scratch.path);
    if (oracle) {
      log("MLflow 2.10.2 on postgres, 4 workers");
      mlflow = await withDatabase(async (uri, dir) => {
        const server = await startMlflowServer(oracle, "2.10", uri, join(dir, "artifacts"), dir, { workers: 4 });
        try {
          return await measure(server.url);
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
  const cell = (r: WrkResult, v: number) => `${fmt(v)} ${c.unit} (p99 ${r.latencyP99Ms} ms${r.errors ? `, ${r.errors} errors` : ""})`;
  console.log(`| ${c.name} | ${cell(ciclo[i], a)} |${b !== undefined ? ` ${cell(mlflow![i], b)} | ${(a / b).toFixed(1)}× |` : ""}`);
  return { name: c.name, unit: c.unit, ciclo: a, cicloP99Ms: ciclo[i].latencyP99Ms, mlflow: b, mlflowP99Ms: mlflow?.[i].latencyP99Ms };
});
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/writes-${backend}.json`, import.meta.url), JSON.stringify({ date: new Date().toISOString(), backend, seconds: SECONDS, rows }, null, 2) + "\n");
