/**
 * The TrackingStore contract: one suite, run against every backend
 * (SQLite, PostgreSQL) by the backends' own test files.
 * @module
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import type { MlflowError } from "../../shared/errors.js";
import { contractTests } from "../../testing/backend-tests.js";
import { rejectsWith } from "../../testing/mlflow-error-assert.js";
import { parseFilter, parseOrderBy } from "../../shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "../../tracking/search-specs.js";
import type { Metric, Run } from "../../shared/tracking-types.js";
import type { ViewType } from "../../shared/types.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import type { ContractContext } from "./contract-context.js";
import { describeExperiments } from "./tracking-experiments.contract.js";
import { describeMetricHistory } from "./tracking-history.contract.js";
import { describeRunSearch } from "./tracking-search.contract.js";

export interface StoreFixture {
  store: TrackingStore;
  /** The default artifact root the store was opened with. */
  artifactRoot: string;
  cleanup(): Promise<void>;
}

/** Kept here too: the contract suites and several tests import it from this file. */
export { rejectsWith };

export const m = (key: string, value: number, step = 0, timestamp = 1000): Metric => ({ key, value, step, timestamp });

export function runTrackingStoreContract(name: string, make: () => Promise<StoreFixture | undefined>): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let fx: StoreFixture | undefined;
    let s: TrackingStore;
    let n = 0;
    const uniq = (p: string) => `${p}-${Date.now()}-${n++}`;
    const newRun = async (experimentId: string, name = uniq("run"), startTime: number | null = Date.now()) =>
      s.createRun({ experimentId, userId: "alice", runName: name, startTime, tags: [{ key: "mlflow.runName", value: name }] });
    const searchRuns = (experimentIds: string[], filter?: string, orderBy?: string[], maxResults = 1000, viewType: ViewType = "ACTIVE_ONLY", pageToken?: string) =>
      s.searchRuns({
        experimentIds,
        filter: parseFilter(filter, RUN_SEARCH_SPEC),
        orderBy: parseOrderBy(orderBy, RUN_SEARCH_SPEC),
        maxResults,
        viewType,
        pageToken,
      });
    const names = (runs: Run[]) => runs.map((r) => r.info.runName);

    const it = contractTests(name, make, (f) => {
      fx = f;
      s = f.store;
    });
    const ctx: ContractContext = {
      store: () => s,
      available: () => fx !== undefined,
      artifactRoot: () => fx!.artifactRoot,
      uniq,
      newRun,
      searchRuns,
      names,
      it,
    };

    describeExperiments(ctx);

    describe("runs", () => {
      let exp: string;
      before(async () => {
        if (fx) exp = await s.createExperiment({ name: uniq("runs"), tags: [] });
      });

      it("creates and reads a run", async () => {
        const run = await s.createRun({
          experimentId: exp,
          userId: "alice",
          runName: "first",
          startTime: 1234,
          tags: [
            { key: "mlflow.runName", value: "first" },
            { key: "mlflow.user", value: "alice" },
          ],
        });
        assert.match(run.info.runId, /^[0-9a-f]{32}$/);
        assert.equal(run.info.status, "RUNNING");
        assert.equal(run.info.startTime, 1234);
        assert.equal(run.info.endTime, null);
        assert.equal(run.info.lifecycleStage, "active");
        assert.ok(run.info.artifactUri.endsWith(`/${exp}/${run.info.runId}/artifacts`));
        const got = await s.getRun(run.info.runId);
        assert.deepEqual(got.info, run.info);
        assert.deepEqual(got.data.tags, run.data.tags);
        await rejectsWith(s.getRun("0123456789abcdef0123456789abcdef"), "RESOURCE_DOES_NOT_EXIST", /Run with id=0123456789abcdef0123456789abcdef not found/);
        await rejectsWith(newRun("424242"), "RESOURCE_DOES_NOT_EXIST");
      });

      it("makes time-ordered run ids: UUIDv7's layout in 32 hex digits, creation time first", async () => {
        const t0 = Date.now();
        const a = await newRun(exp, "first-made");
        const b = await newRun(exp, "second-made");
        const t1 = Date.now();
        for (const id of [a.info.runId, b.info.runId]) {
          assert.match(id, /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
          const made = parseInt(id.slice(0, 12), 16);
          assert.ok(made >= t0 && made <= t1, `${id} made at ${made}, outside ${t0}..${t1}`);
        }
        assert.ok(a.info.runId.slice(0, 12) <= b.info.runId.slice(0, 12));
      });

      it("updates status, end time and name (keeping mlflow.runName in sync)", async () => {
        const run = await newRun(exp, "before");
        const info = await s.updateRun(run.info.runId, { status: "FINISHED", endTime: 99, runName: "after" });
        assert.equal(info.status, "FINISHED");
        assert.equal(info.endTime, 99);
        assert.equal(info.runName, "after");
        const got = await s.getRun(run.info.runId);
        assert.equal(got.info.runName, "after");
        assert.equal(got.data.tags.find((t) => t.key === "mlflow.runName")?.value, "after");
        await s.logBatch(run.info.runId, { metrics: [], params: [], tags: [{ key: "mlflow.runName", value: "by-tag" }] });
        assert.equal((await s.getRun(run.info.runId)).info.runName, "by-tag");
      });

      it("logs metrics, params and tags; latest metric by step, then timestamp, then value", async () => {
        const { info } = await newRun(exp);
        await s.logBatch(info.runId, {
          metrics: [m("loss", 0.9, 0, 10), m("loss", 0.5, 2, 5), m("loss", 0.7, 1, 50), m("acc", 0.1, 3, 1), m("acc", 0.2, 3, 1)],
          params: [{ key: "lr", value: "0.01" }],
          tags: [{ key: "team", value: "a" }],
        });
        const run = await s.getRun(info.runId);
        const latest = Object.fromEntries(run.data.metrics.map((x) => [x.key, x]));
        assert.deepEqual(latest.loss, { key: "loss", value: 0.5, step: 2, timestamp: 5 });
        assert.deepEqual(latest.acc, { key: "acc", value: 0.2, step: 3, timestamp: 1 });
        assert.deepEqual(run.data.params, [{ key: "lr", value: "0.01" }]);
        assert.ok(run.data.tags.some((t) => t.key === "team" && t.value === "a"));
        await s.logBatch(info.runId, { metrics: [], params: [], tags: [{ key: "team", value: "b" }] });
        assert.ok((await s.getRun(info.runId)).data.tags.some((t) => t.key === "team" && t.value === "b"));
      });

      it("stores and finds params and tags at their longest (6,000 / 8,000 random characters)", async () => {
        const { info } = await newRun(exp);
        const random = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7919 + n) % 90) ^ (i % 3))).join("");
        const longParam = random(6000);
        const longTag = random(8000);
        await s.logBatch(info.runId, { metrics: [], params: [{ key: "long", value: longParam }], tags: [{ key: "long", value: longTag }] });
        const run = await s.getRun(info.runId);
        assert.equal(run.data.params.find((p) => p.key === "long")?.value, longParam);
        assert.equal(run.data.tags.find((t) => t.key === "long")?.value, longTag);
        const quoted = longParam.replaceAll("'", "''");
        assert.deepEqual(names((await searchRuns([exp], `params.long = '${quoted}'`)).items), [run.info.runName]);
        // Same 256-character prefix, different value: not a match.
        const near = (longParam.slice(0, 300) + "x").replaceAll("'", "''");
        assert.deepEqual(names((await searchRuns([exp], `params.long = '${near}'`)).items), []);
      });

      it("stores NaN and infinities", async () => {
        const { info } = await newRun(exp);
        await s.logBatch(info.runId, {
          metrics: [m("nan", NaN), m("inf", Infinity), m("ninf", -Infinity), m("big", 1.7976931348623157e308)],
          params: [],
          tags: [],
        });
        const got = Object.fromEntries((await s.getRun(info.runId)).data.metrics.map((x) => [x.key, x.value]));
        assert.ok(Number.isNaN(got.nan));
        assert.equal(got.inf, Infinity);
        assert.equal(got.ninf, -Infinity);
        assert.equal(got.big, 1.7976931348623157e308);
        const hist = await s.getMetricHistory(info.runId, "nan", {});
        assert.equal(hist.items.length, 1);
        assert.ok(Number.isNaN(hist.items[0].value));
      });

      it("makes retried batches idempotent", async () => {
        const { info } = await newRun(exp);
        const batch = { metrics: [m("x", 1, 0, 1), m("x", 2, 1, 2)], params: [{ key: "p", value: "1" }], tags: [{ key: "t", value: "v" }] };
        await s.logBatch(info.runId, batch);
        await s.logBatch(info.runId, batch);
        await s.logBatch(info.runId, { metrics: [m("x", 1, 0, 1)], params: [], tags: [] });
        assert.equal((await s.getMetricHistory(info.runId, "x", {})).items.length, 2);
        // Same step, new timestamp: a new point (dedupe is by value identity).
        await s.logBatch(info.runId, { metrics: [m("x", 1, 0, 3)], params: [], tags: [] });
        assert.equal((await s.getMetricHistory(info.runId, "x", {})).items.length, 3);
      });

      it("stores a batch overlapping stored points once: identical points skipped, new ones kept, in order", async () => {
        const { info } = await newRun(exp);
        const pts = (from: number, to: number, ts: number, v = (i: number) => i / 4) =>
          Array.from({ length: to - from }, (_, i) => m("o", v(from + i), from + i, ts));
        await s.logBatch(info.runId, { metrics: pts(0, 1000, 10), params: [], tags: [] });
        await s.logBatch(info.runId, { metrics: pts(1000, 1500, 10), params: [], tags: [] });
        // 1000..1499 again (a retry) plus 1500..1996, NaN and ±Inf at a stored step with a new timestamp, in reverse order.
        const mixed = [...pts(1000, 1997, 10), m("o", NaN, 5, 11), m("o", Infinity, 5, 11), m("o", -Infinity, 5, 11)].reverse();
        await Promise.all([
          s.logBatch(info.runId, { metrics: mixed, params: [], tags: [] }),
          s.logBatch(info.runId, { metrics: mixed, params: [], tags: [] }),
        ]);
        const items: Metric[] = [];
        let pageToken: string | undefined;
        do {
          const page = await s.getMetricHistory(info.runId, "o", { maxResults: 211, pageToken });
          items.push(...page.items);
          pageToken = page.nextPageToken;
        } while (pageToken);
        assert.equal(items.length, 2000);
        assert.deepEqual(items.slice(5, 9).map((p) => [p.step, p.timestamp, p.value]), [[5, 10, 1.25], [5, 11, -Infinity], [5, 11, NaN], [5, 11, Infinity]]);
        assert.deepEqual(items.map((p) => p.step), [...Array.from({ length: 6 }, (_, i) => i), 5, 5, 5, ...Array.from({ length: 1991 }, (_, i) => i + 6)]);
        const [latest] = (await s.getRun(info.runId)).data.metrics.filter((x) => x.key === "o");
        assert.deepEqual([latest.step, latest.value], [1996, 1996 / 4]);
        const sampled = await s.getMetricHistoryBulkInterval({ runIds: [info.runId], metricKey: "o", maxResults: 2500 });
        assert.equal(sampled.length, 2000, "counted once each: all fit");
      });

      it("refuses a changed param and writes nothing of that batch", async () => {
        const { info } = await newRun(exp);
        await s.logBatch(info.runId, { metrics: [], params: [{ key: "p", value: "1" }], tags: [] });
        await rejectsWith(
          s.logBatch(info.runId, {
            metrics: [m("written", 1)],
            params: [
              { key: "q", value: "new" },
              { key: "p", value: "2" },
            ],
            tags: [{ key: "t", value: "v" }],
          }),
          "INVALID_PARAMETER_VALUE",
          /Changing param values is not allowed/,
        );
        const run = await s.getRun(info.runId);
        assert.deepEqual(run.data.params, [{ key: "p", value: "1" }]);
        assert.equal(run.data.metrics.length, 0);
        assert.ok(!run.data.tags.some((t) => t.key === "t"));
        assert.equal((await s.getMetricHistory(info.runId, "written", {})).items.length, 0);
      });

      it("refuses writes to deleted runs and restores them", async () => {
        const { info } = await newRun(exp);
        await s.deleteRun(info.runId);
        assert.equal((await s.getRun(info.runId)).info.lifecycleStage, "deleted");
        await rejectsWith(s.logBatch(info.runId, { metrics: [m("a", 1)], params: [], tags: [] }), "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);
        await rejectsWith(s.updateRun(info.runId, { status: "FAILED" }), "INVALID_PARAMETER_VALUE");
        await s.restoreRun(info.runId);
        await s.logBatch(info.runId, { metrics: [m("a", 1)], params: [], tags: [] });
        await rejectsWith(s.logBatch("ffffffffffffffffffffffffffffffff", { metrics: [m("a", 1)], params: [], tags: [] }), "RESOURCE_DOES_NOT_EXIST");
      });

      it("deletes tags", async () => {
        const { info } = await newRun(exp);
        await s.logBatch(info.runId, { metrics: [], params: [], tags: [{ key: "gone", value: "1" }] });
        await s.deleteTag(info.runId, "gone");
        assert.ok(!(await s.getRun(info.runId)).data.tags.some((t) => t.key === "gone"));
        await rejectsWith(s.deleteTag(info.runId, "gone"), "RESOURCE_DOES_NOT_EXIST", /No tag with name: gone/);
      });

      it("logs dataset inputs once per dataset", async () => {
        const { info } = await newRun(exp);
        const input = {
          tags: [{ key: "mlflow.data.context", value: "training" }],
          dataset: { name: "iris", digest: "abc123", sourceType: "local", source: '{"uri": "/d"}', schema: "{}", profile: '{"rows": 150}' },
        };
        await s.logInputs(info.runId, [input]);
        await s.logInputs(info.runId, [input]);
        const run = await s.getRun(info.runId);
        assert.equal(run.inputs.datasetInputs.length, 1);
        assert.deepEqual(run.inputs.datasetInputs[0], input);
      });

      it("serialises concurrent batches to one run without losing any", async () => {
        const { info } = await newRun(exp);
        await Promise.all(
          Array.from({ length: 20 }, (_, c) =>
            s.logBatch(info.runId, { metrics: Array.from({ length: 50 }, (_, i) => m("c", i, c * 50 + i, 1)), params: [], tags: [] }),
          ),
        );
        assert.equal((await s.getMetricHistory(info.runId, "c", {})).items.length, 1000);
        assert.equal((await s.getRun(info.runId)).data.metrics[0].step, 999);
      });

      it("answers each of many concurrent writes alone: failures reject only themselves and write nothing", async () => {
        const good = await Promise.all(Array.from({ length: 6 }, () => newRun(exp)));
        const deleted = await newRun(exp);
        await s.deleteRun(deleted.info.runId);
        const fixed = good[0].info.runId;
        await s.logBatch(fixed, { metrics: [], params: [{ key: "p", value: "1" }], tags: [] });
        const missing = "ffffffffffffffffffffffffffffff00";
        // Arrive together, so they share a group commit: good writes, retries, and each kind of failure.
        const results = await Promise.allSettled([
          ...good.map((r, i) => s.logBatch(r.info.runId, { metrics: [m("g", i, i, 1)], params: [{ key: "q", value: "x" }], tags: [{ key: "t", value: String(i) }] })),
          s.logBatch(missing, { metrics: [m("g", 1)], params: [], tags: [] }),
          s.logBatch(deleted.info.runId, { metrics: [m("g", 1)], params: [], tags: [{ key: "dead", value: "1" }] }),
          s.logBatch(fixed, { metrics: [m("bad", 1)], params: [{ key: "p", value: "2" }], tags: [{ key: "bad", value: "1" }] }),
          s.logBatch(good[1].info.runId, { metrics: [m("g", 1, 1, 1)], params: [{ key: "q", value: "x" }], tags: [] }), // a concurrent retry
          s.logBatch(good[2].info.runId, { metrics: [m("late", 1)], params: [{ key: "q", value: "y" }], tags: [] }), // races the first q
          newRun(exp),
          s.createRun({ experimentId: "424242", userId: "u", runName: "x", startTime: 1, tags: [] }),
        ]);
        const n = good.length;
        assert.deepEqual(results.slice(0, n).map((r) => r.status), Array(n).fill("fulfilled"));
        const reason = (i: number) => (results[i] as PromiseRejectedResult).reason as MlflowError;
        assert.equal(reason(n).errorCode, "RESOURCE_DOES_NOT_EXIST");
        assert.match(reason(n + 1).message, /must be in the 'active' state/);
        assert.match(reason(n + 2).message, /Changing param values is not allowed/);
        assert.equal(results[n + 3].status, "fulfilled");
        // Either order is possible for the two values of q on good[2]: exactly one of the writes wins.
        const raced = [results[2].status, results[n + 4].status];
        assert.equal(results[n + 5].status, "fulfilled");
        assert.equal(reason(n + 6).errorCode, "RESOURCE_DOES_NOT_EXIST");
        assert.equal(raced[0], "fulfilled");
        assert.equal(raced[1], "rejected");
        for (const [i, r] of good.entries()) {
          const run = await s.getRun(r.info.runId);
          assert.deepEqual(run.data.metrics.map((x) => [x.key, x.value, x.step]), [["g", i, i]]);
          assert.equal(run.data.params.find((p) => p.key === "q")?.value, "x");
          assert.equal(run.data.tags.find((t) => t.key === "t")?.value, String(i));
          assert.equal((await s.getMetricHistory(r.info.runId, "g", {})).items.length, 1);
        }
        const bad = await s.getRun(fixed);
        assert.deepEqual(bad.data.params.filter((p) => p.key === "p"), [{ key: "p", value: "1" }]);
        assert.ok(!bad.data.tags.some((t) => t.key === "bad"));
        assert.equal((await s.getMetricHistory(fixed, "bad", {})).items.length, 0);
        assert.ok(!(await s.getRun(deleted.info.runId)).data.tags.some((t) => t.key === "dead"));
        assert.equal((await s.getMetricHistory(good[2].info.runId, "late", {})).items.length, 0);
      });
    });

    describeMetricHistory(ctx);
    describeRunSearch(ctx);
  });
}
