/**
 * The LoggedModelStore contract: one suite, run against every backend
 * (SQLite, PostgreSQL) by the backends' own test files. It uses the tracking
 * store of the same database for experiments, runs and metric points.
 * @module
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import { LOGGED_MODEL_SEARCH_SPEC, parseLoggedModelOrderBy, type OrderByIn } from "../../logged-models/logged-model-search-spec.js";
import type { CreateLoggedModelInput, DatasetFilter, LoggedModel } from "../../logged-models/types.js";
import { parseFilter } from "../../shared/filter/filter-parser.js";
import type { Metric } from "../../shared/tracking-types.js";
import type { LoggedModelStore } from "../../logged-models/logged-model-store.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import { rejectsWith } from "./tracking-store.contract.js";
import { contractTests } from "../../testing/backend-tests.js";

export interface LoggedModelStoreFixture {
  tracking: TrackingStore;
  loggedModels: LoggedModelStore;
  cleanup(): Promise<void>;
}

export function runLoggedModelStoreContract(name: string, make: () => Promise<LoggedModelStoreFixture | undefined>): void {
  describe(`LoggedModelStore contract: ${name}`, () => {
    let fx: LoggedModelStoreFixture | undefined;
    let s: LoggedModelStore;
    let t: TrackingStore;
    let n = 0;
    const uniq = (p: string) => `${p}-${Date.now()}-${n++}`;
    const newExperiment = () => t.createExperiment({ name: uniq("lm-exp"), tags: [] });
    const newRun = async (experimentId: string) =>
      (await t.createRun({ experimentId, userId: "alice", runName: uniq("run"), startTime: Date.now(), tags: [] })).info.runId;
    const create = (experimentId: string, extra: Partial<CreateLoggedModelInput> = {}) =>
      s.createLoggedModel({ experimentId, name: "model", modelType: "", sourceRunId: "", params: [], tags: [], ...extra });
    const search = (
      experimentIds: string[],
      opts: { filter?: string; orderBy?: OrderByIn[]; datasets?: DatasetFilter[]; maxResults?: number; pageToken?: string } = {},
    ) =>
      s.searchLoggedModels({
        experimentIds,
        filter: parseFilter(opts.filter, LOGGED_MODEL_SEARCH_SPEC),
        datasets: opts.datasets ?? [],
        orderBy: parseLoggedModelOrderBy(opts.orderBy),
        maxResults: opts.maxResults ?? 50,
        pageToken: opts.pageToken,
      });
    const ids = (models: LoggedModel[]) => models.map((m) => m.info.modelId);
    const metric = (key: string, value: number, step: number, timestamp: number, extra: Partial<Metric> = {}): Metric => ({
      key,
      value,
      step,
      timestamp,
      ...extra,
    });

    const it = contractTests(name, make, (f) => {
      fx = f;
      s = f.loggedModels;
      t = f.tracking;
    });

    describe("create and read", () => {
      it("creates a PENDING model under <experiment artifact location>/models/<id>/artifacts", async () => {
        const exp = await newExperiment();
        const run = await newRun(exp);
        const before = Date.now();
        const m = await create(exp, {
          sourceRunId: run,
          params: [{ key: "alpha", value: "0.5" }, { key: "l1", value: "0.1" }],
          tags: [{ key: "mlflow.user", value: "alice" }, { key: "b", value: "1" }, { key: "b", value: "2" }],
        });
        const i = m.info;
        assert.match(i.modelId, /^m-[0-9a-f]{32}$/);
        assert.equal(i.experimentId, exp);
        assert.equal(i.status, "LOGGED_MODEL_PENDING");
        assert.equal(i.artifactUri, `${(await t.getExperiment(exp)).artifactLocation}/models/${i.modelId}/artifacts`);
        assert.equal(i.sourceRunId, run);
        assert.equal(i.modelType, "");
        assert.ok(i.creationTimestampMs >= before && i.lastUpdatedTimestampMs === i.creationTimestampMs);
        assert.deepEqual(i.tags, [{ key: "b", value: "2" }, { key: "mlflow.user", value: "alice" }]);
        assert.deepEqual(m.data, { params: [{ key: "alpha", value: "0.5" }, { key: "l1", value: "0.1" }], metrics: [] });
        assert.deepEqual(await s.getLoggedModel(i.modelId), m);
      });

      it("refuses an unknown or deleted experiment and an unknown source run, creating nothing", async () => {
        await rejectsWith(create("987654"), "RESOURCE_DOES_NOT_EXIST", /^No Experiment with id=987654 exists$/);
        await rejectsWith(create("not-a-number"), "RESOURCE_DOES_NOT_EXIST");
        const exp = await newExperiment();
        await rejectsWith(create(exp, { sourceRunId: "0".repeat(32) }), "RESOURCE_DOES_NOT_EXIST", /^Run with id=0{32} not found$/);
        await t.deleteExperiment(exp);
        await rejectsWith(create(exp), "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);
        await t.restoreExperiment(exp);
        assert.deepEqual((await search([exp])).items, []);
      });

      it("answers MLflow's not-found message for an unknown id", async () => {
        await rejectsWith(s.getLoggedModel("m-bogus"), "RESOURCE_DOES_NOT_EXIST", /^Logged model with ID 'm-bogus' not found\.$/);
        await rejectsWith(s.finalizeLoggedModel("m-bogus", "LOGGED_MODEL_READY"), "RESOURCE_DOES_NOT_EXIST");
        await rejectsWith(s.deleteLoggedModel("m-bogus"), "RESOURCE_DOES_NOT_EXIST");
        await rejectsWith(s.setLoggedModelTags("m-bogus", [{ key: "a", value: "b" }]), "RESOURCE_DOES_NOT_EXIST");
        await rejectsWith(s.logLoggedModelParams("m-bogus", [{ key: "a", value: "b" }]), "RESOURCE_DOES_NOT_EXIST");
      });

      it("finalizes, and a soft-deleted model disappears from get and search", async () => {
        const exp = await newExperiment();
        const m = await create(exp);
        const ready = await s.finalizeLoggedModel(m.info.modelId, "LOGGED_MODEL_READY");
        assert.equal(ready.info.status, "LOGGED_MODEL_READY");
        assert.ok(ready.info.lastUpdatedTimestampMs >= m.info.lastUpdatedTimestampMs);
        assert.equal((await s.getLoggedModel(m.info.modelId)).info.status, "LOGGED_MODEL_READY");
        await s.deleteLoggedModel(m.info.modelId);
        await rejectsWith(s.getLoggedModel(m.info.modelId), "RESOURCE_DOES_NOT_EXIST");
        assert.equal((await s.getLoggedModel(m.info.modelId, { allowDeleted: true })).info.lifecycleStage, "deleted");
        assert.deepEqual((await search([exp])).items, []);
      });
    });

    describe("tags and params", () => {
      it("upserts and deletes tags; deleting a missing tag is RESOURCE_DOES_NOT_EXIST", async () => {
        const m = await create(await newExperiment(), { tags: [{ key: "a", value: "1" }] });
        const id = m.info.modelId;
        await s.setLoggedModelTags(id, [{ key: "a", value: "2" }, { key: "c", value: "3" }]);
        assert.deepEqual((await s.getLoggedModel(id)).info.tags, [{ key: "a", value: "2" }, { key: "c", value: "3" }]);
        await s.deleteLoggedModelTag(id, "a");
        await rejectsWith(s.deleteLoggedModelTag(id, "a"), "RESOURCE_DOES_NOT_EXIST", /No tag with key 'a'/);
        assert.deepEqual((await s.getLoggedModel(id)).info.tags, [{ key: "c", value: "3" }]);
      });

      it("params are immutable: the same value again is a no-op, another value is refused and nothing changes", async () => {
        const m = await create(await newExperiment(), { params: [{ key: "alpha", value: "0.5" }] });
        const id = m.info.modelId;
        await s.logLoggedModelParams(id, [{ key: "alpha", value: "0.5" }, { key: "beta", value: "2" }]);
        await rejectsWith(
          s.logLoggedModelParams(id, [{ key: "gamma", value: "1" }, { key: "alpha", value: "0.9" }]),
          "INVALID_PARAMETER_VALUE",
          /Changing param values is not allowed/,
        );
        assert.deepEqual((await s.getLoggedModel(id)).data.params, [{ key: "alpha", value: "0.5" }, { key: "beta", value: "2" }]);
      });

      it("records model versions on mlflow.modelVersions, concurrent registrations included", async () => {
        const m = await create(await newExperiment());
        const id = m.info.modelId;
        await s.recordModelVersion(id, "clf", "1");
        await Promise.all([s.recordModelVersion(id, "clf", "2"), s.recordModelVersion(id, "other", "7")]);
        const tag = (await s.getLoggedModel(id)).info.tags.find((x) => x.key === "mlflow.modelVersions");
        const list = JSON.parse(tag!.value) as Array<{ name: string; version: number }>;
        assert.deepEqual(list[0], { name: "clf", version: 1 });
        assert.deepEqual(list.map((e) => `${e.name}/${e.version}`).sort(), ["clf/1", "clf/2", "other/7"]);
        assert.match(tag!.value, /^\[\{"name": "clf", "version": 1\}, /);
        // A tag a user overwrote with something else starts a new list.
        await s.setLoggedModelTags(id, [{ key: "mlflow.modelVersions", value: "not json" }]);
        await s.recordModelVersion(id, "clf", "3");
        assert.equal((await s.getLoggedModel(id)).info.tags[0].value, '[{"name": "clf", "version": 3}]');
      });
    });

    describe("metrics and run links", () => {
      it("a model's metrics are the points logged with its id, each with its run", async () => {
        const exp = await newExperiment();
        const run = await newRun(exp);
        const m = await create(exp, { sourceRunId: run });
        const id = m.info.modelId;
        await t.logBatch(run, {
          metrics: [
            metric("loss", 0.5, 1, 1000, { modelId: id }),
            metric("acc", NaN, 0, 1000, { modelId: id, datasetName: "val", datasetDigest: "d1" }),
            metric("loss", 0.7, 0, 999, { modelId: id }),
            metric("loss", 0.1, 2, 1002),
          ],
          params: [],
          tags: [],
        });
        const got = (await s.getLoggedModel(id)).data.metrics;
        assert.deepEqual(
          got.map((p) => [p.key, p.step, p.runId, p.modelId]),
          [["acc", 0, run, id], ["loss", 0, run, id], ["loss", 1, run, id]],
        );
        assert.ok(Number.isNaN(got[0].value));
        assert.equal(got[0].datasetName, "val");
        assert.equal(got[0].datasetDigest, "d1");
      });

      it("re-logging an identical point with a model_id links it (MLflow 3.x log_model) without a second point", async () => {
        const exp = await newExperiment();
        const run = await newRun(exp);
        const id = (await create(exp, { sourceRunId: run })).info.modelId;
        await t.logBatch(run, { metrics: [metric("rmse", 0.8, 0, 500), metric("rmse", NaN, 1, 501)], params: [], tags: [] });
        await t.logBatch(run, {
          metrics: [metric("rmse", 0.8, 0, 500, { modelId: id }), metric("rmse", NaN, 1, 501, { modelId: id, datasetName: "val" })],
          params: [],
          tags: [],
        });
        // A point already linked keeps its first model.
        await t.logBatch(run, { metrics: [metric("rmse", 0.8, 0, 500, { modelId: "m-other" })], params: [], tags: [] });
        const history = await t.getMetricHistory(run, "rmse", {});
        assert.deepEqual(
          history.items.map((p) => [p.step, p.modelId, p.datasetName ?? null]),
          [[0, id, null], [1, id, "val"]],
        );
        assert.deepEqual((await s.getLoggedModel(id)).data.metrics.map((p) => p.step), [0, 1]);
        const summary = await t.getMetricHistoryBulkInterval({ runIds: [run], metricKey: "rmse", maxResults: 10 });
        assert.equal(summary.length, 2);
      });

      it("logs run outputs and model inputs; runs read back carry them", async () => {
        const exp = await newExperiment();
        const run = await newRun(exp);
        const a = (await create(exp)).info.modelId;
        const b = (await create(exp)).info.modelId;
        await s.logOutputs(run, [{ modelId: a, step: 0 }]);
        await s.logOutputs(run, [{ modelId: a, step: 0 }, { modelId: b, step: 5 }]);
        await t.logInputs(run, [], [{ modelId: b }, { modelId: b }]);
        const r = await t.getRun(run);
        assert.deepEqual(r.outputs, { modelOutputs: [{ modelId: a, step: 0 }, { modelId: b, step: 5 }] });
        assert.deepEqual(r.inputs.modelInputs, [{ modelId: b }]);
        const page = await t.searchRuns({ experimentIds: [exp], viewType: "ACTIVE_ONLY", orderBy: [], maxResults: 10 });
        assert.deepEqual(page.items[0].outputs, r.outputs);
        const other = await t.getRun(await newRun(exp));
        assert.deepEqual(other.outputs, { modelOutputs: [] });
        assert.deepEqual(other.inputs.modelInputs, []);
      });

      it("refuses unknown models and inactive runs, writing nothing", async () => {
        const exp = await newExperiment();
        const run = await newRun(exp);
        const a = (await create(exp)).info.modelId;
        await rejectsWith(s.logOutputs(run, [{ modelId: a, step: 0 }, { modelId: "m-nope", step: 1 }]), "RESOURCE_DOES_NOT_EXIST", /'m-nope'/);
        await rejectsWith(
          t.logInputs(run, [{ tags: [], dataset: { name: "d", digest: "x", sourceType: "local", source: "/d" } }], [{ modelId: "m-nope" }]),
          "RESOURCE_DOES_NOT_EXIST",
        );
        await rejectsWith(s.logOutputs("0".repeat(32), [{ modelId: a, step: 0 }]), "RESOURCE_DOES_NOT_EXIST");
        let r = await t.getRun(run);
        assert.deepEqual([r.outputs, r.inputs], [{ modelOutputs: [] }, { datasetInputs: [], modelInputs: [] }]);
        await t.deleteRun(run);
        await rejectsWith(s.logOutputs(run, [{ modelId: a, step: 0 }]), "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);
        r = await t.getRun(run);
        assert.deepEqual(r.outputs, { modelOutputs: [] });
      });
    });

    describe("search", () => {
      let exp: string;
      let other: string;
      const byName = new Map<string, string>();
      const created = new Map<string, number>();
      const idsOf = (...names: string[]) => names.map((x) => byName.get(x)!);
      /** Ids in the store's tie order: newest first, then by id (models may share a millisecond). */
      const newestFirst = (...names: string[]) =>
        idsOf(...names).sort((a, b) => created.get(b)! - created.get(a)! || (a < b ? -1 : a > b ? 1 : 0));

      before(async () => {
        if (!fx) return;
        exp = await newExperiment();
        other = await newExperiment();
        const run = await newRun(exp);
        const specs: Array<[string, string, Metric[], string]> = [
          ["m-a", "0.1", [metric("acc", 0.9, 0, 100, { datasetName: "val", datasetDigest: "d1" }), metric("acc", 0.5, 1, 200)], "sklearn"],
          ["m-b", "0.2", [metric("acc", 0.7, 0, 100, { datasetName: "val", datasetDigest: "d2" })], "sklearn"],
          ["m-c", "0.3", [metric("acc", NaN, 0, 100)], "xgboost"],
          ["m-d", "0.4", [], "xgboost"],
        ];
        for (const [name, alpha, metrics, type] of specs) {
          const m = await create(exp, { name, modelType: type, sourceRunId: run, params: [{ key: "alpha", value: alpha }], tags: [{ key: "team", value: name === "m-d" ? "b" : "a" }] });
          byName.set(name, m.info.modelId);
          created.set(m.info.modelId, m.info.creationTimestampMs);
          if (metrics.length > 0) await t.logBatch(run, { metrics: metrics.map((p) => ({ ...p, modelId: m.info.modelId })), params: [], tags: [] });
        }
        await s.finalizeLoggedModel(byName.get("m-b")!, "LOGGED_MODEL_READY");
        byName.set("x", (await create(other, { name: "x" })).info.modelId);
      });

      it("lists an experiment's models newest first, and several experiments together", async () => {
        assert.deepEqual(ids((await search([exp])).items), newestFirst("m-d", "m-c", "m-b", "m-a"));
        assert.deepEqual(new Set(ids((await search([exp, other])).items)), new Set(idsOf("m-a", "m-b", "m-c", "m-d", "x")));
        assert.deepEqual((await search(["4242424"])).items, []);
      });

      it("filters on params, tags, attributes and metrics (any point matches; NaN matches nothing)", async () => {
        const f = async (filter: string) => ids((await search([exp], { filter, orderBy: [{ field_name: "name" }] })).items);
        assert.deepEqual(await f("params.alpha IN ('0.1', '0.2')"), idsOf("m-a", "m-b"));
        assert.deepEqual(await f("params.alpha = '0.3' AND tags.team = 'a'"), idsOf("m-c"));
        assert.deepEqual(await f("tags.team != 'a'"), idsOf("m-d"));
        assert.deepEqual(await f("name LIKE 'm-%' AND model_type = 'xgboost'"), idsOf("m-c", "m-d"));
        assert.deepEqual(await f("attributes.status = 'LOGGED_MODEL_READY'"), idsOf("m-b"));
        assert.deepEqual(await f("metrics.acc > 0.8"), idsOf("m-a"));
        assert.deepEqual(await f("metrics.acc < 0.6"), idsOf("m-a"));
        assert.deepEqual(await f("metrics.acc >= 0"), idsOf("m-a", "m-b"));
        assert.deepEqual(await f(`creation_timestamp > 0 AND source_run_id != ''`), idsOf("m-a", "m-b", "m-c", "m-d"));
        assert.deepEqual(await f(`model_id IN ('${byName.get("m-d")}', 'm-none')`), idsOf("m-d"));
      });

      it("datasets restrict metric clauses, and alone keep models with metrics on those datasets", async () => {
        const f = async (filter: string | undefined, datasets: DatasetFilter[]) =>
          ids((await search([exp], { filter, datasets, orderBy: [{ field_name: "name" }] })).items);
        assert.deepEqual(await f("metrics.acc > 0.6", [{ datasetName: "val", datasetDigest: "d2" }]), idsOf("m-b"));
        assert.deepEqual(await f("metrics.acc > 0.6", [{ datasetName: "val" }]), idsOf("m-a", "m-b"));
        assert.deepEqual(await f(undefined, [{ datasetName: "val", datasetDigest: "d1" }]), idsOf("m-a"));
        assert.deepEqual(await f(undefined, [{ datasetName: "test" }]), []);
      });

      it("orders by a metric's latest point, values first then NaN and missing, either direction", async () => {
        const o = async (ascending: boolean) => ids((await search([exp], { orderBy: [{ field_name: "metrics.acc", ascending }] })).items);
        // Latest acc: m-a 0.5 (step 1), m-b 0.7; m-c NaN and m-d none follow, newest first.
        assert.deepEqual(await o(true), [...idsOf("m-a", "m-b"), ...newestFirst("m-d", "m-c")]);
        assert.deepEqual(await o(false), [...idsOf("m-b", "m-a"), ...newestFirst("m-d", "m-c")]);
        const onD1 = await search([exp], { orderBy: [{ field_name: "metrics.acc", ascending: false, dataset_digest: "d1" } as OrderByIn] });
        assert.equal(ids(onD1.items)[0], byName.get("m-a"));
        assert.deepEqual(ids((await search([exp], { orderBy: [{ field_name: "name", ascending: false }] })).items), idsOf("m-d", "m-c", "m-b", "m-a"));
      });

      it("pages with opaque tokens bound to the query", async () => {
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await search([exp], { maxResults: 3, pageToken: token, orderBy: [{ field_name: "metrics.acc" }] });
          seen.push(...ids(page.items));
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(seen, [...idsOf("m-a", "m-b"), ...newestFirst("m-d", "m-c")]);
        const first = await search([exp], { maxResults: 2 });
        assert.ok(first.nextPageToken);
        await rejectsWith(search([exp], { maxResults: 2, pageToken: first.nextPageToken, filter: "name = 'm-a'" }), "INVALID_PARAMETER_VALUE");
        await rejectsWith(search([exp], { pageToken: "garbage" }), "INVALID_PARAMETER_VALUE");
      });
    });
  });
}
