/**
 * `npm run bench`: the tracking server's benchmarks against the issue's targets.
 *
 *   npm run bench                      # SQLite (embedded default)
 *   npm run bench -- --backend postgres
 *   npm run bench -- --backend both --quick
 *   npm run bench -- --only search-1k      # the 1,000-run search pages alone (seconds: no other seeding)
 *
 * To compare builds on the 1,000-run page, alternated on the same machine: bench/search-page.ts.
 * Each backend gets a fresh database. Data is seeded through the store, then
 * the BUILT server (dist/) runs as a child process and is measured over HTTP:
 * throughput with Debian's `wrk` (C, low CPU), latency with sequential fetches.
 * Results print as a table and are written to bench/results/<backend>.json.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { openStores } from "../src/store/open-stores.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { getJson, postForBytes, postJson, sampleLatency } from "./lib/latency.js";
import { seedHistory, seedRuns, seedRunsBulk } from "./lib/seed.js";
import { startBenchServer, type BenchServer } from "./lib/server-process.js";
import { runWrk, wrkAvailable } from "./lib/wrk.js";

interface Row {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean | null;
  note?: string;
}

const args = process.argv.slice(2);
const backendArg = args[args.indexOf("--backend") + 1] && args.includes("--backend") ? args[args.indexOf("--backend") + 1] : "sqlite";
const quick = args.includes("--quick");
/** `--only search-1k`: seed and measure the two 1,000-run search pages only. */
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
if (only !== undefined && only !== "search-1k") throw new Error(`--only takes search-1k, not ${only}`);
const searchOnly = only === "search-1k";
const WIDE_RUNS = quick ? 10_000 : 100_000;
const HISTORY_POINTS = quick ? 100_000 : 1_000_000;
const SECONDS = quick ? 4 : 10;

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function benchBackend(backend: "sqlite" | "postgres"): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = tempDir("ciclo-bench-");
  const pg = backend === "postgres" ? await createTestDatabase() : undefined;
  const uri = pg ? pg.uri : `sqlite:///${join(dir.path, "bench.db")}`;
  let server: BenchServer | undefined;
  try {
    // ── seed ──
    const { tracking } = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
    const small = await tracking.createExperiment({ name: "search-1k", tags: [] });
    const small5 = await tracking.createExperiment({ name: "search-1k-wide", tags: [] });
    const wide = await tracking.createExperiment({ name: "search-wide", tags: [] });
    let t = performance.now();
    // The shape of MLflow's own benchmark runs (create_run + log_batch with 1 metric, 1 param, 1 tag; client tags).
    await seedRuns(tracking, small, 1000, { params: 1, metrics: 1, tags: 1, valuesPerParam: 10, clientTags: true });
    await seedRuns(tracking, small5, 1000, { params: 5, metrics: 5, tags: 3, valuesPerParam: 10, clientTags: true });
    log(`seeded 2 × 1,000 runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const wideShape = { params: 20, metrics: 10, tags: 2, valuesPerParam: 10 };
    if (searchOnly) {
      await tracking.close();
      server = await startBenchServer(uri, join(dir.path, "artifacts"));
      rows.push(...(await searchPages(`${server.url}/api/2.0/mlflow`, small, small5)));
      return rows;
    }
    const progress = (n: number) => log(`  ${n.toLocaleString()} wide runs`);
    if (pg) {
      // In bulk into the store's tables (seconds instead of many minutes); SQLite keeps its figures' seeding.
      const { openConnection } = await import("../src/store/open-store.js");
      const conn = await openConnection(uri);
      await seedRunsBulk(conn, wide, WIDE_RUNS, wideShape, progress);
      await conn.db.destroy();
    } else {
      await seedRuns(tracking, wide, WIDE_RUNS, wideShape, progress);
    }
    const seedSecs = (performance.now() - t) / 1000;
    log(`seeded ${WIDE_RUNS.toLocaleString()} runs (20 params, 10 metrics) in ${seedSecs.toFixed(1)} s${pg ? " (bulk)" : ""}`);
    const histRun = await tracking.createRun({ experimentId: "0", userId: "bench", runName: "history", startTime: Date.now(), tags: [] });
    t = performance.now();
    await seedHistory(tracking, histRun.info.runId, "loss", HISTORY_POINTS);
    log(`seeded ${HISTORY_POINTS.toLocaleString()} history points in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await tracking.close();
    if (pg) {
      // What autovacuum does in a running deployment: fresh planner statistics after a bulk load.
      const { openConnection } = await import("../src/store/open-store.js");
      const conn = await openConnection(uri);
      await sql`vacuum analyze`.execute(conn.db);
      await conn.db.destroy();
    }

    // ── server ──
    server = await startBenchServer(uri, join(dir.path, "artifacts"));
    const api = `${server.url}/api/2.0/mlflow`;
    rows.push({ name: "startup (spawn → /health OK)", value: server.startupMs, unit: "ms", target: "< 1000", ok: server.startupMs < 1000 });
    rows.push({ name: "idle RSS after start", value: server.rssMb(), unit: "MB", target: "≤ 120", ok: server.rssMb() <= 120 });

    // ── latency ──
    rows.push(...(await searchPages(api, small, small5)));

    const filter = "params.p0 = 'v3' AND metrics.m0 > 0.5";
    let matched = 0;
    const sWide = await sampleLatency(async () => {
      const r = (await postJson(`${api}/runs/search`, {
        experiment_ids: [wide],
        filter,
        order_by: ["metrics.m1 DESC"],
        max_results: 100,
      })) as { runs: unknown[] };
      matched = r.runs.length;
    });
    rows.push({
      name: `search ${WIDE_RUNS.toLocaleString()} runs, param+metric filter, order by metric, 100 rows (p50)`,
      value: sWide.p50,
      unit: "ms",
      target: "≤ 50",
      ok: sWide.p50 <= 50,
      note: `${matched} rows; p95 ${sWide.p95.toFixed(1)} ms`,
    });
    const sWidePage = await sampleLatency(async () => {
      await postJson(`${api}/runs/search`, { experiment_ids: [wide], max_results: 100, order_by: ["metrics.m3 ASC"] });
    });
    rows.push({ name: `search ${WIDE_RUNS.toLocaleString()} runs, no filter, order by metric, 100 rows (p50)`, value: sWidePage.p50, unit: "ms", target: "(info)", ok: null, note: `p95 ${sWidePage.p95.toFixed(1)} ms` });

    let points = 0;
    const hist = await sampleLatency(async () => {
      const r = (await getJson(`${api}/metrics/get-history-bulk-interval?run_ids=${histRun.info.runId}&metric_key=loss&max_results=1000`)) as { metrics: unknown[] };
      points = r.metrics.length;
    }, 20);
    rows.push({
      name: `history ${HISTORY_POINTS.toLocaleString()} points → ${points} (min/max downsampled, p50)`,
      value: hist.p50,
      unit: "ms",
      target: "≤ 100",
      ok: hist.p50 <= 100,
      note: `p95 ${hist.p95.toFixed(1)} ms`,
    });

    // ── throughput ──
    if (wrkAvailable()) {
      const runFor = async (name: string) =>
        ((await postJson(`${api}/runs/create`, { experiment_id: "0", run_name: name })) as { run: { info: { run_id: string } } }).run.info.run_id;
      const batchRun = await runFor("log-batch");
      const lb = await runWrk({ url: `${api}/runs/log-batch`, script: "log-batch.lua", threads: 2, connections: 4, seconds: SECONDS, env: { RUN_ID: batchRun, BODIES: String(SECONDS * 400) } });
      rows.push({ name: "log-batch, 1,000 metrics/request, 4 clients", value: lb.requestsPerSec * 1000, unit: "metrics/s", target: "≥ 400,000", ok: lb.requestsPerSec * 1000 >= 400_000, note: `${lb.requestsPerSec.toFixed(0)} req/s, p99 ${lb.latencyP99Ms} ms, errors ${lb.errors}` });
      const metricRun = await runFor("log-metric");
      const lm = await runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds: SECONDS, env: { RUN_ID: metricRun } });
      rows.push({ name: "log-metric, raw HTTP, 32 connections", value: lm.requestsPerSec, unit: "calls/s", target: "≥ 15,000", ok: lm.requestsPerSec >= 15_000, note: `p99 ${lm.latencyP99Ms} ms, errors ${lm.errors}` });
      const cr = await runWrk({ url: `${api}/runs/create`, script: "create-run.lua", threads: 1, connections: 16, seconds: SECONDS });
      rows.push({ name: "create run, 16 connections", value: cr.requestsPerSec, unit: "runs/s", target: "≥ 3,000", ok: cr.requestsPerSec >= 3000, note: `p99 ${cr.latencyP99Ms} ms, errors ${cr.errors}` });
      for (const r of [lb, lm, cr]) if (r.errors > 0) throw new Error(`wrk saw ${r.errors} errors`);
    } else {
      log("wrk not found (apt-get install wrk): throughput benchmarks skipped");
    }
    rows.push({ name: "RSS after the benchmarks", value: server.rssMb(), unit: "MB", target: "(info)", ok: null });
    return rows;
  } finally {
    await server?.stop();
    await pg?.drop();
    dir.remove();
  }
}

