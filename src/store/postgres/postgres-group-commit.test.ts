/**
 * Round trips of a group commit on PostgreSQL: concurrent writes share a fixed few statements, no savepoints,
 * and a write that fails mid-way sends the group down the careful path (a savepoint each) without taking the
 * others with it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { migrateToLatest } from "../migrations/migrator.js";
import { SqlTrackingStore } from "../sql/tracking/sql-tracking-store.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { openPostgres } from "./postgres-connection.js";

let pgdb: PgDatabase | undefined;
let conn: SqlConnection;
let store: SqlTrackingStore;
let statements: string[] = [];

before(async () => {
  if (await postgresUnavailable()) return;
  pgdb = await createTestDatabase();
  conn = openPostgres(pgdb.uri, { onQuery: (q) => statements.push(q) });
  await migrateToLatest(conn.db, "postgres");
  store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
});
after(async () => {
  await conn?.db.destroy();
  await pgdb?.drop();
});

/** The statements `fn` sends. */
async function counted(fn: () => Promise<unknown>): Promise<string[]> {
  statements = [];
  await fn();
  return statements;
}

test("32 concurrent create-runs and 32 log-metrics over 32 runs cost a fixed few statements each, no savepoints", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const tags = [{ key: "mlflow.user", value: "u" }];
  let runs: Awaited<ReturnType<typeof store.createRun>>[] = [];
  const creates = await counted(async () => {
    runs = await Promise.all(Array.from({ length: 32 }, (_, i) => store.createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: i, tags })));
  });
  assert.equal(new Set(runs.map((r) => r.info.runId)).size, 32);
  // begin, experiments, runs, tags, commit
  assert.ok(creates.length <= 5, creates.join("\n"));
  const logs = await counted(() =>
    Promise.all(runs.map((r, i) => store.logBatch(r.info.runId, { metrics: [{ key: "m", value: i, step: i, timestamp: 1 }], params: [], tags: [] }))),
  );
  // begin, runs, metrics (counted per run), latest values, summaries, commit
  assert.ok(logs.length <= 6, logs.join("\n"));
  assert.ok(![...creates, ...logs].some((q) => /savepoint/i.test(q)));
  for (const [i, r] of runs.entries()) {
    const got = await store.getRun(r.info.runId);
    assert.deepEqual(got.data.metrics.map((m) => [m.value, m.step]), [[i, i]]);
    assert.equal(got.info.runName, `r${i}`);
  }
});

test("a write that fails mid-way rolls its group back and it runs again, each write in a savepoint", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "x", startTime: 1, tags: [] });
  const queries: string[] = [];
  const results = await (async () => {
    statements = [];
    const r = await Promise.allSettled([
      store.logBatch(run.info.runId, { metrics: [{ key: "a", value: 1, step: 0, timestamp: 1 }], params: [], tags: [] }),
      store.deleteTag(run.info.runId, "no-such-tag"), // a plain write that throws after its statements
      store.logBatch(run.info.runId, { metrics: [{ key: "b", value: 2, step: 0, timestamp: 1 }], params: [], tags: [] }),
    ]);
    queries.push(...statements);
    return r;
  })();
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.ok(queries.some((q) => /rollback to savepoint/i.test(q)), "the careful path ran");
  const got = await store.getRun(run.info.runId);
  assert.deepEqual(got.data.metrics.map((m) => m.key).sort(), ["a", "b"]);
});
