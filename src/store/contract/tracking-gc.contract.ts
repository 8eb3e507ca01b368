/**
 * The garbage-collection part of the TrackingStore contract (findGcCandidates,
 * hardDelete*): run against SQLite, PostgreSQL and the REST-backed store. The
 * data is what broke MLflow's gc: runs with metric histories, dataset inputs
 * with tags, logged models linked as inputs and outputs.
 * @module
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { LoggedModelStore } from "../../logged-models/logged-model-store.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import { rejectsWith } from "./tracking-store.contract.js";
import { contractTests } from "../../testing/backend-tests.js";

export interface GcStoreFixture {
  store: TrackingStore;
  /** Logged-model cases run only when the backend has a logged-model store. */
  loggedModels?: LoggedModelStore;
  cleanup(): Promise<void>;
}

export function runTrackingGcContract(name: string, make: () => Promise<GcStoreFixture | undefined>): void {
  describe(`TrackingStore gc contract: ${name}`, () => {
    let fx: GcStoreFixture | undefined;
    let s: TrackingStore;
    let n = 0;
    const uniq = (p: string) => `${p}-${Date.now()}-${n++}`;

    const backendTest = contractTests(name, make, (f) => {
      fx = f;
      s = f.store;
    });
    const it = (title: string, fn: () => Promise<void>, needs?: "loggedModels") =>
      backendTest(title, async (f, t) => {
        if (needs && !f[needs]) return t.skip(`no ${needs} store on this backend`);
        await fn();
      });

    /** A run with a metric history, params, tags and a dataset input with tags. */
    const fullRun = async (experimentId: string) => {
      const run = await s.createRun({ experimentId, userId: "u", runName: uniq("r"), startTime: 1, tags: [{ key: "t", value: "v" }] });
      const id = run.info.runId;
      await s.logBatch(id, {
        metrics: Array.from({ length: 50 }, (_, i) => ({ key: "loss", value: 1 / (i + 1), step: i, timestamp: 1000 + i })),
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "stage", value: "x" }],
      });
      await s.logInputs(id, [
        { tags: [{ key: "mlflow.data.context", value: "train" }], dataset: { name: "ds", digest: "d1", sourceType: "local", source: "{}", schema: null, profile: null } },
      ]);
      return id;
    };
    const runIdsOf = (c: { runs: Array<{ runId: string }> }) => c.runs.map((r) => r.runId);

    it("lists deleted runs only, by age and experiment, and leaves active runs out", async () => {
      const exp = await s.createExperiment({ name: uniq("gc"), tags: [] });
      const active = await fullRun(exp);
      const gone = await fullRun(exp);
      await s.deleteRun(gone);
      const all = await s.findGcCandidates({ experimentIds: [exp] });
      assert.deepEqual(runIdsOf(all), [gone]);
      assert.equal(all.runs[0].experimentId, exp);
      assert.match(all.runs[0].artifactUri, new RegExp(`${gone}/artifacts$`));
      assert.ok(all.runs[0].deletedTime! > 0);
      assert.deepEqual(runIdsOf(await s.findGcCandidates({ experimentIds: [exp], deletedBefore: Date.now() - 3_600_000 })), []);
      assert.deepEqual(runIdsOf(await s.findGcCandidates({ experimentIds: [exp], deletedBefore: Date.now() + 3_600_000 })), [gone]);
      assert.ok(!runIdsOf(await s.findGcCandidates({})).includes(active));
    });

    it("purges a deleted run with everything hanging off it; the active run beside it keeps all of its data", async () => {
      const exp = await s.createExperiment({ name: uniq("gc"), tags: [] });
      const keep = await fullRun(exp);
      const gone = await fullRun(exp);
      await s.deleteRun(gone);
      const purged = await s.hardDeleteRuns([gone]);
      assert.deepEqual(runIdsOf({ runs: purged }), [gone]);
      await rejectsWith(s.getRun(gone), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.getMetricHistory(gone, "loss", {}), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.restoreRun(gone), "RESOURCE_DOES_NOT_EXIST");
      const kept = await s.getRun(keep);
      assert.equal(kept.info.lifecycleStage, "active");
      assert.deepEqual(kept.data.params, [{ key: "lr", value: "0.1" }]);
      assert.equal(kept.inputs.datasetInputs.length, 1);
      assert.equal((await s.getMetricHistory(keep, "loss", {})).items.length, 50);
      assert.deepEqual(runIdsOf(await s.findGcCandidates({ experimentIds: [exp] })), []);
      // The experiment's dataset is still there for the run that kept it.
      const again = await fullRun(exp);
      assert.equal((await s.getRun(again)).inputs.datasetInputs[0].dataset.digest, "d1");
    });

    it("refuses an active or unknown run and then purges nothing of the batch", async () => {
      const exp = await s.createExperiment({ name: uniq("gc"), tags: [] });
      const active = await fullRun(exp);
      const gone = await fullRun(exp);
      await s.deleteRun(gone);
      await rejectsWith(s.hardDeleteRuns([gone, active]), "INVALID_PARAMETER_VALUE", /deleted/);
      await rejectsWith(s.hardDeleteRuns([gone, "0123456789abcdef0123456789abcdef"]), "RESOURCE_DOES_NOT_EXIST");
      assert.equal((await s.getRun(gone)).info.lifecycleStage, "deleted");
      assert.equal((await s.getMetricHistory(gone, "loss", {})).items.length, 50);
      assert.equal((await s.getRun(active)).data.metrics.length, 1);
      assert.deepEqual(await s.hardDeleteRuns([]), []);
    });

    it("purges a deleted experiment whole: runs with datasets, tags; its name is free again", async () => {
      const name = uniq("gc-exp");
      const exp = await s.createExperiment({ name, tags: [{ key: "team", value: "a" }] });
      const r1 = await fullRun(exp);
      const r2 = await fullRun(exp);
      await s.deleteRun(r2); // deleted on its own before the experiment
      await s.deleteExperiment(exp);
      await rejectsWith(s.createExperiment({ name, tags: [] }), "RESOURCE_ALREADY_EXISTS");
      const c = await s.findGcCandidates({ experimentIds: [exp] });
      assert.deepEqual(c.experiments.map((e) => e.experimentId), [exp]);
      assert.deepEqual(c.experiments[0].runs.map((r) => r.runId).sort(), [r1, r2].sort());
      assert.deepEqual(c.runs, [], "runs of a purged experiment are listed under it, not on their own");
      const [purged] = await s.hardDeleteExperiments([exp]);
      assert.equal(purged.name, name);
      assert.deepEqual(purged.runs.map((r) => r.runId).sort(), [r1, r2].sort());
      await rejectsWith(s.getExperiment(exp), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.getRun(r1), "RESOURCE_DOES_NOT_EXIST");
      const reborn = await s.createExperiment({ name, tags: [] });
      assert.notEqual(reborn, exp);
      const r3 = await fullRun(reborn);
      assert.equal((await s.getRun(r3)).inputs.datasetInputs[0].dataset.name, "ds");
    });

    it("refuses to purge an active or unknown experiment", async () => {
      const exp = await s.createExperiment({ name: uniq("gc"), tags: [] });
      const run = await fullRun(exp);
      await rejectsWith(s.hardDeleteExperiments([exp]), "INVALID_PARAMETER_VALUE", /deleted/);
      await rejectsWith(s.hardDeleteExperiments(["987654321"]), "RESOURCE_DOES_NOT_EXIST");
      assert.equal((await s.getRun(run)).info.lifecycleStage, "active");
      assert.ok(!(await s.findGcCandidates({})).experiments.some((e) => e.experimentId === exp));
    });

    it(
      "purges logged models: deleted ones on their own, all of a purged experiment's, with their run links",
      async () => {
        const lm = fx!.loggedModels!;
        const exp = await s.createExperiment({ name: uniq("gc-lm"), tags: [] });
        const run = await fullRun(exp);
        const mk = (name: string) =>
          lm.createLoggedModel({ experimentId: exp, name, modelType: null, sourceRunId: run, params: [{ key: "p", value: "1" }], tags: [{ key: "k", value: "v" }] });
        const kept = await mk("kept");
        const gone = await mk("gone");
        await lm.logOutputs(run, [{ modelId: gone.info.modelId, step: 1 }, { modelId: kept.info.modelId, step: 2 }]);
        await rejectsWith(s.hardDeleteLoggedModels([gone.info.modelId]), "INVALID_PARAMETER_VALUE");
        await lm.deleteLoggedModel(gone.info.modelId);
        const c = await s.findGcCandidates({ experimentIds: [exp] });
        assert.deepEqual(c.loggedModels.map((m) => m.modelId), [gone.info.modelId]);
        assert.match(c.loggedModels[0].artifactUri, new RegExp(`models/${gone.info.modelId}/artifacts$`));
        assert.equal(c.loggedModels[0].sourceRunId, run);
        await s.hardDeleteLoggedModels([gone.info.modelId]);
        await rejectsWith(lm.getLoggedModel(gone.info.modelId, { allowDeleted: true }), "RESOURCE_DOES_NOT_EXIST");
        assert.deepEqual((await s.getRun(run)).outputs?.modelOutputs, [{ modelId: kept.info.modelId, step: 2 }]);

        // The experiment goes with its remaining (active) logged model: logged_models references experiments.
        await s.deleteExperiment(exp);
        const [purged] = await s.hardDeleteExperiments([exp]);
        assert.deepEqual(purged.loggedModels.map((m) => m.modelId), [kept.info.modelId]);
        await rejectsWith(lm.getLoggedModel(kept.info.modelId, { allowDeleted: true }), "RESOURCE_DOES_NOT_EXIST");
      },
      "loggedModels",
    );
  });
}
