/**
 * What sending the group statement's numeric arrays in binary saves (issue 17): one 1,000-point log-batch group
 * statement's parameters captured from the store, then (1) this process encoding them — text literals against
 * array-parameters.ts — alone and with pg-protocol's Bind message (node-postgres's own serializer; binary
 * elements are copied, literals UTF-8 encoded), and (2) a PostgreSQL backend binding a probe statement with the
 * same casts that only reads the parameters (`cardinality`), text against binary, its CPU read from /proc.
 *
 *   node --import tsx bench/pg-array-params.ts
 * @module
 */
import { loadavg } from "node:os";
import pg from "pg";
// node-postgres's wire serializer (a dependency of pg): the Bind message both forms become.
import { serialize } from "pg-protocol";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { withArrayLiterals } from "../src/store/postgres/array-literal.js";
import { arrayParameters, binaryParameterTypes } from "../src/store/postgres/array-parameters.js";
import { processCpuSeconds } from "./lib/proc-cpu.js";

type BindValues = NonNullable<Parameters<typeof serialize.bind>[0]>["values"];

const db = await createTestDatabase();
let last: { sql: string; params: readonly unknown[] } | undefined;
const conn = openPostgres(db.uri, { maxConnections: 1 });
const orig = conn.dialect.runPrepared.bind(conn.dialect);
conn.dialect.runPrepared = <R>(d: Parameters<typeof orig>[0], text: string, values: readonly unknown[]) => {
  if (text.includes("insert into metric_chunks")) last = { sql: text, params: values };
  return orig<R>(d, text, values);
};
const client = new pg.Client({ connectionString: db.uri });
try {
  await migrateToLatest(conn.db, "postgres");
  const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
  const runId = (await store.createRun({ experimentId: "0", userId: "u", runName: "x", startTime: 1, tags: [] })).info.runId;
  for (let b = 1; b < 30; b++)
    await store.logBatch(runId, { metrics: Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.random(), timestamp: 1_700_000_000_000 + b, step: b * 1000 + i })), params: [], tags: [] });
  const { sql, params } = last!;
  const types = binaryParameterTypes(sql);
  const arrays = params.map((p, i) => (Array.isArray(p) ? `${i + 1}:${types[i] ?? "text"}[${p.length}]` : `${i + 1}:${Buffer.isBuffer(p) ? "bytea" : typeof p}`));
  console.log("params:", arrays.join(" "), "numeric elements:", params.reduce<number>((s, p, i) => s + (Array.isArray(p) && types[i] ? p.length : 0), 0));
  const N = 20000;
  for (let round = 0; round < 3; round++) {
    for (const [name, f] of [["literals", () => withArrayLiterals(params)], ["binary", () => arrayParameters(sql, params)], ["literals+bind", () => serialize.bind({ statement: "s", values: withArrayLiterals(params) as BindValues })], ["binary+bind", () => serialize.bind({ statement: "s", values: arrayParameters(sql, params) as BindValues })]] as const) {
      for (let i = 0; i < 2000; i++) f();
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) f();
      const c = process.cpuUsage(c0);
      console.log(`round ${round} ${name}: ${((c.user + c.system) / N).toFixed(1)} µs per statement's parameters`);
    }
  }
  // PostgreSQL: the same casts, parameters only read (cardinality), text vs binary.
  await client.connect();
  const casts = [...sql.matchAll(/\$(\d+)::([a-z0-9_]+(?:\[\])?)/g)];
  const seen = new Map<number, string>();
  for (const m of casts) if (!seen.has(Number(m[1]))) seen.set(Number(m[1]), m[2]);
  const probe = `select ${[...seen].map(([n, t]) => (t.endsWith("[]") ? `cardinality($${n}::${t})` : `length($${n}::${t})`)).join(" + ")} as n`;
  const pid = (await client.query("select pg_backend_pid() as p")).rows[0].p;
  const M = 3000;
  for (let round = 0; round < 3; round++) {
    for (const [name, vals] of [["literals", withArrayLiterals(params)], ["binary", arrayParameters(sql, params)]] as const) {
      for (let i = 0; i < 200; i++) await client.query({ name: `p_${name}`, text: probe, values: vals });
      const c0 = processCpuSeconds(pid);
      for (let i = 0; i < M; i++) await client.query({ name: `p_${name}`, text: probe, values: vals });
      console.log(`round ${round} PostgreSQL ${name}: ${(((processCpuSeconds(pid) - c0) * 1e6) / M).toFixed(1)} µs per statement (bind+execute of the probe); load ${loadavg()[0].toFixed(1)}`);
    }
  }
} finally {
  await client.end().catch(() => {});
  await conn.db.destroy();
  await db.drop();
}
