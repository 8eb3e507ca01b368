/**
 * Metric history in chunks on SQLite and PostgreSQL: MLflow's duplicate rule without an index per point — a
 * retried batch changes nothing, a batch overlapping stored points stores only the new ones, concurrent writers
 * of identical points (two replicas on PostgreSQL) store them once — with every summary count exact (equal to
 * what the stored history gives), no point stored twice, NaN and infinities kept, pages across chunks, the
 * bulk interval over chunked and linked points, and purge. The packing itself is checked first.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import { migrateToLatest } from "../../migrations/migrator.js";
import { openConnection } from "../../open-store.js";
import { historySummaries, storedSummaries } from "../../../testing/metric-summaries.js";
import type { SqlConnection } from "../sql-dialect.js";
import { boxesMeet, buildChunks, comparePoints, decodePoints, encodePoints, MAX_CHUNK_POINTS, OVERLAP_SQLSTATE, sortUnique, WINDOW } from "./metric-chunks.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";
import { freshDatabase } from "../../../testing/backend-database.js";

const pt = (key: string, value: number, step: number, timestamp: number, extra: Partial<Metric> = {}): Metric => ({ key, value, step, timestamp, ...extra });

describe("chunk packing", () => {
  test("keeps NaN, infinities, negative and 2^53-scale steps and timestamps exactly", () => {
    const points = sortUnique([
      { step: -5, timestamp: 0, value: -Infinity },
      { step: 0, timestamp: 1, value: NaN },
      { step: 0, timestamp: 1, value: 0 },
      { step: 1, timestamp: 2 ** 53 - 1, value: Infinity },
      { step: 2 ** 53 - 1, timestamp: -(2 ** 40), value: 1.5e-300 },
    ]);
    const back = decodePoints(encodePoints(points));
    assert.equal(back.length, 5);
    back.forEach((p, i) => {
      assert.equal(p.step, points[i].step);
      assert.equal(p.timestamp, points[i].timestamp);
      assert.ok(Object.is(p.value, points[i].value), `value ${i}`);
    });
    // NaN comes after a real 0 at the same step and timestamp (its stored value is 0, is_nan 1).
    assert.ok(comparePoints({ step: 0, timestamp: 1, value: 0 }, { step: 0, timestamp: 1, value: NaN }) < 0);
  });

  test("packs the stored format: int64 steps, int64 timestamps, float64 values, each column big-endian (-0 as 0)", () => {
    const points = [
      { step: -(2 ** 53 - 1), timestamp: 0, value: -0 },
      { step: -1, timestamp: 4294967295, value: NaN },
      { step: 4294967296, timestamp: 2 ** 53 - 1, value: -Infinity },
    ];
    const expected = Buffer.alloc(points.length * 24);
    points.forEach((p, i) => {
      expected.writeBigInt64BE(BigInt(p.step), i * 8);
      expected.writeBigInt64BE(BigInt(p.timestamp), 24 + i * 8);
      expected.writeDoubleBE(p.value === 0 ? 0 : p.value, 48 + i * 8);
    });
    assert.deepEqual(encodePoints(points), expected);
    // From the middle of a larger array, and decoded from a view that starts inside its buffer.
    const part = encodePoints(points, 1, 3);
    assert.deepEqual(part, encodePoints(points.slice(1)));
    const inside = new Uint8Array(part.length + 5);
    inside.set(part, 5);
    const back = decodePoints(inside.subarray(5));
    assert.deepEqual(back.map((p) => [p.step, p.timestamp]), [[-1, 4294967295], [4294967296, 2 ** 53 - 1]]);
    assert.ok(Number.isNaN(back[0].value) && back[1].value === -Infinity);
  });

  test("drops repeats, cuts at windows and between steps only, and the pieces' boxes are disjoint", () => {
    const many = Array.from({ length: MAX_CHUNK_POINTS + 10 }, (_, i) => ({ step: Math.floor(i / 3), timestamp: 5 - (i % 3), value: i }));
    const sorted = sortUnique([...many, ...many.slice(0, 50)].reverse());
    assert.equal(sorted.length, many.length);
    const cut = buildChunks(sorted);
    assert.equal(cut.length, 2);
    assert.ok(cut[0].cnt >= MAX_CHUNK_POINTS && cut[0].cnt % 3 === 0, "a step is never cut");
    assert.ok(!boxesMeet(cut[0], cut[1]));
    const windows = buildChunks([{ step: WINDOW - 1, timestamp: 1, value: 1 }, { step: WINDOW, timestamp: 1, value: 1 }]);
    assert.deepEqual(windows.map((c) => [c.minStep, c.maxStep]), [[WINDOW - 1, WINDOW - 1], [WINDOW, WINDOW]]);
  });
});

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`metric chunks (${backend})`, () => {
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
      // The write paths into chunks themselves (the metric inbox off: its fold runs the careful one, tested here too).
      stores = conns.map((c) => new SqlTrackingStore(c, { defaultArtifactRoot: "mlflow-artifacts:/", metricInbox: false }));
      await stores[0].init();
    });
    after(async () => {
      for (const c of conns) await c.db.destroy();
      await cleanup();
    });

    const newRun = async () => (await stores[0].createRun({ experimentId: "0", userId: "u", runName: "r", startTime: 1, tags: [] })).info.runId;
    const runPk = async (runId: string) => (await conns[0].db.selectFrom("runs").select("id").where("run_uuid", "=", runId).executeTakeFirstOrThrow()).id;
    const log = (runId: string, metrics: Metric[], s = stores[0]) => s.logBatch(runId, { metrics, params: [], tags: [] });
    const history = async (runId: string, key: string) => (await stores[0].getMetricHistory(runId, key, {})).items;
    const chunkRows = (pk: number, key: string) =>
      conns[0].db.selectFrom("metric_chunks").selectAll().where("run_id", "=", pk).where("key", "=", key).orderBy("min_step").orderBy("min_ts").orderBy("max_step").execute();
    const chunks = async (pk: number, key: string) =>
      (await chunkRows(pk, key)).map((c) => ({
        minStep: Number(c.min_step),
        maxStep: Number(c.max_step),
        minTs: Number(c.min_ts),
        maxTs: Number(c.max_ts),
        cnt: Number(c.cnt),
      }));
    /** The invariants: no point stored twice, counts as the history gives them, the latest value the history's last point. */
    const checkSeries = async (runId: string, key: string, expected: number) => {
      const pk = await runPk(runId);
      const stored = (await chunkRows(pk, key)).flatMap((c) => decodePoints(c.points)).sort(comparePoints);
      for (let i = 1; i < stored.length; i++) assert.ok(comparePoints(stored[i - 1], stored[i]) < 0, `point stored twice: ${JSON.stringify(stored[i])}`);
      assert.equal(stored.length, expected, "points stored");
      const h = await history(runId, key);
      assert.equal(h.length, expected, "points read");
      for (let i = 1; i < h.length; i++) assert.ok(comparePoints(h[i - 1], h[i]) < 0, "history ordered, without repeats");
      assert.deepEqual(await storedSummaries(conns[0].db, pk, key), await historySummaries(conns[0].db, pk, key));
      const latest = (await stores[0].getRun(runId)).data.metrics.find((m) => m.key === key)!;
      const last = h[h.length - 1];
      assert.deepEqual([latest.step, latest.timestamp], [last.step, last.timestamp]);
      return h;
    };

    test("a retried batch changes nothing", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      const batch = Array.from({ length: 300 }, (_, i) => pt(`k${i % 3}`, i / 7, i, 1000 + i));
      await log(run, batch);
      const pk = await runPk(run);
      const before = await chunks(pk, "k0");
      await log(run, batch);
      await log(run, [...batch].reverse().slice(0, 40));
      assert.deepEqual(await chunks(pk, "k0"), before, "no chunk rewritten");
      for (const k of ["k0", "k1", "k2"]) await checkSeries(run, k, 100);
    });

    test("a batch overlapping stored steps stores only its new points", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      await log(run, Array.from({ length: 100 }, (_, i) => pt("x", i, i * 2, 5000 + i)));
      await log(run, Array.from({ length: 100 }, (_, i) => pt("x", i, 1000 + i, 9000 + i)));
      // Half identical to stored points, half new: odd steps inside the first chunk's box, and one spike.
      const mixed = [
        ...Array.from({ length: 30 }, (_, i) => pt("x", i, i * 2, 5000 + i)),
        ...Array.from({ length: 30 }, (_, i) => pt("x", -i, i * 2 + 1, 5000 + i)),
        pt("x", 1e9, 50, 5001),
      ];
      await log(run, mixed);
      const h = await checkSeries(run, "x", 231);
      assert.ok(h.some((p) => p.value === 1e9 && p.step === 50));
      // Retried: nothing more.
      await log(run, mixed);
      await checkSeries(run, "x", 231);
    });

    test("concurrent writers of identical points into one series store each point once", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      const shared = Array.from({ length: 200 }, (_, i) => pt("c", i % 11, i, 100 + i));
      const writers = Array.from({ length: 8 }, (_, w) => [...shared, ...Array.from({ length: 25 }, (_, i) => pt("c", w, 10_000 + w * 100 + i, 7))]);
      await Promise.all(writers.map((batch, w) => log(run, batch, stores[w % stores.length])));
      await checkSeries(run, "c", 200 + 8 * 25);
      // And a second wave overlapping the first.
      await Promise.all(writers.map((batch, w) => log(run, batch.slice(100), stores[(w + 1) % stores.length])));
      await checkSeries(run, "c", 200 + 8 * 25);
    });

    test("NaN and infinities read back exactly, in MLflow's order, across pages", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      await log(run, [pt("n", NaN, 1, 1), pt("n", 0, 1, 1), pt("n", Infinity, 2, 1), pt("n", -Infinity, 2, 1), pt("n", NaN, 0, 9)]);
      await log(run, [pt("n", NaN, 1, 1), pt("n", Infinity, 2, 1)]);
      const h = await checkSeries(run, "n", 5);
      assert.deepEqual(h.map((p) => [p.step, p.timestamp, p.value]), [[0, 9, NaN], [1, 1, 0], [1, 1, NaN], [2, 1, -Infinity], [2, 1, Infinity]]);
      const paged: Metric[] = [];
      let token: string | undefined;
      do {
        const page = await stores[0].getMetricHistory(run, "n", { maxResults: 2, pageToken: token });
        paged.push(...page.items);
        token = page.nextPageToken;
      } while (token);
      assert.deepEqual(paged, h);
    });

    test("pages across many chunks, with overlapping step ranges, in order without a gap", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      // Three writers' worth of interleaved steps (boxes disjoint by timestamp), and chunks of more than one batch.
      for (let w = 0; w < 3; w++) await log(run, Array.from({ length: 700 }, (_, i) => pt("p", i + w, i * 3 + (w % 2), 10_000 * (w + 1) + i)));
      await log(run, Array.from({ length: 2500 }, (_, i) => pt("p", -i, WINDOW - 1000 + i, 1)));
      const all = await checkSeries(run, "p", 3 * 700 + 2500);
      const paged: Metric[] = [];
      let token: string | undefined;
      do {
        const page = await stores[0].getMetricHistory(run, "p", { maxResults: 333, pageToken: token });
        assert.ok(page.items.length <= 333);
        paged.push(...page.items);
        token = page.nextPageToken;
      } while (token);
      assert.deepEqual(paged, all);
    });

    test("the bulk interval reads chunked and linked points, its range edges from chunks", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      await log(run, Array.from({ length: 5000 }, (_, i) => pt("b", Math.sin(i), i, 1000 + i)));
      // A linked point (MLflow 3's model link) carries the spike; the same point again with the link gains it.
      await log(run, [pt("b", 50, 4321, 99)]);
      await log(run, [pt("b", 50, 4321, 99, { datasetName: "d", datasetDigest: "abc" })]);
      await checkSeries(run, "b", 5001);
      const sampled = await stores[0].getMetricHistoryBulkInterval({ runIds: [run], metricKey: "b", maxResults: 100 });
      assert.ok(sampled.length <= 100 && sampled.length > 10);
      assert.deepEqual([sampled[0].step, sampled[sampled.length - 1].step], [0, 4999]);
      assert.ok(sampled.some((p) => p.step === 4321 && p.value === 50), "the spike survives");
      const ranged = await stores[0].getMetricHistoryBulkInterval({ runIds: [run], metricKey: "b", maxResults: 1000, startStep: 4300, endStep: 4330 });
      assert.equal(ranged.length, 32);
      const linked = (await stores[0].getMetricHistory(run, "b", {})).items.filter((p) => p.datasetName);
      assert.deepEqual(linked.map((p) => [p.step, p.datasetName, p.datasetDigest]), [[4321, "d", "abc"]]);
    });

    test("points logged at one step (no step given) append without reading, and page across chunks starting at one step", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      // MLflow's client logs step 0 when none is given: each write comes after the latest by timestamp.
      for (let i = 0; i < 12; i++) await log(run, [pt("s0", i, 0, 1000 + i)]);
      // Same step and timestamp, other values: a careful write each, a chunk of its own at the same corner.
      for (let i = 0; i < 5; i++) await log(run, [pt("s0", 100 + i, 0, 1005)]);
      await log(run, [pt("s0", 100, 0, 1005), pt("s0", 3, 0, 1003)]);
      const all = await checkSeries(run, "s0", 17);
      assert.equal((await chunks(await runPk(run), "s0")).length, 17);
      for (const size of [1, 2, 5]) {
        const paged: Metric[] = [];
        let token: string | undefined;
        do {
          const page = await stores[0].getMetricHistory(run, "s0", { maxResults: size, pageToken: token });
          paged.push(...page.items);
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(paged, all, `pages of ${size}`);
      }
    });

    // The guard is PostgreSQL's: SQLite has one writer, which checks before it writes.
    if (backend === "postgres") {
      /** The group statement as a replica sends it for one new series write of `points` (blind: it read nothing). */
      const blindStatement = async (run: string, key: string, points: Metric[]) => {
        const { groupStatement } = await import("./log-batch-statement.js");
        const sent = sortUnique(points);
        const last = sent[sent.length - 1];
        const vs = sent.map((p) => p.value);
        const lo = sent[vs.indexOf(Math.min(...vs))];
        const hi = sent[vs.indexOf(Math.max(...vs))];
        return groupStatement({
          uuids: [run],
          params: [],
          tags: [],
          names: [],
          chunks: buildChunks(sent).map((chunk) => ({ run: 1, key, chunk })),
          series: [[run, key, last.step, last.timestamp, last.value, 0, sent.length, lo.value, lo.step, lo.timestamp, hi.value, hi.step, hi.timestamp, sent[0].step, sent[0].timestamp]],
          buckets: [],
        });
      };
      const isOverlap = (e: { code?: string }) => e.code === OVERLAP_SQLSTATE;

      test("PostgreSQL's guard: a group statement meeting a stored chunk's steps fails whole, one beside them goes in", async (t) => {
        if (skip) return t.skip(skip);
        const run = await newRun();
        await log(run, Array.from({ length: 11 }, (_, i) => pt("gd", i, 20 + i, 100 + i)));
        const pk = await runPk(run);
        const before = await chunks(pk, "gd");
        // A new point at step 25 (another timestamp): within the stored chunk's steps, so it may be a stored point.
        const meets = await blindStatement(run, "gd", [pt("gd", 7, 25, 50)]);
        await assert.rejects(conns[1].dialect.runPrepared(conns[1].db, meets.text, meets.values), isOverlap);
        assert.deepEqual(await chunks(pk, "gd"), before, "no chunk written");
        await checkSeries(run, "gd", 11);
        // Steps 5..6, before every stored chunk: the latest (step 30) is later, but no chunk spans them — it goes in.
        const beside = await blindStatement(run, "gd", [pt("gd", 1, 5, 50), pt("gd", 2, 6, 51)]);
        await conns[1].dialect.runPrepared(conns[1].db, beside.text, beside.values);
        await checkSeries(run, "gd", 13);
        // Through the store, the point that met goes in the careful way; its retry changes nothing.
        await log(run, [pt("gd", 7, 25, 50)], stores[1]);
        await log(run, [pt("gd", 7, 25, 50), pt("gd", 1, 5, 50)], stores[0]);
        await checkSeries(run, "gd", 14);
      });

      for (const [name, otherStep, fails] of [
        ["a chunk another writer committed while the statement waited for the row fails it when it holds a step of it", 4, true],
        ["a chunk another writer committed while the statement waited for the row lets it go in when beside it", 7, false],
      ] as const) {
        test(`PostgreSQL's guard: ${name}`, async (t) => {
          if (skip) return t.skip(skip);
            const run = await newRun();
          await log(run, [pt("cw", 1, 10, 100)]);
          const pk = await runPk(run);
          // Steps 3..4: beside every chunk the statement's snapshot can see.
          const blind = await blindStatement(run, "cw", [pt("cw", 1, 3, 50), pt("cw", 2, 4, 51)]);
          let sent: Promise<unknown> | undefined;
          await conns[0].db.transaction().execute(async (trx) => {
            // Another writer: a chunk at `otherStep` (at 4: the very point the statement sends), and the series' row.
            await sql`insert into metric_chunks (run_id, key, min_step, max_step, min_ts, max_ts, cnt, points)
              values (${pk}, 'cw', ${otherStep}, ${otherStep}, 51, 51, 1, ${encodePoints([{ step: otherStep, timestamp: 51, value: 2 }])})`.execute(trx);
            await sql`update latest_metrics set open_cnt = open_cnt + 1 where run_id = ${pk} and key = 'cw'`.execute(trx);
            sent = conns[1].dialect.runPrepared(conns[1].db, blind.text, blind.values);
            sent.catch(() => {});
            // The statement has taken its snapshot and waits for this transaction's row lock.
            for (;;) {
              const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                where wait_event_type = 'Lock' and query like 'with rs as%' and datname = current_database()`.execute(conns[0].db);
              if (waiting.rows[0].n > 0) break;
              await new Promise((r) => setImmediate(r));
            }
          });
          const steps = async () => (await chunkRows(pk, "cw")).flatMap((c) => decodePoints(c.points)).map((p) => p.step).sort((a, b) => a - b);
          if (fails) {
            await assert.rejects(sent!, isOverlap);
            assert.deepEqual(await steps(), [4, 10], "the statement wrote nothing");
          } else {
            await sent;
            assert.deepEqual(await steps(), [3, 4, 7, 10]);
          }
        });
      }
    }

    test("purge deletes a run's chunks", async (t) => {
      if (skip) return t.skip(skip);
      const run = await newRun();
      await log(run, Array.from({ length: 50 }, (_, i) => pt("g", i, i, i)));
      const pk = await runPk(run);
      assert.equal((await chunks(pk, "g")).length, 1);
      await stores[0].deleteRun(run);
      await stores[0].hardDeleteRuns([run]);
      assert.equal((await chunks(pk, "g")).length, 0);
    });
  });
}
