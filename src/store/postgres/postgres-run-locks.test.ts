/**
 * PostgreSQL's metric tables have no foreign key to runs (migration 19): the writers lock the run row themselves.
 * Each test holds a parent the way a purge does (locked, deleted, not yet committed), sends a write that needs it,
 * waits until that write is seen waiting on the lock, commits the purge, and checks the write was refused with
 * MLflow's error and left no row behind.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { sql } from "kysely";
import { migrateToLatest } from "../migrations/migrator.js";
import { SqlTrackingStore } from "../sql/tracking/sql-tracking-store.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { openPostgres } from "./postgres-connection.js";

let pgdb: PgDatabase | undefined;
let conn: SqlConnection;
let store: SqlTrackingStore;

before(async () => {
  if (await postgresUnavailable()) return;
  pgdb = await createTestDatabase();
  conn = openPostgres(pgdb.uri);
  await migrateToLatest(conn.db, "postgres");
  store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
});
after(async () => {
  await conn?.db.destroy();
  await pgdb?.drop();
});

/** A second session standing in for a purge: `statements` run in a transaction left open until `commit`. */
async function purgeHolding(statements: string[]): Promise<{ commit(): Promise<void> }> {
  const client = new pg.Client({ connectionString: pgdb!.uri });
  await client.connect();
  await client.query("begin");
  for (const s of statements) await client.query(s);
  return {
    async commit() {
      await client.query("commit");
      await client.end();
    },
  };
}

/** Resolves once some session of the test database waits for a lock (the write under test, blocked). */
async function someoneWaits(): Promise<void> {
  for (;;) {
    const r = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid)
      where not l.granted and a.datname = current_database()`.execute(conn.db);
    if (r.rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function count(query: string): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(`(${query}) q`)}`.execute(conn.db)).rows[0].n;
}

async function errorCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { errorCode?: string }).errorCode ?? String(err);
  }
  return "resolved";
}

for (const kind of ["set-tag", "log-metric"] as const) {
  test(`a ${kind} waits for a purge holding its run, then is refused without leaving a row`, async (t) => {
    if (!pgdb) return t.skip("PostgreSQL unavailable");
    const run = await store.createRun({ experimentId: "0", userId: "u", runName: kind, startTime: 1, tags: [] });
    const purge = await purgeHolding([
      `select 1 from runs where run_uuid = '${run.info.runId}' for update`,
      `delete from tags where run_id in (select id from runs where run_uuid = '${run.info.runId}')`,
      `delete from runs where run_uuid = '${run.info.runId}'`,
    ]);
    const batch =
      kind === "set-tag"
        ? { metrics: [], params: [], tags: [{ key: "late", value: "x" }] }
        : { metrics: [{ key: "late", value: 1, step: 0, timestamp: 1 }], params: [], tags: [] };
    // Before the lock, the statement's snapshot still shows the run active: the answer must not say so.
    const write = errorCodeOf(store.logBatch(run.info.runId, batch));
    await someoneWaits();
    await purge.commit();
    assert.equal(await write, "RESOURCE_DOES_NOT_EXIST");
    for (const table of ["tags", "metrics", "latest_metrics", "metric_buckets"]) {
      assert.equal(await count(`select 1 from ${table} where run_id not in (select id from runs)`), 0, table);
    }
  });
}
