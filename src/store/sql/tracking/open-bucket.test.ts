/**
 * The open summary bucket on SQLite and PostgreSQL: writes over many runs keep one derived row per series until
 * a bucket closes, and every summary — metric_buckets' rows merged with the open part — equals what the stored
 * history gives, with steps growing across bucket boundaries, points for older buckets, NaN and retried writes,
 * from concurrent writers over many runs (two replicas on PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Metric } from "../../../shared/tracking-types.js";
import { migrateToLatest } from "../../migrations/migrator.js";
import { openConnection } from "../../open-store.js";
import { historySummaries, storedSummaries } from "../../../testing/metric-summaries.js";
import type { SqlConnection } from "../sql-dialect.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";
import { freshDatabase } from "../../../testing/backend-database.js";

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`open summary buckets (${backend})`, () => {
    let conns: SqlConnection[] = [];
    let stores: SqlTrackingStore[] = [];
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
      const first = await openConnection(uri);
      await migrateToLatest(first.db, first.dialect.name);
      // PostgreSQL: a second connection is a second replica (its own pool and group-commit queue).
      conns = backend === "postgres" ? [first, await openConnection(uri)] : [first];
      stores = conns.map((c) => new SqlTrackingStore(c, { defaultArtifactRoot: "mlflow-artifacts:/" }));
      await stores[0].init();
    });
    after(async () => {
      for (const c of conns) await c.db.destroy();
      await cleanup();
    });

    const newRuns = (n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => stores[0].createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: 1, tags: [] })));
    const runPk = async (runId: string) =>
      (await conns[0].db.selectFrom("runs").select("id").where("run_uuid", "=", runId).executeTakeFirstOrThrow()).id;
    const log = (s: SqlTrackingStore, runId: string, metrics: Metric[]) => s.logBatch(runId, { metrics, params: [], tags: [] });
    /** The summaries are read from their tables: the metric inbox folded first, as a store's own readers do. */
    const settle = () => Promise.all(stores.map((s) => s.inbox?.settle()));

    test("log-metrics over 32 runs inside one bucket write latest rows only", async (t) => {
      if (skip) return t.skip(skip);
      const runs = await newRuns(32);
      for (let step = 0; step < 4; step++) {
        await Promise.all(runs.map((r, i) => log(stores[i % stores.length], r.info.runId, [{ key: "loss", value: i + step, step, timestamp: step }])));
      }
      await settle();
      const pks = await Promise.all(runs.map((r) => runPk(r.info.runId)));
      const stored = await conns[0].db.selectFrom("metric_buckets").select("run_id").where("run_id", "in", pks).execute();
      assert.equal(stored.length, 0);
      for (const pk of pks) assert.deepEqual(await storedSummaries(conns[0].db, pk, "loss"), await historySummaries(conns[0].db, pk, "loss"));
    });

    test("concurrent writers over many runs: bucket boundaries, older buckets, NaN and retries keep every summary exact", async (t) => {
      if (skip) return t.skip(skip);
      const runs = await newRuns(8);
      const value = (w: number, step: number) => (step % 97 === 13 ? Number.NaN : Math.sin(step / 7 + w) * 100 + w);
      // Two keys per run, one writer each; steps grow by 7 (a level-8 bucket closes every ~37 writes, a level-12
      // one at step 4,096); every 25th write also sends a point 600 steps back (an older bucket); writer 3 sends
      // each of its writes twice (a retry); every 10th write is a batch of three consecutive steps.
      await Promise.all(
        runs.flatMap((r, ri) =>
          ["a", "b"].map(async (key, ki) => {
            const w = ri * 2 + ki;
            const s = stores[w % stores.length];
            for (let k = 0; k < 640; k++) {
              const step = k * 7;
              const steps = k % 10 === 9 ? [step, step + 1, step + 2] : [step];
              if (k % 25 === 24 && step >= 600) steps.push(step - 600 + 3);
              const metrics = steps.map((st) => ({ key, value: value(w, st), step: st, timestamp: 1_000 + st }));
              await log(s, r.info.runId, metrics);
              if (w === 3) await log(s, r.info.runId, metrics);
            }
          }),
        ),
      );
      await settle();
      for (const r of runs) {
        const pk = await runPk(r.info.runId);
        for (const key of ["a", "b"]) {
          const want = await historySummaries(conns[0].db, pk, key);
          assert.deepEqual(await storedSummaries(conns[0].db, pk, key), want, `${r.info.runName} ${key}`);
          assert.equal(want.filter((b) => b.level === 8).reduce((n, b) => n + b.cnt, 0), (await stores[0].getMetricHistory(r.info.runId, key, {})).items.length);
        }
        const last = 639 * 7 + 2; // the last write is a batch of three steps
        assert.deepEqual((await stores[0].getRun(r.info.runId)).data.metrics.map((m) => m.step), [last, last]);
        // A chart drawn from the summaries keeps the series' extremes.
        const history = (await stores[0].getMetricHistory(r.info.runId, "a", {})).items.filter((m) => !Number.isNaN(m.value));
        const chart = await stores[0].getMetricHistoryBulkInterval({ runIds: [r.info.runId], metricKey: "a", maxResults: 20 });
        const lo = history.reduce((a, b) => (b.value < a.value ? b : a));
        const hi = history.reduce((a, b) => (b.value > a.value ? b : a));
        assert.ok(chart.some((p) => p.value === lo.value), "minimum kept");
        assert.ok(chart.some((p) => p.value === hi.value), "maximum kept");
      }
    });

    test("batches out of order and their retries, in one group", async (t) => {
      if (skip) return t.skip(skip);
      const [run] = await newRuns(1);
      const pk = await runPk(run.info.runId);
      const pts = Array.from({ length: 3000 }, (_, i) => ({ key: "x", value: i % 11 === 0 ? Number.NaN : Math.cos(i * 1.3), step: (i * 7919) % 70_001, timestamp: i }));
      const batches = Array.from({ length: 30 }, (_, i) => pts.slice(i * 100, i * 100 + 100));
      await Promise.all(batches.map((b, i) => log(stores[i % stores.length], run.info.runId, b)));
      // Retries of every third batch, together with new points in a later bucket and an older one.
      const more = [
        { key: "x", value: 5, step: 80_000, timestamp: 1 },
        { key: "x", value: -5, step: 3, timestamp: 1 },
      ];
      await Promise.all([...batches.filter((_, i) => i % 3 === 0).map((b) => log(stores[0], run.info.runId, b)), log(stores[stores.length - 1], run.info.runId, more)]);
      await settle();
      assert.deepEqual(await storedSummaries(conns[0].db, pk, "x"), await historySummaries(conns[0].db, pk, "x"));
      assert.equal((await stores[0].getRun(run.info.runId)).data.metrics[0].step, 80_000);
    });
  });
}
