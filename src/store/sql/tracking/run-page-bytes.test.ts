/**
 * The search page's runs, byte for byte: each run's params, tags and latest metrics as the store answers them
 * (SQLite reads them as JSON aggregates) against the same rows read plainly, one row per pair in (run, key)
 * order, and serialized as the route does (JSON.stringify) — for hostile strings and non-finite metric values.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { Metric, Run } from "../../../shared/tracking-types.js";
import { openTestStores, type StoreBackend, type TestStores } from "../../../testing/store-backends.js";

const HOSTILE_ALL = [
  "",
  "plain",
  'quo"te \\ back\\slash /',
  "ctl \u0000\u0001\u0008\t\n\r\u001f\u007f",
  "uni é 漢字 🤖 \u2028\u2029 \ufeff",
  "lone \ud800 high",
  "lone \udc00 low",
  "</script><b>&amp;",
];
const VALUES = [NaN, Infinity, -Infinity, 0.1 + 0.2, 1 / 3, 5e-324, -1e-308, 1e308, -0, 0, 2 ** 53 + 2, 1e21, -42];

for (const backend of ["sqlite", "postgres"] as StoreBackend[]) {
  describe(`the run page's bytes: ${backend}`, () => {
    let b: TestStores | undefined;
    before(async () => {
      b = await openTestStores(backend);
    });
    after(async () => b?.cleanup());

    test("params, tags and metrics serialize as the plain row reads do", async (t) => {
      if (!b) return t.skip(`${backend} unavailable`);
      const store = b.stores.tracking;
      // PostgreSQL's text holds no NUL character (it refuses the write), so only SQLite gets one.
      const HOSTILE = backend === "postgres" ? HOSTILE_ALL.map((h) => h.replaceAll("\u0000", "")) : HOSTILE_ALL;
      const exp = await store.createExperiment({ name: `bytes-${Date.now()}`, tags: [] });
      const runIds: string[] = [];
      for (let i = 0; i < 12; i++) {
        const run = await store.createRun({ experimentId: exp, userId: "u", runName: `r${i}`, startTime: 1_000 + i, tags: [] });
        runIds.push(run.info.runId);
        if (i === 11) continue; // a run with nothing logged
        const s = HOSTILE[i % HOSTILE.length];
        const metrics: Metric[] = VALUES.map((v, k) => ({
          key: `m${k}${k === i % VALUES.length ? s : ""}`,
          value: v,
          timestamp: k === 1 ? -5 : 1_700_000_000_000 + k,
          step: k === 2 ? 2 ** 53 - 1 : k,
        }));
        await store.logBatch(run.info.runId, {
          metrics: i % 3 === 2 ? [] : metrics,
          params: i % 4 === 3 ? [] : HOSTILE.map((h, k) => ({ key: `p${k}${h}`, value: k === i % HOSTILE.length ? s : h })),
          tags: HOSTILE.map((h, k) => ({ key: `t${k}${h}`, value: h + s })),
        });
      }
      const page = await store.searchRuns({ experimentIds: [exp], orderBy: [], maxResults: 100, viewType: "ALL" });
      assert.equal(page.items.length, 12);

      // The same data read plainly: a row per pair, ordered by run and key.
      const db = b.stores.connection.db;
      const pkOf = new Map<string, number>();
      for (const r of await db.selectFrom("runs").select(["id", "run_uuid"]).where("run_uuid", "in", runIds).execute()) pkOf.set(r.run_uuid, r.id);
      const ids = [...pkOf.values()];
      const plain = async (table: "params" | "tags") =>
        (await sql<{ run_id: number; key: string; value: string }>`select run_id, key, value from ${sql.table(table)} where run_id in (${sql.join(ids)}) order by run_id, key`.execute(db)).rows;
      const params = await plain("params");
      const tags = await plain("tags");
      const metricRows = await db
        .selectFrom("latest_metrics")
        .select(["run_id", "key", "value", "is_nan", "timestamp", "step"])
        .where("run_id", "in", ids)
        .orderBy("run_id")
        .orderBy("key")
        .execute();
      const expected = page.items.map((r): Run => {
        const pk = pkOf.get(r.info.runId);
        return {
          ...r,
          data: {
            metrics: metricRows
              .filter((m) => m.run_id === pk)
              .map((m) => ({ key: m.key, value: m.is_nan ? NaN : Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step) })),
            params: params.filter((p) => p.run_id === pk).map((p) => ({ key: p.key, value: p.value })),
            tags: tags.filter((p) => p.run_id === pk).map((p) => ({ key: p.key, value: p.value })),
          },
        };
      });
      assert.ok(metricRows.length > 50 && params.length > 50 && tags.length > 80, "the page holds the logged pairs");
      assert.equal(Buffer.from(JSON.stringify(page.items)).toString("hex"), Buffer.from(JSON.stringify(expected)).toString("hex"));
      // Non-finite values and key order survive the aggregate read (JSON.stringify would hide NaN against null).
      for (const [i, r] of page.items.entries()) {
        const want = expected[i].data.metrics;
        assert.equal(r.data.metrics.length, want.length);
        r.data.metrics.forEach((m, k) => {
          assert.ok(Object.is(m.value, want[k].value), `${m.key}: ${m.value} vs ${want[k].value}`);
          assert.equal(m.step, want[k].step);
          assert.equal(m.timestamp, want[k].timestamp);
        });
      }
    });
  });
}
