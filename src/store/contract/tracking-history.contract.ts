/**
 * The metric-history part of the TrackingStore contract: paged history, and the downsampled history charts read —
 * first, last, minima and maxima kept; long ranges drawn from the summaries, exactly counted under retries.
 * @module
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import type { Metric } from "../../shared/tracking-types.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import type { ContractContext } from "./contract-context.js";
import { m, rejectsWith } from "./tracking-store.contract.js";

export function describeMetricHistory(ctx: ContractContext): void {
  const { uniq, newRun, it } = ctx;
  let s: TrackingStore;
  let exp: string;
  before(async () => {
    if (!ctx.available()) return;
    s = ctx.store();
    exp = await s.createExperiment({ name: uniq("history"), tags: [] });
  });
  describe("metric history", () => {
    it("pages metric history in step order", async () => {
      const { info } = await newRun(exp);
      await s.logBatch(info.runId, { metrics: Array.from({ length: 10 }, (_, i) => m("h", i * 1.5, 9 - i, 100 + i)), params: [], tags: [] });
      const all = await s.getMetricHistory(info.runId, "h", {});
      assert.deepEqual(all.items.map((p) => p.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(all.nextPageToken, undefined);
      const steps: number[] = [];
      let token: string | undefined;
      do {
        const page = await s.getMetricHistory(info.runId, "h", { maxResults: 3, pageToken: token });
        steps.push(...page.items.map((p) => p.step));
        token = page.nextPageToken;
      } while (token);
      assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await rejectsWith(s.getMetricHistory("ffffffffffffffffffffffffffffffff", "h", {}), "RESOURCE_DOES_NOT_EXIST");
    });

    it("downsamples history keeping first, last, minima and maxima", async () => {
      const { info } = await newRun(exp);
      const points: Metric[] = [];
      for (let i = 0; i < 5000; i++) points.push(m("s", Math.sin(i / 50), i, i));
      points[2345] = m("s", 100, 2345, 2345); // a spike that must survive
      points[3456] = m("s", -100, 3456, 3456);
      for (let i = 0; i < points.length; i += 1000) {
        await s.logBatch(info.runId, { metrics: points.slice(i, i + 1000), params: [], tags: [] });
      }
      const other = await newRun(exp);
      await s.logBatch(other.info.runId, { metrics: [m("s", 1, 0), m("s", 2, 5)], params: [], tags: [] });
      const res = await s.getMetricHistoryBulkInterval({ runIds: [info.runId, other.info.runId], metricKey: "s", maxResults: 200 });
      const mine = res.filter((p) => p.runId === info.runId);
      assert.ok(mine.length <= 200 && mine.length > 100, `got ${mine.length}`);
      assert.equal(mine[0].step, 0);
      assert.equal(mine[mine.length - 1].step, 4999);
      assert.ok(mine.some((p) => p.value === 100 && p.step === 2345));
      assert.ok(mine.some((p) => p.value === -100 && p.step === 3456));
      assert.deepEqual(mine.map((p) => p.step), [...mine.map((p) => p.step)].sort((a, b) => a - b));
      assert.deepEqual(res.filter((p) => p.runId === other.info.runId).map((p) => p.step), [0, 5]);
      const ranged = await s.getMetricHistoryBulkInterval({ runIds: [info.runId], metricKey: "s", startStep: 100, endStep: 149, maxResults: 100 });
      assert.deepEqual(ranged.map((p) => p.step), Array.from({ length: 50 }, (_, i) => 100 + i));
    });

    it("downsamples long ranges from summaries, exactly counted under retries", async () => {
      const { info } = await newRun(exp);
      // 150 sparse points over a million steps: the summary path runs, yet all points fit.
      const sparse = Array.from({ length: 150 }, (_, i) => m("sparse", i, i * 6700, i));
      await s.logBatch(info.runId, { metrics: sparse, params: [], tags: [] });
      await s.logBatch(info.runId, { metrics: sparse.slice(0, 100), params: [], tags: [] }); // a retry
      await s.logBatch(info.runId, { metrics: [...sparse.slice(100), m("sparse", 0.5, 3)], params: [], tags: [] });
      const all = await s.getMetricHistoryBulkInterval({ runIds: [info.runId], metricKey: "sparse", maxResults: 200 });
      assert.equal(all.length, 151);
      // Dense: 40,000 points with two spikes; the result holds them and respects max_results.
      const dense: Metric[] = [];
      for (let i = 0; i < 40_000; i++) dense.push(m("dense", Math.cos(i / 300), i, i));
      dense[12_345] = m("dense", 50, 12_345, 12_345);
      dense[33_333] = m("dense", -50, 33_333, 33_333);
      for (let i = 0; i < dense.length; i += 1000) await s.logBatch(info.runId, { metrics: dense.slice(i, i + 1000), params: [], tags: [] });
      await s.logBatch(info.runId, { metrics: dense.slice(5000, 6000), params: [], tags: [] }); // a retry
      for (const maxResults of [50, 200, 1000]) {
        const pts = await s.getMetricHistoryBulkInterval({ runIds: [info.runId], metricKey: "dense", maxResults });
        assert.ok(pts.length <= maxResults && pts.length > maxResults / 2, `${pts.length} for ${maxResults}`);
        assert.ok(pts.some((p) => p.value === 50 && p.step === 12_345));
        assert.ok(pts.some((p) => p.value === -50 && p.step === 33_333));
        assert.equal(pts[0].step, 0);
        assert.equal(pts[pts.length - 1].step, 39_999);
      }
      // A window that cuts buckets at both ends still holds its own extremes.
      const win = await s.getMetricHistoryBulkInterval({ runIds: [info.runId], metricKey: "dense", startStep: 10_000, endStep: 30_000, maxResults: 100 });
      assert.ok(win.every((p) => p.step >= 10_000 && p.step <= 30_000));
      assert.ok(win.some((p) => p.value === 50));
      assert.equal(win[0].step, 10_000);
      assert.equal(win[win.length - 1].step, 30_000);
    });
  });
}
