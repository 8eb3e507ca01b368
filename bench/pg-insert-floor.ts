/**
 * The floor under log-batch on PostgreSQL: how many metric points per second
 * the database itself stores on this machine when nothing else is asked of it
 * — no HTTP, no JSON, no parameters to parse, no latest values or summaries,
 * the rows made by `generate_series` inside the server. Two connections (the
 * machine's two cores) each insert statements of 1,000 points, each statement
 * its own transaction, as a log-batch of 1,000 points is.
 *
 *   npm run bench:pg-insert-floor -- [--seconds 5] [--rows 1000]
 *
 * Cases: ciclo's `metrics` table as migrated (MLflow's primary key over every
 * column of a point: one B-tree entry per point); an unlogged copy without
 * any index (no WAL, no B-tree: the heap alone, a bound no durable store with
 * MLflow's duplicate rule can reach). Prints points/s and the backends' CPU
 * per point. Needs PostgreSQL (CICLO_TEST_PG_URL, as the tests).
 * @module
 */
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { PgCpu } from "./lib/pg-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(opt("--seconds") ?? 5);
const ROWS = Number(opt("--rows") ?? 1000);
const CONNECTIONS = 2;

const db = await createTestDatabase();
const conn = openPostgres(db.uri);
await migrateToLatest(conn.db, "postgres");
const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "file:///tmp/floor" });
await store.init();
const run = await store.createRun({ experimentId: "0", userId: "bench", runName: "floor", startTime: 0, tags: [] });
const clientUri = db.uri.replace(/^postgres(ql)?(\+\w+)?:/, "postgresql:");
const admin = new pg.Client({ connectionString: clientUri });
await admin.connect();
const runPk = Number((await admin.query<{ id: number }>("select id from runs where run_uuid = $1", [run.info.runId])).rows[0].id);
await admin.query("create unlogged table floor_plain as select run_id, key, step, timestamp, value, is_nan from metrics with no data");
const indexes = (await admin.query<{ indexdef: string }>("select indexdef from pg_indexes where tablename = 'metrics'")).rows.map((r) => r.indexdef);

interface Case {
  name: string;
  table: string;
}
const CASES: Case[] = [
  { name: `ciclo's metrics table (${indexes.length} index${indexes.length === 1 ? "" : "es"}: the primary key over the point, the partial model-id index a plain point skips)`, table: "metrics" },
  { name: "unlogged copy, no index (heap only, not durable)", table: "floor_plain" },
];

let nextStep = 0;
async function measure(c: Case): Promise<{ pointsPerSecond: number; cpuUsPerPoint: number }> {
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const cl = new pg.Client({ connectionString: clientUri });
      await cl.connect();
      return cl;
    }),
  );
  const sql =
    `insert into ${c.table} (run_id, key, step, timestamp, value, is_nan) ` +
    `select $1::int, 'm' || (i % 10), $2::bigint + i / 10, 1700000000000 + i, random(), 0 from generate_series(0, $3::int - 1) i`;
  const cpu = await PgCpu.open(db.uri);
  const warmUntil = Date.now() + 1000;
  const loop = async (cl: pg.Client, until: number): Promise<number> => {
    let n = 0;
    while (Date.now() < until) {
      const base = nextStep;
      nextStep += ROWS;
      await cl.query(sql, [runPk, base, ROWS]);
      n += ROWS;
    }
    return n;
  };
  await Promise.all(clients.map((cl) => loop(cl, warmUntil)));
  await cpu.begin();
  const t0 = performance.now();
  const until = Date.now() + SECONDS * 1000;
  const points = (await Promise.all(clients.map((cl) => loop(cl, until)))).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - t0) / 1000;
  const used = await cpu.end();
  await cpu.close();
  await Promise.all(clients.map((cl) => cl.end()));
  return { pointsPerSecond: points / seconds, cpuUsPerPoint: ((used.backends + used.background) / points) * 1e6 };
}

console.log(`PostgreSQL insert floor: ${CONNECTIONS} connections, ${ROWS} points per statement, ${SECONDS} s per case`);
const results: Array<{ case: string; pointsPerSecond: number; cpuUsPerPoint: number; load: number }> = [];
try {
  for (const c of CASES) {
    const r = await measure(c);
    const load = loadavg()[0];
    results.push({ case: c.name, ...r, load });
    console.log(`  ${c.name}: ${Math.round(r.pointsPerSecond).toLocaleString("en")} points/s; PostgreSQL CPU ${r.cpuUsPerPoint.toFixed(2)} µs per point; load ${load.toFixed(1)}`);
  }
} finally {
  await admin.end();
  await conn.db.destroy();
  await db.drop();
}
console.log(JSON.stringify({ bench: "pg-insert-floor", rowsPerStatement: ROWS, connections: CONNECTIONS, seconds: SECONDS, results }, null, 2));