/** The two 1,000-run search pages (issue 2's ≤ 15 ms case and a wider one), p50 with the full body received. */
async function searchPages(api: string, small: string, small5: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [exp, label, target] of [
    [small, "1 param, 1 metric, 5 tags", true],
    [small5, "5 params, 5 metrics, 7 tags", false],
  ] as const) {
    const check = (await postJson(`${api}/runs/search`, { experiment_ids: [exp], max_results: 1000 })) as { runs: unknown[] };
    if (check.runs.length !== 1000) throw new Error(`expected 1000 runs, got ${check.runs.length}`);
    let bytes = 0;
    const st = await sampleLatency(async () => {
      bytes = await postForBytes(`${api}/runs/search`, { experiment_ids: [exp], max_results: 1000 });
    });
    rows.push({
      name: `search 1,000 runs → 1,000 rows, ${label} (p50, full body received)`,
      value: st.p50,
      unit: "ms",
      target: target ? "≤ 15" : "(info)",
      ok: target ? st.p50 <= 15 : null,
      note: `${(bytes / 1e6).toFixed(2)} MB; p95 ${st.p95.toFixed(1)} ms`,
    });
  }
  return rows;
}

function fmt(v: number): string {
  return v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1);
}

const backends: Array<"sqlite" | "postgres"> = backendArg === "both" ? ["sqlite", "postgres"] : [backendArg as "sqlite" | "postgres"];
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
for (const backend of backends) {
  log(`backend ${backend}${quick ? " (quick)" : ""}`);
  const rows = await benchBackend(backend);
  console.log(`\n### ${backend}${quick ? " (quick)" : ""}\n`);
  console.log("| benchmark | result | target | |");
  console.log("|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${fmt(r.value)} ${r.unit}${r.note ? ` (${r.note})` : ""} | ${r.target} | ${r.ok === null ? "" : r.ok ? "✅" : "❌"} |`);
  }
  if (searchOnly) continue; // a part of the benchmarks: bench/results keeps whole runs
  writeFileSync(new URL(`./results/${backend}${quick ? "-quick" : ""}.json`, import.meta.url), JSON.stringify({ date: new Date().toISOString(), backend, quick, rows }, null, 2) + "\n");
}
