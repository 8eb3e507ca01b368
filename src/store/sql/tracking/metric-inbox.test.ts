/**
 * The metric inbox (metric-inbox.ts) on both backends: a point is seen by every metric reader as soon as its write
 * is acknowledged, a point sent twice in two groups is one point, purge leaves nothing of a run whose points still
 * waited, a fold that throws half-way leaves every point exactly once, and on PostgreSQL two stores on one
 * database (two replicas) each read what the other wrote.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { parseFilter, parseOrderBy } from "../../../shared/filter/filter-parser.js";
import type { Metric } from "../../../shared/tracking-types.js";
import { RUN_SEARCH_SPEC } from "../../../tracking/search-specs.js";
import { openStores } from "../../open-stores.js";
import { openTestStores, type StoreBackend, type TestStores } from "../../../testing/store-backends.js";
import { packInboxPoints, packInboxRuns } from "./metric-inbox-points.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";

const point = (key: string, value: number, step: number, timestamp = 1_000): Metric => ({ key, value, step, timestamp });

for (const backend of ["sqlite", "postgres"] as StoreBackend[]) {
  describe(`metric inbox: ${backend}`, () => {
    let b: TestStores | undefined;
    let store: SqlTrackingStore;
    let exp: string;
    let n = 0;
    const newRun = () => store.createRun({ experimentId: exp, userId: "u", runName: `r${n++}`, startTime: 1, tags: [] });
    const inboxRows = async () => Number((await b!.stores.connection.db.selectFrom("metric_inbox").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const log = (runId: string, metrics: Metric[]) => store.logBatch(runId, { metrics, params: [], tags: [] });

    before(async () => {
      b = await openTestStores(backend);
      if (!b) return;
      store = b.stores.tracking;
      // Only readers fold here, so that a test can see points waiting.
      store.inbox!.background = false;
      exp = await store.createExperiment({ name: `inbox-${Date.now()}`, tags: [] });
    });
    after(async () => b?.cleanup());

    test("an acknowledged point is in the inbox, and every metric reader sees it", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const runs = await Promise.all([0, 1, 2].map(() => newRun()));
      await Promise.all(runs.map((r, i) => log(r.info.runId, [point("loss", 10 - i, 5)])));
      // Written through the inbox: nothing folded until a reader comes.
      assert.ok((await inboxRows()) >= 1, "the points wait in the inbox");
      const [r0, r1, r2] = runs.map((r) => r.info.runId);
      assert.deepEqual((await store.getMetricHistory(r0, "loss", {})).items.map((m) => [m.step, m.value]), [[5, 10]]);
      assert.equal(await inboxRows(), 0, "the read folded the inbox");
      await log(r1, [point("loss", 3, 6)]);
      assert.deepEqual((await store.getRun(r1)).data.metrics.map((m) => [m.step, m.value]), [[6, 3]]);
      await log(r2, [point("loss", 1, 7)]);
      const bulk = await store.getMetricHistoryBulkInterval({ runIds: [r2], metricKey: "loss", maxResults: 10 });
      assert.deepEqual(bulk.map((m) => [m.step, m.value]), [[5, 8], [7, 1]]);
      await log(r0, [point("loss", 0.5, 8)]);
      const ordered = await store.searchRuns({
        experimentIds: [exp],
        filter: parseFilter("metrics.loss < 2", RUN_SEARCH_SPEC),
        orderBy: parseOrderBy(["metrics.loss ASC"], RUN_SEARCH_SPEC),
        maxResults: 10,
        viewType: "ACTIVE_ONLY",
      });
      assert.deepEqual(ordered.items.map((r) => r.info.runId), [r0, r2]);
      assert.deepEqual(ordered.items.map((r) => r.data.metrics.find((m) => m.key === "loss")?.value), [0.5, 1]);
    });

    test("a point sent twice, in two groups, is one point; NaN and repeats within a group too", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const run = (await newRun()).info.runId;
      await log(run, [point("a", 1, 1), point("a", Number.NaN, 2), point("a", 1, 1)]);
      await log(run, [point("a", 1, 1), point("a", Number.NaN, 2), point("a", 3, 3)]);
      assert.ok((await inboxRows()) >= 2);
      const got = (await store.getMetricHistory(run, "a", {})).items;
      assert.deepEqual(got.map((m) => [m.step, m.value]), [[1, 1], [2, Number.NaN], [3, 3]]);
      // Again after the fold: the same points sent once more meet the folded history.
      await log(run, [point("a", 1, 1), point("a", 3, 3)]);
      assert.equal((await store.getMetricHistory(run, "a", {})).items.length, 3);
    });

    test("a group with inputs for a missing and a deleted run keeps only the active run's points", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const [good, deleted] = await Promise.all([newRun(), newRun()]);
      await store.deleteRun(deleted.info.runId);
      const results = await Promise.allSettled([
        log(good.info.runId, [point("g", 1, 1)]),
        log("ffffffffffffffffffffffffffffff02", [point("g", 2, 2)]),
        log(deleted.info.runId, [point("g", 3, 3)]),
        log(good.info.runId, [point("g", 4, 4)]),
      ]);
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
      assert.ok((await inboxRows()) >= 1);
      assert.deepEqual((await store.getMetricHistory(good.info.runId, "g", {})).items.map((m) => m.value), [1, 4]);
      await store.restoreRun(deleted.info.runId);
      assert.deepEqual((await store.getMetricHistory(deleted.info.runId, "g", {})).items, []);
    });

    test("purge of a run whose points still wait in the inbox leaves nothing of it; a deleted run keeps its points", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const [gone, kept] = await Promise.all([newRun(), newRun()]);
      await Promise.all([log(gone.info.runId, [point("p", 1, 1)]), log(kept.info.runId, [point("p", 2, 1)])]);
      await store.deleteRun(gone.info.runId);
      await store.deleteRun(kept.info.runId);
      assert.ok((await inboxRows()) >= 1);
      await store.hardDeleteRuns([gone.info.runId]);
      const db = b.stores.connection.db;
      const pk = (await db.selectFrom("runs").select("id").where("run_uuid", "=", kept.info.runId).executeTakeFirstOrThrow()).id;
      for (const table of ["metric_chunks", "latest_metrics", "metric_buckets"] as const) {
        const rows = await db.selectFrom(table).select("run_id").execute();
        assert.ok(rows.every((r) => Number(r.run_id) !== 0), table);
        const runIds = new Set(rows.map((r) => Number(r.run_id)));
        const existing = new Set((await db.selectFrom("runs").select("id").execute()).map((r) => Number(r.id)));
        assert.ok([...runIds].every((id) => existing.has(id)), `${table}: no row of a purged run`);
      }
      assert.equal(await inboxRows(), 0);
      await store.restoreRun(kept.info.runId);
      assert.deepEqual((await store.getMetricHistory(kept.info.runId, "p", {})).items.map((m) => m.value), [2]);
      assert.ok(pk > 0);
    });

    test("a fold that throws half-way leaves every point exactly once, and the reader gets the error", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const run = (await newRun()).info.runId;
      await log(run, [point("f", 1, 1), point("f", 2, 2)]);
      const inbox = store.inbox!;
      inbox.beforeDelete = () => {
        throw new Error("fold interrupted");
      };
      try {
        await assert.rejects(store.getMetricHistory(run, "f", {}), /fold interrupted/);
        assert.ok((await inboxRows()) >= 1, "the rows stay");
        const db = b.stores.connection.db;
        const pk = (await db.selectFrom("runs").select("id").where("run_uuid", "=", run).executeTakeFirstOrThrow()).id;
        assert.equal((await db.selectFrom("metric_chunks").select("cnt").where("run_id", "=", pk).execute()).length, 0, "nothing of the fold stayed");
      } finally {
        inbox.beforeDelete = undefined;
      }
      await log(run, [point("f", 2, 2), point("f", 3, 3)]);
      assert.deepEqual((await store.getMetricHistory(run, "f", {})).items.map((m) => m.step), [1, 2, 3]);
      assert.deepEqual((await store.getRun(run)).data.metrics.map((m) => m.step), [3]);
    });

    test("a store opened after a process left points in the inbox folds them before it reads", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const run = (await newRun()).info.runId;
      await log(run, [point("k", 4, 1)]);
      assert.ok((await inboxRows()) >= 1);
      // A second process on the same database (PostgreSQL: another replica; SQLite: the next start).
      const other = await openStores(b.uri, { defaultArtifactRoot: b.artifactRoot });
      try {
        assert.deepEqual((await other.tracking.getMetricHistory(run, "k", {})).items.map((m) => m.value), [4]);
        if (backend === "postgres") {
          // Each replica reads what the other wrote, at once.
          await other.tracking.logBatch(run, { metrics: [point("k", 5, 2)], params: [], tags: [] });
          assert.deepEqual((await store.getRun(run)).data.metrics.map((m) => [m.step, m.value]), [[2, 5]]);
          await Promise.all([
            ...Array.from({ length: 20 }, (_, i) => store.logBatch(run, { metrics: [point("k", i, 10 + i)], params: [], tags: [] })),
            ...Array.from({ length: 20 }, (_, i) => other.tracking.logBatch(run, { metrics: [point("k", i, 10 + i), point("k", -i, 100 + i)], params: [], tags: [] })),
          ]);
          const [mine, theirs] = await Promise.all([store.getMetricHistory(run, "k", { maxResults: 1000 }), other.tracking.getMetricHistory(run, "k", { maxResults: 1000 })]);
          assert.equal(mine.items.length, 2 + 20 + 20);
          assert.deepEqual(theirs.items, mine.items);
        }
        // A process that has read (and folded) once still sees what another wrote since (a CLI beside a server).
        await log(run, [point("k", 7, 10_000)]);
        assert.ok((await inboxRows()) >= 1);
        assert.ok((await other.tracking.getMetricHistory(run, "k", { maxResults: 1000 })).items.some((m) => m.step === 10_000), "the other process folded it");
      } finally {
        await other.tracking.close();
      }
    });
    // PostgreSQL only: SQLite reuses a deleted row's pages.
    if (backend === "postgres") {
      test("postgres: a process that folded enough rows vacuums the inbox (a queue's dead rows would pile up)", async (t) => {
        if (!b) return t.skip(`${backend} unavailable`);
        const inbox = store.inbox!;
        const vacuums = async () => Number((await sql<{ n: string }>`select pg_stat_get_vacuum_count('metric_inbox'::regclass) as n`.execute(b!.stores.connection.db)).rows[0].n);
        inbox.vacuumAfterRows = 3;
        try {
          const run = (await newRun()).info.runId;
          const before = inbox.vacuums;
          for (let i = 0; i < 4; i++) await log(run, [point("v", i, i)]);
          assert.equal((await store.getMetricHistory(run, "v", {})).items.length, 4);
          await inbox.vacuuming;
          assert.equal(inbox.vacuums, before + 1, "one vacuum after the fold");
          assert.ok((await vacuums()) >= 1, "PostgreSQL counted it");
        } finally {
          inbox.vacuumAfterRows = 5_000;
        }
      });
    }
    test("a fold whose rows name more runs than a statement may have variables (40,000) folds", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const run = (await newRun()).info.runId;
      const runPk = Number((await b.stores.connection.db.selectFrom("runs").select("id").where("run_uuid", "=", run).executeTakeFirstOrThrow()).id);
      // One row as a big group would write it: 40,000 runs no longer there (purged since), and one that is.
      const gone = Array.from({ length: 40_000 }, (_, i) => 10_000_000 + i);
      const groups = [...gone.map((_, i) => ({ place: i, metrics: [point("g", 1, 1)] })), { place: gone.length, metrics: [point("g", 2, 2)] }];
      const { points, cnt } = packInboxPoints(groups);
      await b.stores.connection.db.insertInto("metric_inbox").values({ cnt, runs: packInboxRuns([...gone, runPk]), points }).execute();
      assert.deepEqual((await store.getMetricHistory(run, "g", {})).items.map((m) => [m.step, m.value]), [[2, 2]]);
      assert.equal(await inboxRows(), 0);
    });
  });
}
