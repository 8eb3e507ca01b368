/**
 * The run-search part of the TrackingStore contract: filters, order, paging and
 * what a searched run carries. Called from runTrackingStoreContract with its
 * fixture, so every backend that passes the contract passes this too.
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import type { ContractContext } from "./contract-context.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import { m, rejectsWith } from "./tracking-store.contract.js";

export function describeRunSearch(ctx: ContractContext): void {
  const { uniq, newRun, searchRuns, names, it } = ctx;
  let s: TrackingStore;
  before(() => {
    if (ctx.available()) s = ctx.store();
  });
  describe("run search", () => {
    let e1: string;
    let e2: string;
    before(async () => {
      if (!ctx.available()) return;
      e1 = await s.createExperiment({ name: uniq("search1"), tags: [] });
      e2 = await s.createExperiment({ name: uniq("search2"), tags: [] });
      const specs = [
        { name: "r0", exp: e1, acc: 0.9, lr: "0.1", model: "cnn", status: "FINISHED" as const, start: 1000 },
        { name: "r1", exp: e1, acc: 0.5, lr: "0.01", model: "CNN-big", status: "FAILED" as const, start: 2000 },
        { name: "r2", exp: e1, acc: undefined, lr: "0.1", model: "rnn", status: "RUNNING" as const, start: 3000 },
        { name: "r3", exp: e2, acc: 0.7, lr: undefined, model: "cnn", status: "FINISHED" as const, start: 4000 },
        { name: "r4", exp: e1, acc: NaN, lr: "0.001", model: undefined, status: "FINISHED" as const, start: 5000 },
      ];
      for (const sp of specs) {
        const run = await newRun(sp.exp, sp.name, sp.start);
        await s.logBatch(run.info.runId, {
          metrics: sp.acc === undefined ? [] : [m("acc", sp.acc), m("val loss", 1 - (Number.isNaN(sp.acc) ? 0 : sp.acc))],
          params: sp.lr === undefined ? [] : [{ key: "lr", value: sp.lr }],
          tags: sp.model === undefined ? [] : [{ key: "model", value: sp.model }],
        });
        if (sp.status !== "RUNNING") await s.updateRun(run.info.runId, { status: sp.status, endTime: sp.start + 10 });
        if (sp.name === "r0") {
          await s.logInputs(run.info.runId, [
            { tags: [{ key: "mlflow.data.context", value: "train" }], dataset: { name: "mnist", digest: "d1", sourceType: "local", source: "x" } },
          ]);
        }
      }
    });

    it("orders by start_time DESC by default", async () => {
      assert.deepEqual(names((await searchRuns([e1])).items), ["r4", "r2", "r1", "r0"]);
      assert.deepEqual(names((await searchRuns([e1, e2])).items), ["r4", "r3", "r2", "r1", "r0"]);
    });

    it("filters on metrics, params, tags and attributes", async () => {
      const q = async (f: string) => names((await searchRuns([e1, e2], f, ["attributes.run_name ASC"])).items);
      assert.deepEqual(await q("metrics.acc > 0.6"), ["r0", "r3"]);
      assert.deepEqual(await q("metrics.acc >= 0.5 AND metrics.acc < 0.8"), ["r1", "r3"]);
      assert.deepEqual(await q("metrics.`val loss` <= 0.31"), ["r0", "r3"]);
      assert.deepEqual(await q("params.lr = '0.1'"), ["r0", "r2"]);
      assert.deepEqual(await q("params.lr != '0.1'"), ["r1", "r4"]);
      assert.deepEqual(await q("tags.model LIKE 'cnn%'"), ["r0", "r3"]);
      assert.deepEqual(await q("tags.model ILIKE 'cnn%'"), ["r0", "r1", "r3"]);
      assert.deepEqual(await q("attributes.status = 'FINISHED'"), ["r0", "r3", "r4"]);
      assert.deepEqual(await q("status != 'FINISHED'"), ["r1", "r2"]);
      assert.deepEqual(await q("run_name LIKE 'r_'"), ["r0", "r1", "r2", "r3", "r4"]);
      assert.deepEqual(await q("attributes.start_time > 2500 and attributes.end_time < 4500"), ["r3"]);
      assert.deepEqual(await q("datasets.name = 'mnist'"), ["r0"]);
      assert.deepEqual(await q("datasets.context = 'train'"), ["r0"]);
      assert.deepEqual(await q("params.lr IS NULL"), ["r3"]);
      assert.deepEqual(await q("metrics.acc IS NOT NULL AND tags.model IS NULL"), ["r4"]);
      assert.deepEqual(await q("params.lr = '0.001' OR (tags.model = 'cnn' AND metrics.acc > 0.8)"), ["r0", "r4"]);
      const all = (await searchRuns([e1, e2])).items;
      const ids = all.filter((r) => ["r1", "r3"].includes(r.info.runName)).map((r) => `'${r.info.runId}'`);
      assert.deepEqual(await q(`attributes.run_id IN (${ids.join(", ")})`), ["r1", "r3"]);
      assert.deepEqual(await q(`run_id NOT IN (${ids.join(",")})`), ["r0", "r2", "r4"]);
      assert.deepEqual(await q("params.lr = 'none-such'"), []);
      // Injection attempts are values, not SQL.
      assert.deepEqual(await q("params.lr = '0.1'' OR ''1''=''1'"), []);
      assert.deepEqual(await q("tags.`model'; drop table runs; --` = 'x'"), []);
      assert.equal((await searchRuns([e1, e2])).items.length, 5);
    });

    it("orders by metrics, params and attributes with missing values last", async () => {
      const o = async (order: string[]) => names((await searchRuns([e1, e2], undefined, order)).items);
      const byAccDesc = await o(["metrics.acc DESC"]);
      assert.deepEqual(byAccDesc.slice(0, 3), ["r0", "r3", "r1"]);
      assert.deepEqual(new Set(byAccDesc.slice(3)), new Set(["r2", "r4"]));
      const byAccAsc = await o(["metrics.acc ASC"]);
      assert.deepEqual(byAccAsc.slice(0, 3), ["r1", "r3", "r0"]);
      assert.deepEqual(await o(["params.lr ASC", "attributes.run_name DESC"]), ["r4", "r1", "r2", "r0", "r3"]);
      assert.deepEqual(await o(["tags.model DESC"]), ["r2", "r3", "r0", "r1", "r4"]);
      assert.deepEqual(await o(["attributes.start_time ASC"]), ["r0", "r1", "r2", "r3", "r4"]);
    });

    it("pages by keyset through every order without loss or repeats", async () => {
      for (const order of [[], ["metrics.acc DESC"], ["params.lr ASC"], ["tags.model DESC", "start_time ASC"], ["run_name DESC"]]) {
        const full = names((await searchRuns([e1, e2], undefined, order)).items);
        const paged: string[] = [];
        let token: string | undefined;
        do {
          const page = await searchRuns([e1, e2], undefined, order, 2, "ACTIVE_ONLY", token);
          paged.push(...names(page.items));
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(paged, full, `order ${order.join(",")}`);
      }
      const page = await searchRuns([e1, e2], undefined, ["metrics.acc DESC"], 2);
      await rejectsWith(searchRuns([e1, e2], undefined, ["params.lr ASC"], 2, "ACTIVE_ONLY", page.nextPageToken), "INVALID_PARAMETER_VALUE");
      // A crafted token with values of the wrong type or range is refused before it reaches SQL.
      const body = JSON.parse(Buffer.from(page.nextPageToken!, "base64url").toString()) as { k: unknown[] };
      for (const k of [body.k.map(() => "not-a-number"), [0, 0.5, 1e20, "x"], [0, 0.5, "x", "y"]]) {
        const forged = Buffer.from(JSON.stringify({ ...body, k })).toString("base64url");
        await rejectsWith(searchRuns([e1, e2], undefined, ["metrics.acc DESC"], 2, "ACTIVE_ONLY", forged), "INVALID_PARAMETER_VALUE", /page token/);
      }
    });

    it("honours view types", async () => {
      const victim = (await searchRuns([e2])).items[0];
      await s.deleteRun(victim.info.runId);
      assert.deepEqual(names((await searchRuns([e2])).items), []);
      assert.deepEqual(names((await searchRuns([e2], undefined, undefined, 10, "DELETED_ONLY")).items), ["r3"]);
      assert.deepEqual(names((await searchRuns([e2], undefined, undefined, 10, "ALL")).items), ["r3"]);
      await s.restoreRun(victim.info.runId);
    });

    it("returns params, tags, latest metrics and inputs of every run", async () => {
      const r0 = (await searchRuns([e1], "attributes.run_name = 'r0'")).items[0];
      assert.deepEqual(r0.data.params, [{ key: "lr", value: "0.1" }]);
      assert.deepEqual(
        r0.data.metrics.map((x) => x.key),
        ["acc", "val loss"],
      );
      assert.equal(r0.inputs.datasetInputs[0].dataset.name, "mnist");
      assert.deepEqual((await searchRuns(["999999"])).items, []);
    });

    it("a metric order pages exactly as MLflow sorts: values, NaN, missing; ties by start time, then run id", async () => {
      // Many ties, NaN and missing values, a rare param value (a selective filter), and another experiment
      // whose runs hold the best values of the same metric: the first page may come from walking the
      // metric's index, and must agree with the general query everywhere.
      const key = uniq("score").replace(/-/g, "_");
      const e = await s.createExperiment({ name: uniq("metric-order"), tags: [] });
      const other = await s.createExperiment({ name: uniq("metric-order-other"), tags: [] });
      const rand = (() => {
        let x = 7;
        return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      })();
      type Row = { name: string; id: string; start: number; value: number | undefined; g: string };
      const rows: Row[] = [];
      for (let i = 0; i < 240; i++) {
        const r = rand();
        const value = r < 0.15 ? undefined : r < 0.2 ? NaN : Math.floor(rand() * 7);
        const g = rand() < 0.03 ? "c" : rand() < 0.5 ? "a" : "b";
        const start = 1000 + Math.floor(rand() * 5);
        const run = await newRun(e, `m${i}`, start);
        await s.logBatch(run.info.runId, {
          metrics: value === undefined ? [] : [{ key, value, timestamp: 1, step: 0 }],
          params: [{ key: "g", value: g }],
          tags: [],
        });
        rows.push({ name: `m${i}`, id: run.info.runId, start, value, g });
      }
      for (let i = 0; i < 60; i++) {
        const run = await newRun(other, `o${i}`, 1000);
        await s.logBatch(run.info.runId, { metrics: [{ key, value: 100 + i, timestamp: 1, step: 0 }], params: [], tags: [] });
      }
      const expected = (keep: (r: Row) => boolean, asc: boolean) =>
        rows
          .filter(keep)
          .sort((a, b) => {
            const rank = (r: Row) => (r.value === undefined ? 2 : Number.isNaN(r.value) ? 1 : 0);
            if (rank(a) !== rank(b)) return rank(a) - rank(b);
            if (rank(a) === 0 && a.value !== b.value) return asc ? a.value! - b.value! : b.value! - a.value!;
            if (a.start !== b.start) return b.start - a.start;
            return a.id < b.id ? -1 : 1;
          })
          .map((r) => r.name);
      const filters: Array<[string | undefined, (r: Row) => boolean]> = [
        [undefined, () => true],
        ["params.g = 'a'", (r) => r.g === "a"],
        ["params.g = 'c'", (r) => r.g === "c"],
        [`metrics.${key} > 2`, (r) => r.value !== undefined && r.value > 2],
        ["params.g IN ('a', 'c')", (r) => r.g === "a" || r.g === "c"],
        ["params.g LIKE 'b%' AND attributes.status = 'RUNNING'", (r) => r.g === "b"],
        ["params.g != 'b'", (r) => r.g !== "b"],
        // A run without the metric, or with NaN, matches no comparison on it; an OR of kinds still matches.
        [`metrics.${key} != 3`, (r) => r.value !== undefined && !Number.isNaN(r.value) && r.value !== 3],
        [`params.g = 'c' OR metrics.${key} >= 5`, (r) => r.g === "c" || (r.value !== undefined && r.value >= 5)],
        [`(params.g = 'a' OR attributes.run_name LIKE 'm1%') AND metrics.${key} < 4`, (r) => (r.g === "a" || r.name.startsWith("m1")) && r.value !== undefined && r.value < 4],
        [`params.g = 'b' AND params.h IS NULL AND metrics.${key} IS NOT NULL`, (r) => r.g === "b" && r.value !== undefined],
      ];
      const pages = async (filter: string | undefined, order: string, size: number) => {
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await searchRuns([e], filter, [order], size, "ACTIVE_ONLY", token);
          seen.push(...names(page.items));
          token = page.nextPageToken;
        } while (token);
        return seen;
      };
      for (const [filter, keep] of filters) {
        for (const asc of [false, true]) {
          for (const size of [1, 7, 50]) {
            const got = await pages(filter, `metrics.${key} ${asc ? "ASC" : "DESC"}`, size);
            assert.deepEqual(got, expected(keep, asc), `${filter ?? "no filter"}, ${asc ? "ASC" : "DESC"}, pages of ${size}`);
          }
        }
      }
      // Every run has the same value and the earliest-created run starts last: the order is start time over
      // all of them — not over the runs an index walk happened to reach first (the last created).
      const flat = await s.createExperiment({ name: uniq("metric-order-flat"), tags: [] });
      const flatNames: string[] = [];
      for (let i = 0; i < 120; i++) {
        const run = await newRun(flat, `f${i}`, 5000 - i);
        await s.logBatch(run.info.runId, { metrics: [{ key: `${key}_flat`, value: 1, timestamp: 1, step: 0 }], params: [], tags: [] });
        flatNames.push(`f${i}`);
      }
      for (const size of [1, 3]) {
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await searchRuns([flat], undefined, [`metrics.${key}_flat DESC`], size, "ACTIVE_ONLY", token);
          seen.push(...names(page.items));
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(seen, flatNames, `flat metric, pages of ${size}`);
      }
    });

    it("returns params and tags with any characters exactly, in key order", async () => {
      const e = await s.createExperiment({ name: uniq("odd-chars"), tags: [] });
      const odd = ['quote " and backslash \\', "line\nbreak\ttab", "control \u0001\u001f", "emoji 🚀 and é", "", " spaced "];
      const runs = [];
      for (let r = 0; r < 3; r++) {
        const run = await newRun(e, `odd${r}`, 1000 + r);
        await s.logBatch(run.info.runId, {
          metrics: [],
          params: odd.map((value, i) => ({ key: `p ${String.fromCharCode(106 - i)}`, value: `${value}${r}` })),
          tags: odd.map((value, i) => ({ key: `t.${i}`, value: `${r}${value}` })),
        });
        runs.push(run.info.runId);
      }
      const found = (await searchRuns([e], undefined, ["attributes.start_time ASC"])).items;
      assert.deepEqual(found.map((x) => x.info.runId), runs);
      found.forEach((run, r) => {
        const params = odd.map((value, i) => ({ key: `p ${String.fromCharCode(106 - i)}`, value: `${value}${r}` })).sort((a, b) => (a.key < b.key ? -1 : 1));
        assert.deepEqual(run.data.params, params);
        assert.deepEqual(
          run.data.tags.filter((t) => t.key.startsWith("t.")),
          odd.map((value, i) => ({ key: `t.${i}`, value: `${r}${value}` })),
        );
      });
    });

    it("orders keys by code point, as both databases do, past U+FFFF too", async () => {
      // Letters all (valid names): UTF-16 order would put U+20000's surrogate pair before U+FF21; code points do not.
      const keys = ["k_", "k\uff21", "k\u{20000}", "k\u{20000}x"];
      const e = await s.createExperiment({ name: uniq("key-order"), tags: [] });
      const run = await newRun(e, "keys");
      const pairs = [...keys].reverse().map((key) => ({ key, value: key }));
      await s.logBatch(run.info.runId, { metrics: keys.map((key) => m(key, 1)), params: pairs, tags: pairs });
      for (const got of [(await searchRuns([e])).items[0], await s.getRun(run.info.runId)]) {
        assert.deepEqual(got.data.params.map((p) => p.key), keys);
        assert.deepEqual(got.data.tags.map((t) => t.key).filter((k) => k.startsWith("k")), keys);
        assert.deepEqual(got.data.metrics.map((x) => x.key), keys);
      }
    });

    it("compares long param and tag values whole, past any indexed prefix", async () => {
      const e = await s.createExperiment({ name: uniq("long-values"), tags: [] });
      const head = "x".repeat(300);
      const values = { a: `${head}a${"y".repeat(5000)}`, b: `${head}b${"y".repeat(5000)}`, short: "v3" };
      for (const [name, value] of Object.entries(values)) {
        const run = await newRun(e, name);
        await s.logBatch(run.info.runId, { metrics: [], params: [{ key: "blob", value }], tags: [{ key: "note", value }] });
      }
      assert.deepEqual(names((await searchRuns([e], `params.blob = '${values.b}'`)).items), ["b"]);
      assert.deepEqual(names((await searchRuns([e], `tags.note = '${values.a}'`)).items), ["a"]);
      assert.deepEqual(names((await searchRuns([e], `params.blob = '${head}'`)).items), []);
      assert.deepEqual(names((await searchRuns([e], `params.blob IN ('${values.a}', 'v3')`, ["attributes.run_name ASC"])).items), ["a", "short"]);
      assert.deepEqual(names((await searchRuns([e], `params.blob != '${values.a}'`, ["attributes.run_name ASC"])).items), ["b", "short"]);
      assert.deepEqual(names((await searchRuns([e], `params.blob LIKE '${head}b%'`)).items), ["b"]);
    });
  });
}
