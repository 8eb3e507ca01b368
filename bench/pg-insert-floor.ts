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
 * MLflow's duplicate rule can reach); and a durable table of chunks — the
 * design a store not keeping one row per point would use: one row per
 * (run, key) and request holding that series' points in three arrays, the
 * arrays sent as parameters (PostgreSQL parses them, as it would a client's).
 * Prints points/s and the backends' CPU per point, then the floor of the
 * server's side: `JSON.parse` alone of a 1,000-point log-batch body, CPU per
 * point in this process (no HTTP, no validation, nothing stored).
 * Needs PostgreSQL (CICLO_TEST_PG_URL, as the tests).
 * @module
 */
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { PgCpu } from "./lib/pg-cpu.js";
import { chunkParams as packedChunkParams, PG_INSERT_CHUNKS, type ChunkRow } from "../src/store/sql/tracking/chunk-writes.js";
import { buildChunks } from "../src/store/sql/tracking/metric-chunks.js";

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
await admin.query(
  "create table floor_chunks (run_id int not null, key text not null, first_step bigint not null, " +
    "steps bigint[] not null, timestamps bigint[] not null, vals double precision[] not null, primary key (run_id, key, first_step))",
);
const indexes = (await admin.query<{ indexdef: string }>("select indexdef from pg_indexes where tablename = 'metrics'")).rows.map((r) => r.indexdef);

interface Case {
  name: string;
  table: string;
  /** Points per row: one series' share of a request (the wrk script's 1,000 points are over 10 keys). */
  chunked?: boolean;
  /** ciclo's own chunks (metric_chunks, migration 24): the points packed in one binary parameter. */
  packed?: boolean;
}
const CASES: Case[] = [
  { name: `ciclo's metrics table (${indexes.length} index${indexes.length === 1 ? "" : "es"}: the primary key over the point, the partial model-id index a plain point skips)`, table: "metrics" },
  { name: "unlogged copy, no index (heap only, not durable)", table: "floor_plain" },
  { name: "chunks: one durable row per (run, key) and request, points in three array parameters, primary key per chunk", table: "floor_chunks", chunked: true },
  {
    name: "ciclo's metric_chunks as migrated: a row per (run, key) and request, its points packed (24 bytes each) in one binary parameter, its one (step) index",
    table: "metric_chunks",
    packed: true,
  },
];

/** One request's chunks for metric_chunks (chunk-writes.ts's insert): 10 keys, 100 points each, steps from `base`. */
function packedParams(base: number): unknown[] {
  const rows: ChunkRow[] = [];
  for (let k = 0; k < KEYS; k++) {
    const points = [];
    for (let i = k; i < ROWS; i += KEYS) points.push({ step: base + i, timestamp: 1700000000000 + base, value: Math.random() });
    rows.push(...buildChunks(points).map((chunk) => ({ runPk, key: `m${k}`, chunk })));
  }
  return packedChunkParams(rows);
}

const KEYS = 10;
/** One request's chunk rows as parameters: per key, the first step and three array literals. */
function chunkParams(base: number): unknown[] {
  const params: unknown[] = [];
  for (let k = 0; k < KEYS; k++) {
    const steps: number[] = [];
    const times: number[] = [];
    const vals: string[] = [];
    for (let i = k; i < ROWS; i += KEYS) {
      steps.push(base + i);
      times.push(1700000000000 + i);
      vals.push(Math.random().toFixed(6));
    }
    params.push(`m${k}`, base + k, `{${steps.join(",")}}`, `{${times.join(",")}}`, `{${vals.join(",")}}`);
  }
  return params;
}
const chunkSql =
  "insert into floor_chunks (run_id, key, first_step, steps, timestamps, vals) values " +
  Array.from({ length: KEYS }, (_, k) => `($1::int, $${2 + k * 5}, $${3 + k * 5}, $${4 + k * 5}::bigint[], $${5 + k * 5}::bigint[], $${6 + k * 5}::float8[])`).join(", ");
/** Parameters are built ahead of the measured window, so this process's array building is not in the figure. */
const chunkBodies = Array.from({ length: 64 }, (_, i) => chunkParams(i));

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
  let body = 0;
  const loop = async (cl: pg.Client, until: number): Promise<number> => {
    let n = 0;
    while (Date.now() < until) {
      const base = nextStep;
      nextStep += ROWS;
      if (c.packed) {
        // Built here, in the measured window: this process's packing is not PostgreSQL's CPU, which is what is measured.
        await cl.query({ name: "packed", text: PG_INSERT_CHUNKS, values: packedParams(base) });
      } else if (c.chunked) {
        const params = chunkBodies[body++ % chunkBodies.length].slice();
        for (let k = 0; k < KEYS; k++) params[1 + k * 5] = base + k; // a new chunk key per request
        await cl.query(chunkSql, [runPk, ...params]);
      } else {
        await cl.query(sql, [runPk, base, ROWS]);
      }
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

/** CPU per point of `JSON.parse` of a body as the wrk script sends it: the least any server taking MLflow's JSON spends. */
function jsonParseFloor(): { pointsPerSecond: number; cpuUsPerPoint: number } {
  const parts: string[] = [];
  for (let i = 0; i < ROWS; i++) parts.push(`{"key":"m${i % KEYS}","value":${Math.random().toFixed(6)},"timestamp":${1700000000000 + i},"step":${1000000000 + i}}`);
  const body = Buffer.from(`{"run_id":"${"0".repeat(32)}","metrics":[${parts.join(",")}]}`);
  let seen = 0;
  const parse = (n: number) => {
    for (let i = 0; i < n; i++) seen += (JSON.parse(body.toString("utf8")) as { metrics: unknown[] }).metrics.length;
  };
  parse(200);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    parse(50);
    n += 50;
  }
  const used = process.cpuUsage(cpu0);
  const cpuUs = used.user + used.system;
  if (seen === 0) throw new Error("nothing parsed");
  return { pointsPerSecond: (n * ROWS) / (cpuUs / 1e6), cpuUsPerPoint: cpuUs / (n * ROWS) };
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
  results.push({ case: "JSON.parse of a log-batch body (this process, µs per point in the cpu column)", ...jsonParseFloor(), load: loadavg()[0] });
  const j = results[results.length - 1];
  console.log(`  JSON.parse alone of a ${ROWS}-point log-batch body: ${j.cpuUsPerPoint.toFixed(2)} µs CPU per point (${Math.round(j.pointsPerSecond).toLocaleString("en")} points/s on one core)`);
} finally {
  await admin.end();
  await conn.db.destroy();
  await db.drop();
}
console.log(JSON.stringify({ bench: "pg-insert-floor", rowsPerStatement: ROWS, connections: CONNECTIONS, seconds: SECONDS, results }, null, 2));
