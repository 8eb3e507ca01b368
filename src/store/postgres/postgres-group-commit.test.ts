/**
 * Round trips of a group commit on PostgreSQL: concurrent log-metrics or create-runs share one statement (no
 * transaction, no savepoints), log-batches with params a fixed few, and a write that fails mid-way sends the
 * group down the careful path (a savepoint each) without taking the others with it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { migrateToLatest } from "../migrations/migrator.js";
import { SqlTrackingStore } from "../sql/tracking/sql-tracking-store.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { historySummaries, storedSummaries } from "../../testing/metric-summaries.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { openPostgres } from "./postgres-connection.js";
import { mergePartSummary, PART_LEVEL, readPart } from "../sql/tracking/bucket-parts.js";
import type { Summary } from "../sql/tracking/metric-buckets.js";

let pgdb: PgDatabase | undefined;
let conn: SqlConnection;
let store: SqlTrackingStore;
let statements: string[] = [];

before(async () => {
  if (await postgresUnavailable()) return;
  pgdb = await createTestDatabase();
  conn = openPostgres(pgdb.uri, { onQuery: (q) => statements.push(q) });
  await migrateToLatest(conn.db, "postgres");
  // The group statement's own metric path (the metric inbox off): what these tests look at.
  store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r", metricInbox: false });
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
  // One statement, its own commit: experiments, runs and tags together.
  assert.equal(creates.length, 1, creates.join("\n"));
  const logs = await counted(() =>
    Promise.all(runs.map((r, i) => store.logBatch(r.info.runId, { metrics: [{ key: "m", value: i, step: i, timestamp: 1 }], params: [], tags: [] }))),
  );
  // One statement: runs, points, latest values and summaries.
  assert.equal(logs.length, 1, logs.join("\n"));
  assert.ok(logs[0].startsWith("with rs as"), logs[0]);
  assert.ok(![...creates, ...logs].some((q) => /savepoint|^begin/i.test(q)));
  // With params, a group needs a transaction: begin, runs with their stored params, the write, commit.
  const withParams = await counted(() =>
    Promise.all(runs.map((r, i) => store.logBatch(r.info.runId, { metrics: [], params: [{ key: "p", value: String(i) }], tags: [] }))),
  );
  assert.ok(withParams.length <= 4, withParams.join("\n"));
  for (const [i, r] of runs.entries()) {
    const got = await store.getRun(r.info.runId);
    assert.deepEqual(got.data.metrics.map((m) => [m.value, m.step]), [[i, i]]);
    assert.equal(got.info.runName, `r${i}`);
    assert.deepEqual(got.data.params, [{ key: "p", value: String(i) }]);
  }
});

test("a one-statement group rejects inputs for missing and deleted runs, writing nothing for them", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const [good, deleted] = await Promise.all([0, 1].map((i) => store.createRun({ experimentId: "0", userId: "u", runName: `g${i}`, startTime: 1, tags: [] })));
  await store.deleteRun(deleted.info.runId);
  const point = (step: number) => ({ metrics: [{ key: "m", value: step, step, timestamp: 1 }], params: [], tags: [{ key: "t", value: String(step) }] });
  const queries = await counted(async () => {
    const results = await Promise.allSettled([
      store.logBatch(good.info.runId, point(1)),
      store.logBatch("ffffffffffffffffffffffffffffff01", point(2)),
      store.logBatch(deleted.info.runId, point(3)),
      store.logBatch(good.info.runId, point(4)),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
    const reason = (i: number) => (results[i] as PromiseRejectedResult).reason as Error & { errorCode: string };
    assert.equal(reason(1).errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.match(reason(2).message, /must be in the 'active' state/);
  });
  assert.equal(queries.length, 1, queries.join("\n"));
  assert.ok(queries[0].startsWith("with rs as"), queries[0]);
  const got = await store.getRun(good.info.runId);
  assert.deepEqual(got.data.metrics.map((m) => m.step), [4]);
  assert.deepEqual(got.data.tags.filter((x) => x.key === "t"), [{ key: "t", value: "4" }]);
  const dead = await conn.db.selectFrom("runs").innerJoin("metrics", "metrics.run_id", "runs.id").select("metrics.step").where("runs.run_uuid", "=", deleted.info.runId).execute();
  assert.deepEqual(dead, []);
});

test("summaries written by the group statement count each stored point once, retries and NaN included", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "s", startTime: 1, tags: [] });
  const pts = Array.from({ length: 600 }, (_, i) => ({ key: "s", value: i === 7 ? Number.NaN : Math.cos(i), step: i * 3, timestamp: i }));
  // Concurrent overlapping batches (one group) and a later retry of the first.
  await Promise.all([store.logBatch(run.info.runId, { metrics: pts.slice(0, 400), params: [], tags: [] }), store.logBatch(run.info.runId, { metrics: pts.slice(200), params: [], tags: [] })]);
  await store.logBatch(run.info.runId, { metrics: pts.slice(0, 400), params: [], tags: [] });
  const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
  const summaries = await storedSummaries(conn.db, pk, "s");
  const finite = pts.filter((p) => !Number.isNaN(p.value)).map((p) => p.value);
  for (const level of [8, 12, 16]) {
    const rows = summaries.filter((b) => b.level === level);
    assert.equal(rows.reduce((n, b) => n + b.cnt, 0), 600, `level ${level}`);
    assert.equal(Math.min(...rows.map((b) => b.min ?? Infinity)), Math.min(...finite));
    assert.equal(Math.max(...rows.map((b) => b.max ?? -Infinity)), Math.max(...finite));
  }
  assert.deepEqual(summaries, await historySummaries(conn.db, pk, "s"));
  const latest = await store.getRun(run.info.runId);
  assert.deepEqual(latest.data.metrics.map((m) => m.step), [599 * 3]);
});

test("a bucket both closed by the series' row and summarised from the write's other points gets one merged row, ties to the earlier point", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "merge", startTime: 1, tags: [] });
  const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
  const log = (metrics: Array<[string, number, number]>) =>
    store.logBatch(run.info.runId, { metrics: metrics.map(([key, step, value]) => ({ key, step, value, timestamp: 7 })), params: [], tags: [] });
  // The coarser levels' rows, and the finest level's packed parts merged per bucket (bucket-parts.ts), as readers merge them.
  const rows = async (key: string) => {
    const finest = new Map<number, Summary>();
    for (const p of await conn.db.selectFrom("metric_bucket_parts").select("data").where("run_id", "=", pk).where("key", "=", key).execute()) {
      readPart(p.data, (e) => (finest.has(e.bucket) ? mergePartSummary(finest.get(e.bucket)!, e) : finest.set(e.bucket, { ...e })));
    }
    const coarse = (await conn.db.selectFrom("metric_buckets").selectAll().where("run_id", "=", pk).where("key", "=", key).orderBy("level").orderBy("bucket").execute()).map((r) => [
      Number(r.level), Number(r.bucket), Number(r.cnt), r.min_value === null ? null : Number(r.min_value), Number(r.min_step), r.max_value === null ? null : Number(r.max_value), Number(r.max_step),
    ]);
    const packed = [...finest].sort((a, b) => a[0] - b[0]).map(([bucket, s]) => [PART_LEVEL, bucket, s.cnt, s.minV, s.minS, s.maxV, s.maxS]);
    return [...packed, ...coarse];
  };
  // "a": the open bucket (steps 10, 20) closes as step 300 opens bucket 1; steps 30 and 40 of bucket 0 come in
  // the same write, with the same extreme values as the closed part: the closed part's earlier points stay.
  // "n": a closed part of NaN only, merged with real values.
  await log([["a", 10, 1], ["a", 20, 9], ["n", 10, Number.NaN]]);
  await log([["a", 30, 1], ["a", 40, 9], ["a", 300, 5], ["n", 30, 2], ["n", 300, 3]]);
  for (const level of [8, 12, 16]) {
    assert.deepEqual((await rows("a")).find((r) => r[0] === level), [level, 0, 4, 1, 10, 9, 20], `a, level ${level}`);
    assert.deepEqual((await rows("n")).find((r) => r[0] === level), [level, 0, 2, 2, 30, 2, 30], `n, level ${level}`);
  }
  // "b": its row is far ahead (step 100,000); a write behind it (steps 1,000..1,300) goes in with its own top
  // bucket (1,280..1,535) closed at once and its other points summarised beside it: at levels 12 and 16 both meet
  // in bucket 0, where the equal extremes of the earlier points (steps 1,000 and 1,010) win.
  await log([["b", 100_000, 4]]);
  const behind = await counted(() => log([["b", 1_000, 1], ["b", 1_010, 9], ["b", 1_100, 5], ["b", 1_290, 1], ["b", 1_295, 9], ["b", 1_300, 5]]));
  assert.equal(behind.length, 1, "the group statement alone (no chunk spans these steps)");
  const b = await rows("b");
  assert.deepEqual(b.filter((r) => r[1] === 0 && Number(r[0]) > 8), [[12, 0, 6, 1, 1_000, 9, 1_010], [16, 0, 6, 1, 1_000, 9, 1_010]]);
  assert.deepEqual(b.filter((r) => r[0] === 8).map((r) => r.slice(1)), [[3, 2, 1, 1_000, 9, 1_010], [4, 1, 5, 1_100, 5, 1_100], [5, 3, 1, 1_290, 9, 1_295]]);
  assert.deepEqual(await storedSummaries(conn.db, pk, "b"), await historySummaries(conn.db, pk, "b"));
});

test("chunks go in as sent; a group whose series' row holds a later point runs the careful path, counting nothing twice", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "retry", startTime: 1, tags: [] });
  const batch = (from: number, to: number) => ({ metrics: Array.from({ length: to - from }, (_, i) => ({ key: "r", value: from + i, step: from + i, timestamp: 1 })), params: [], tags: [] });
  const first = await counted(() => store.logBatch(run.info.runId, batch(0, 10)));
  assert.equal(first.length, 1, "one statement, reading no chunk");
  assert.match(first[0], /insert into metric_chunks/);
  assert.match(first[0], /^with rs as/, "the group statement alone: no read before it");
  // A retry of points 5..9 with new points 10..14: its first point is not after the series' latest (step 9), so
  // the group statement fails whole at the row's upsert (the guard) and the careful path reads the chunk met,
  // then stores the new points as a chunk of their own.
  const retry = await counted(() => store.logBatch(run.info.runId, batch(5, 15)));
  assert.match(retry[0], /insert into metric_chunks/);
  assert.ok(retry.some((q) => /for update/.test(q)), retry.join("\n"));
  assert.ok(retry.some((q) => /^select points from metric_chunks/.test(q)), retry.join("\n"));
  assert.deepEqual((await store.getMetricHistory(run.info.runId, "r", {})).items.map((m) => m.step), Array.from({ length: 15 }, (_, i) => i));
  const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
  const counts = await storedSummaries(conn.db, pk, "r");
  assert.deepEqual(counts.map((c) => [c.level, c.cnt]), [[8, 15], [12, 15], [16, 15]]);
  assert.equal((await store.getRun(run.info.runId)).data.metrics[0].step, 14);
  const chunks = await conn.db.selectFrom("metric_chunks").select(["min_step", "max_step", "cnt"]).where("run_id", "=", pk).execute();
  assert.deepEqual(chunks.map((c) => [Number(c.min_step), Number(c.max_step), Number(c.cnt)]).sort((a, b) => a[0] - b[0]), [[0, 9, 10], [10, 14, 5]], "the new points only");
});

test("a group merging two writers far apart in one series checks each chunk's own steps: the fast path, unless a chunk meets a stored one", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const run = await store.createRun({ experimentId: "0", userId: "u", runName: "apart", startTime: 1, tags: [] });
  const far = 1_000_000_000;
  const batch = (from: number, n: number) => ({ metrics: Array.from({ length: n }, (_, i) => ({ key: "w", value: from + i, step: from + i, timestamp: 1 })), params: [], tags: [] });
  const both = (a: number, b: number) => Promise.all([store.logBatch(run.info.runId, batch(a, 10)), store.logBatch(run.info.runId, batch(b, 10))]);
  await store.logBatch(run.info.runId, batch(0, 10));
  await store.logBatch(run.info.runId, batch(far, 10));
  // The series' row is at step far + 9; the group's chunk at steps 10..19 meets no stored chunk, the one at far + 10.. begins after the row.
  const apart = await counted(() => both(10, far + 10));
  assert.ok(!apart.some((q) => /for update|^select points/.test(q)), apart.join("\n"));
  // A retry of steps 5..14 among them (its chunk meets the stored 0..9 and 10..19): the careful path, nothing stored twice.
  const retry = await counted(() => both(5, far + 20));
  assert.ok(retry.some((q) => /^select points from metric_chunks/.test(q)), retry.join("\n"));
  const steps = (await store.getMetricHistory(run.info.runId, "w", {})).items.map((m) => m.step);
  assert.deepEqual(steps, [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => far + i)]);
  const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
  assert.deepEqual(await storedSummaries(conn.db, pk, "w"), await historySummaries(conn.db, pk, "w"));
});

test("a one-statement create-run group refuses missing and deleted experiments", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const exp = await store.createExperiment({ name: "gone", tags: [] });
  await store.deleteExperiment(exp);
  const slash = await store.createExperiment({ name: "slash", artifactLocation: "s3://b/slash/", tags: [] });
  const queries = await counted(async () => {
    const results = await Promise.allSettled(
      ["0", exp, "98765", "x", slash].map((experimentId) => store.createRun({ experimentId, userId: "u", runName: "n", startTime: 1, tags: [{ key: "a", value: "b" }] })),
    );
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "rejected", "fulfilled"]);
    const [made, inSlash] = [results[0], results[4]].map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof store.createRun>>>).value);
    assert.equal(made.info.artifactUri, `s3://b/r/0/${made.info.runId}/artifacts`);
    assert.equal(inSlash.info.artifactUri, `s3://b/slash/${inSlash.info.runId}/artifacts`);
    // The answer is spelled by the server from the experiment's row; what the statement stored is the same.
    for (const run of [made, inSlash]) {
      const stored = await store.getRun(run.info.runId);
      assert.deepEqual(stored.info, run.info);
      assert.deepEqual(stored.data.tags, [{ key: "a", value: "b" }]);
    }
  });
  assert.equal(queries.filter((q) => /insert/i.test(q)).length, 1, queries.join("\n"));
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

test("two replicas' writers logging into the same runs at once keep latest values and summaries exact", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  // A second connection is a second replica: its own pool and group-commit queue on the same database.
  const other = openPostgres(pgdb.uri);
  try {
    const replicas = [store, new SqlTrackingStore(other, { defaultArtifactRoot: "s3://b/r", metricInbox: false })];
    const runs = await Promise.all([0, 1, 2].map((i) => store.createRun({ experimentId: "0", userId: "u", runName: `two-${i}`, startTime: 1, tags: [] })));
    // 16 writers (8 per replica), each its own steps over the three runs; single points and small batches, one
    // writer retrying each batch once (as a client does after a lost answer).
    const STEPS_PER_WRITER = 120;
    const value = (step: number) => Math.sin(step) * 100;
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        const s = replicas[w % 2];
        for (let k = 0; k < STEPS_PER_WRITER; k += w % 3 === 0 ? 5 : 1) {
          const steps = Array.from({ length: w % 3 === 0 ? 5 : 1 }, (_, j) => (k + j) * 16 + w);
          for (const run of runs) {
            const batch = { metrics: steps.map((step) => ({ key: "x", value: value(step), step, timestamp: step })), params: [], tags: [] };
            await s.logBatch(run.info.runId, batch);
            if (w === 3) await s.logBatch(run.info.runId, batch);
          }
        }
      }),
    );
    const all = Array.from({ length: 16 * STEPS_PER_WRITER }, (_, i) => i);
    for (const run of runs) {
      const got = await store.getRun(run.info.runId);
      const last = all[all.length - 1];
      assert.deepEqual(got.data.metrics.map((m) => [m.step, m.value]), [[last, value(last)]]);
      const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
      const buckets = await storedSummaries(conn.db, pk, "x");
      for (const level of [8, 12, 16]) {
        const rows = buckets.filter((b) => b.level === level);
        for (const b of rows) {
          const inside = all.filter((step) => step >> level === b.bucket);
          const values = inside.map(value);
          assert.equal(b.cnt, inside.length, `level ${level} bucket ${b.bucket}`);
          assert.equal(b.min, Math.min(...values));
          assert.equal(b.max, Math.max(...values));
        }
        assert.equal(rows.reduce((n, b) => n + b.cnt, 0), all.length, `level ${level}`);
      }
      assert.equal((await store.getMetricHistory(run.info.runId, "x", { maxResults: 10_000 })).items.length, all.length);
    }
  } finally {
    await other.db.destroy();
  }
});
