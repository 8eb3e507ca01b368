/**
 * PostgreSQL's runs have no foreign key to experiments and its tags none to runs (migration 21): the writers lock
 * the parent row themselves. Each test holds a parent the way a purge does (locked, deleted, not yet committed),
 * sends a write that needs it, waits until that write is seen waiting on the lock, commits the purge, and checks
 * the write was refused with MLflow's error and left no row behind.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { sql } from "kysely";
import { migrateToLatest } from "../migrations/migrator.js";
import { SqlTrackingStore } from "../sql/tracking/sql-tracking-store.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { waitFor } from "../../testing/wait-for.js";
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

/**
 * Resolves once some session of the test database waits for a lock (the write under test, blocked). PostgreSQL
 * announces no such moment, so pg_locks is polled, with a bound.
 */
async function someoneWaits(): Promise<void> {
  await waitFor(
    async () =>
      (
        await sql<{ n: number }>`
          select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid)
          where not l.granted and a.datname = current_database()`.execute(conn.db)
      ).rows[0].n,
    (n) => n > 0,
    { timeoutMs: 30_000, what: "a session waiting for a lock" },
  );
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

test("runs and tags have no foreign key to their parent; the other keys to runs and experiments stay", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const fks = await sql<{ child: string; parent: string }>`
    select conrelid::regclass::text as child, confrelid::regclass::text as parent from pg_constraint
    where contype = 'f' and confrelid in ('runs'::regclass, 'experiments'::regclass) order by 1, 2`.execute(conn.db);
  const pairs = fks.rows.map((r) => `${r.child}→${r.parent}`);
  assert.ok(!pairs.includes("runs→experiments") && !pairs.includes("tags→runs"), pairs.join(", "));
  for (const kept of ["params→runs", "run_inputs→runs", "datasets→experiments", "experiment_tags→experiments", "logged_models→experiments"]) {
    assert.ok(pairs.includes(kept), `${kept} missing from ${pairs.join(", ")}`);
  }
});

for (const mixed of [false, true]) {
  test(`a create run ${mixed ? "in a group with another write" : "(one-statement group)"} waits for a purge holding its experiment, then is refused`, async (t) => {
    if (!pgdb) return t.skip("PostgreSQL unavailable");
    const exp = await store.createExperiment({ name: `doomed-${mixed}`, tags: [] });
    const purge = await purgeHolding([
      `select 1 from experiments where experiment_id = ${exp} for update`,
      `delete from experiments where experiment_id = ${exp}`,
    ]);
    const create = errorCodeOf(store.createRun({ experimentId: exp, userId: "u", runName: "late", startTime: 1, tags: [{ key: "k", value: "v" }] }));
    // In the same tick: one group, run as a transaction (not the one-statement path) when it holds another write.
    const other = mixed ? store.createExperiment({ name: `bystander-${mixed}`, tags: [] }) : undefined;
    await someoneWaits();
    await purge.commit();
    assert.equal(await create, "RESOURCE_DOES_NOT_EXIST");
    if (other) assert.ok(await other);
    assert.equal(await count(`select 1 from runs where experiment_id = ${exp}`), 0);
    assert.equal(await count("select 1 from tags where run_id not in (select id from runs)"), 0);
  });
}

test("a rename waits for a purge holding its run, then is refused without leaving its tag", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "before", startTime: 1, tags: [] });
  const purge = await purgeHolding([
    `select 1 from runs where run_uuid = '${run.info.runId}' for update`,
    `delete from tags where run_id in (select id from runs where run_uuid = '${run.info.runId}')`,
    `delete from runs where run_uuid = '${run.info.runId}'`,
  ]);
  const rename = errorCodeOf(store.updateRun(run.info.runId, { runName: "after" }));
  await someoneWaits();
  await purge.commit();
  assert.equal(await rename, "RESOURCE_DOES_NOT_EXIST");
  assert.equal(await count("select 1 from tags where run_id not in (select id from runs)"), 0);
});

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
    for (const table of ["tags", "metrics", "metric_chunks", "latest_metrics", "metric_buckets"]) {
      assert.equal(await count(`select 1 from ${table} where run_id not in (select id from runs)`), 0, table);
    }
  });
}
