/**
 * PostgreSQL's share of a 1,000-point log-batch, without HTTP or a load generator in the way (issue 17): the
 * store's logBatch on one pooled connection, bodies shaped as bench/wrk/log-batch.lua sends them (ten keys, steps
 * counting up, two writers 10⁹ steps apart in one series), one request at a time or — `--pairs` — one body of each
 * writer at once (the group commit merges them into one statement, as it does under load). Prints the backends'
 * CPU per request (/proc), this process's (the store: statements built, parameters encoded, answers read), and the transactions rolled back (a group statement that fell back to the careful path).
 * `--explain` prints `EXPLAIN (ANALYZE, BUFFERS, WAL)` of the last group statement, run again into a new run.
 *
 *   node --import tsx bench/pg-log-batch.ts [--requests 300] [--rounds 3] [--pairs] [--explain]
 * @module
 */
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import type { Metric } from "../src/shared/tracking-types.js";
import { processCpuSeconds } from "./lib/proc-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const REQUESTS = Number(opt("--requests") ?? 300);
const ROUNDS = Number(opt("--rounds") ?? 3);
const PAIRS = args.includes("--pairs");

const db = await createTestDatabase();
let last: { sql: string; params: readonly unknown[] } | undefined;
const conn = openPostgres(db.uri, { maxConnections: 1, onQuery: (sql, params) => void (sql.includes("insert into metric_chunks") && (last = { sql, params })) });
const client = new pg.Client({ connectionString: db.uri });
try {
  await migrateToLatest(conn.db, "postgres");
  const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
  const newRun = async (name: string) => (await store.createRun({ experimentId: "0", userId: "u", runName: name, startTime: 1, tags: [] })).info.runId;
  const runId = await newRun("log-batch");
  await client.connect();
  /** Body `b` of writer `w`, as log-batch.lua builds it. */
  const body = (b: number, w: number): Metric[] =>
    Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.random(), timestamp: 1_700_000_000_000 + b, step: w * 1e9 + b * 1000 + i }));
  const log = (metrics: Metric[]) => store.logBatch(runId, { metrics, params: [], tags: [] });
  const backends = async () =>
    (await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")).rows.map((r) => r.pid);
  const rollbacks = async () => {
    await client.query("select pg_stat_force_next_flush()");
    return (await client.query<{ n: number }>("select xact_rollback::int as n from pg_stat_database where datname = current_database()")).rows[0].n;
  };
  let b = 1;
  const requests = async (n: number) => {
    if (PAIRS) for (let i = 0; i < n; i += 2, b++) await Promise.all([log(body(b, 0)), log(body(b, 1))]);
    else for (let i = 0; i < n; i++, b++) await log(body(b, i % 2));
  };
  await requests(50);
  console.log(`${PAIRS ? "two bodies at once" : "one body at a time"}, ${REQUESTS} requests per round; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  for (let round = 1; round <= ROUNDS; round++) {
    const pids = await backends();
    const r0 = await rollbacks();
    const c0 = pids.reduce((s, p) => s + processCpuSeconds(p), 0);
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await requests(REQUESTS);
    const wall = performance.now() - t0;
    const own = process.cpuUsage(own0);
    const cpu = pids.reduce((s, p) => s + processCpuSeconds(p), 0) - c0;
    const r1 = await rollbacks();
    console.log(
      `round ${round}: PostgreSQL backends ${((cpu * 1e6) / REQUESTS).toFixed(0)} µs per request, ` +
        `this process ${((own.user + own.system) / REQUESTS).toFixed(0)} µs, wall ${((wall * 1000) / REQUESTS).toFixed(0)} µs, ` +
        `${r1 - r0} rolled back; load ${loadavg()[0].toFixed(1)}`,
    );
  }
  if (args.includes("--explain") && last) {
    // The same statement into a fresh run (the points are new there): its parameters name the run by uuid.
    const other = await newRun("explain");
    const params = last.params.map((v) => (typeof v === "string" ? v.split(runId).join(other) : v));
    await client.query("begin");
    const plan = await client.query({ text: `explain (analyze, buffers, wal, costs off) ${last.sql}`, values: params as unknown[] });
    await client.query("rollback");
    console.log(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
  }
} finally {
  await client.end().catch(() => {});
  await conn.db.destroy();
  await db.drop();
}
