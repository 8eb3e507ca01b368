/**
 * The finest summaries packed in parts (migration 29) on SQLite and PostgreSQL: a log-batch shaped as the wrk
 * benchmark's writes parts only (insert only, no finest metric_buckets row); retries add nothing, points for an
 * already closed bucket, out-of-order steps and NaN keep every summary equal to what the history gives; and the
 * chart reader answers the same whether a bucket's closed summary is in parts, in a metric_buckets row as written
 * before migration 29, or split between the two.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Metric } from "../../../shared/tracking-types.js";
import { migrateToLatest } from "../../migrations/migrator.js";
import { openConnection } from "../../open-store.js";
import { historySummaries, storedSummaries } from "../../../testing/metric-summaries.js";
import type { SqlConnection } from "../sql-dialect.js";
import { mergePartSummary, packPart, PART_LEVEL, partOf, readPart, type PartEntry } from "./bucket-parts.js";
import type { Summary } from "./metric-buckets.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";
import { freshDatabase } from "../../../testing/backend-database.js";

test("a part's data reads back as packed: NaN as no value, negative buckets, several entries of one bucket", () => {
  const entries: PartEntry[] = [
    { bucket: -3, cnt: 2, minV: -1.5, minS: -700, minT: 1, maxV: 2.25, maxS: -699, maxT: 2 },
    { bucket: -3, cnt: 1, minV: null, minS: 0, minT: 0, maxV: null, maxS: 0, maxT: 0 },
    { bucket: 2 ** 40, cnt: 2 ** 33, minV: -0, minS: 2 ** 48, minT: 1_700_000_000_000, maxV: Number.MAX_VALUE, maxS: 2 ** 48 + 1, maxT: 1_700_000_000_001 },
  ];
  const back: PartEntry[] = [];
  readPart(packPart(entries), (e) => back.push(e));
  assert.deepEqual(back, entries);
  const plain: PartEntry[] = [];
  readPart(packPart(entries, true), (e) => plain.push(e));
  assert.ok(Object.is(plain[2].minV, 0), "-0 packed as 0 for SQLite");
  assert.deepEqual(partOf(-3), -1);
  assert.deepEqual(partOf(16 * 5 + 15), 5);
});

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`finest summaries in parts (${backend})`, () => {
    let conn: SqlConnection;
    let store: SqlTrackingStore;
    let skip: string | undefined;
    let cleanup = async () => {};

    before(async () => {
      const fresh = await freshDatabase(backend);
      if (fresh.skip !== undefined) {
        skip = fresh.skip;
        return;
      }
      const uri = fresh.uri;
      cleanup = fresh.cleanup;
      conn = await openConnection(uri);
      await migrateToLatest(conn.db, conn.dialect.name);
      store = new SqlTrackingStore(conn, { defaultArtifactRoot: "mlflow-artifacts:/" });
      await store.init();
    });
    after(async () => {
      await conn?.db.destroy();
      await cleanup();
    });

    const newRun = async () => {
      const run = await store.createRun({ experimentId: "0", userId: "u", runName: "parts", startTime: 1, tags: [] });
      const pk = (await conn.db.selectFrom("runs").select("id").where("run_uuid", "=", run.info.runId).executeTakeFirstOrThrow()).id;
      return { runId: run.info.runId, pk };
    };
    const log = async (runId: string, metrics: Metric[]) => {
      await store.logBatch(runId, { metrics, params: [], tags: [] });
      await store.inbox?.settle();
    };
    const parts = async (pk: number) => conn.db.selectFrom("metric_bucket_parts").selectAll().where("run_id", "=", pk).execute();
    const finestRows = async (pk: number) =>
      (await conn.db.selectFrom("metric_buckets").select("bucket").where("run_id", "=", pk).where("level", "=", PART_LEVEL).execute()).length;
    const charts = (runId: string, key: string) =>
      Promise.all(
        [
          { maxResults: 20 },
          { maxResults: 320 },
          { maxResults: 1000 },
          { maxResults: 50, startStep: 300, endStep: 19_000 },
          { maxResults: 30, startStep: 4_000, endStep: 9_999 },
        ].map((q) => store.getMetricHistoryBulkInterval({ runIds: [runId], metricKey: key, ...q })),
      );

    test("wrk-shaped log-batches write one part per series and window, and no finest metric_buckets row", async (t) => {
      if (skip) return t.skip(skip);
      const { runId, pk } = await newRun();
      // As bench/wrk/log-batch.lua: ten keys, 1,000 points per body, each series' 100 points spanning 1,000 steps.
      for (let b = 0; b < 12; b++) {
        await log(runId, Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.sin(b * 1000 + i), timestamp: 1_000 + b, step: b * 1000 + i })));
      }
      assert.equal(await finestRows(pk), 0);
      const rows = await parts(pk);
      // Each write closes at most one window-crossing's worth: at most two parts per series and write.
      assert.ok(rows.length > 0 && rows.length <= 12 * 10 * 2, `${rows.length} parts`);
      for (const r of rows) readPart(r.data, (e) => assert.equal(partOf(e.bucket), Number(r.grp), "a part holds its window's buckets only"));
      for (let k = 0; k < 10; k++) assert.deepEqual(await storedSummaries(conn.db, pk, `m${k}`), await historySummaries(conn.db, pk, `m${k}`), `m${k}`);
    });

    test("retries, a closed bucket written again, out-of-order steps and NaN: summaries exact, charts as in the old layout", async (t) => {
      if (skip) return t.skip(skip);
      const { runId, pk } = await newRun();
      const value = (step: number) => (step >= 2048 && step < 2304 ? Number.NaN : Math.cos(step / 13) * 50);
      const batch = (from: number, to: number, by = 1): Metric[] => {
        const out: Metric[] = [];
        for (let s = from; s < to; s += by) out.push({ key: "x", value: value(s), step: s, timestamp: 10 + s });
        return out;
      };
      const first = batch(0, 3000, 3);
      await log(runId, first);
      await log(runId, first); // a retry: nothing new
      await log(runId, batch(3000, 12_000, 5));
      await log(runId, [{ key: "x", value: -999, step: 7, timestamp: 1 }]); // bucket 0, closed long ago
      await log(runId, [{ key: "x", value: 999, step: 5_001, timestamp: 1 }, { key: "x", value: 1, step: 20_000, timestamp: 1 }]);
      await log(runId, batch(1, 3000, 3).reverse()); // older steps, out of order
      await log(runId, [{ key: "x", value: Number.NaN, step: 2_049, timestamp: 99 }]); // a NaN-only bucket (85 + 85 + 1 points), closed
      await log(runId, batch(12_000, 19_000, 7));
      const want = await historySummaries(conn.db, pk, "x");
      assert.deepEqual(await storedSummaries(conn.db, pk, "x"), want);
      assert.equal(want.filter((b) => b.level === PART_LEVEL).reduce((n, b) => n + b.cnt, 0), (await store.getMetricHistory(runId, "x", {})).items.length);
      assert.deepEqual(want.find((b) => b.level === PART_LEVEL && b.bucket === 8), { level: PART_LEVEL, bucket: 8, cnt: 171, min: null, max: null });
      assert.equal(await finestRows(pk), 0);
      const before = await charts(runId, "x");
      assert.ok(before[0].some((p) => p.value === -999) && before[0].some((p) => p.value === 999), "the extremes reach the coarsest chart");

      // The same summaries as a database written before migration 29 holds them (one metric_buckets row per
      // finest bucket), first for every other window, then for all: the charts do not change.
      const rows = await parts(pk);
      for (const half of [rows.filter((r) => Number(r.grp) % 2 === 0), rows.filter((r) => Number(r.grp) % 2 !== 0)]) {
        const merged = new Map<number, Summary>();
        for (const r of half) readPart(r.data, (e) => (merged.has(e.bucket) ? mergePartSummary(merged.get(e.bucket)!, e) : merged.set(e.bucket, { ...e })));
        const grps = [...new Set(half.map((r) => Number(r.grp)))];
        await conn.db.transaction().execute(async (trx) => {
          if (grps.length > 0) await trx.deleteFrom("metric_bucket_parts").where("run_id", "=", pk).where("grp", "in", grps).execute();
          for (const [bucket, s] of merged) {
            await trx
              .insertInto("metric_buckets")
              .values({ run_id: pk, key: "x", level: PART_LEVEL, bucket, cnt: s.cnt, min_value: s.minV, min_step: s.minS, min_ts: s.minT, max_value: s.maxV, max_step: s.maxS, max_ts: s.maxT })
              .execute();
          }
        });
        assert.deepEqual(await storedSummaries(conn.db, pk, "x"), want);
        assert.deepEqual(await charts(runId, "x"), before);
      }
      // New writes into buckets held in the old layout add parts beside those rows: still exact.
      await log(runId, [{ key: "x", value: -5_000, step: 11, timestamp: 2 }, { key: "x", value: 5_000, step: 30_000, timestamp: 2 }]);
      assert.ok((await parts(pk)).length > 0);
      assert.deepEqual(await storedSummaries(conn.db, pk, "x"), await historySummaries(conn.db, pk, "x"));
      assert.ok((await charts(runId, "x"))[0].some((p) => p.value === -5_000));
    });
  });
}
