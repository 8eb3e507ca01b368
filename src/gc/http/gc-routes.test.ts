/**
 * `POST /api/ciclo/v1/gc` through a live server: the gc store contract over
 * REST, then what only the route does — artifact folders deleted, model
 * versions protecting their sources, dry runs, ages, explicit ids.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AdminClient } from "../../sdk/admin-client.js";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { HttpTrackingStore } from "../../sdk/http-tracking-store.js";
import { RegistryClient } from "../../sdk/registry-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { runTrackingGcContract } from "../../store/contract/tracking-gc.contract.js";
import { rejectsWith } from "../../store/contract/tracking-store.contract.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";

runTrackingGcContract("sdk http (live server, sqlite)", async () => {
  const live = await startLiveTrackingServer();
  const store = new HttpTrackingStore({ trackingUri: live.url, env: {}, retry: { maxAttempts: 1 } });
  return { store, cleanup: () => live.close() };
});

describe("POST /api/ciclo/v1/gc", () => {
  let live: LiveTrackingServer;
  let tracking: TrackingClient;
  let admin: AdminClient;
  let registry: RegistryClient;
  let artifacts: ArtifactClient;
  let n = 0;
  const artifactsDir = () => join(live.dir, "artifacts");

  before(async () => {
    live = await startLiveTrackingServer();
    const opts = { trackingUri: live.url, env: {}, retry: { maxAttempts: 1 } };
    tracking = new TrackingClient(opts);
    admin = new AdminClient(tracking.http);
    registry = new RegistryClient(tracking.http);
    artifacts = new ArtifactClient(tracking, { env: {} });
  });
  after(async () => live.close());

  /** A run with a file artifact and a model folder, in a fresh experiment. */
  const runWithFiles = async (experimentId?: string) => {
    const exp = experimentId ?? (await tracking.createExperiment(`gc-${Date.now()}-${n++}`));
    const run = await tracking.createRun({ experimentId: exp });
    const id = run.info.runId;
    await tracking.logBatch(id, { metrics: [{ key: "m", value: 1, step: 0 }] });
    await artifacts.logText(id, "hello", "notes.txt");
    await artifacts.logText(id, "flavors: {}", "model/MLmodel");
    return { exp, id, folder: join(artifactsDir(), exp, id) };
  };

  test("purges deleted runs with their artifact folders; active runs and their files stay", async () => {
    const keep = await runWithFiles();
    const gone = await runWithFiles(keep.exp);
    assert.ok(existsSync(join(gone.folder, "artifacts", "notes.txt")));
    await tracking.deleteRun(gone.id);
    const dry = await admin.gc({ dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.ok(dry.runs.some((r) => r.runId === gone.id));
    assert.ok(existsSync(gone.folder), "a dry run deletes nothing");
    assert.equal((await tracking.getRun(gone.id)).info.lifecycleStage, "deleted");

    const report = await admin.gc({ runIds: [gone.id] });
    assert.deepEqual(report.runs.map((r) => r.runId), [gone.id]);
    assert.deepEqual(report.artifactErrors, []);
    assert.equal(existsSync(gone.folder), false, "the run folder itself is gone, not only artifacts/");
    await rejectsWith(tracking.getRun(gone.id), "RESOURCE_DOES_NOT_EXIST");
    assert.ok(existsSync(join(keep.folder, "artifacts", "model", "MLmodel")));
    assert.equal((await tracking.getRun(keep.id)).data.metrics.length, 1);
  });

  test("a deleted experiment goes whole: runs, logged models, their folders and the experiment folder", async () => {
    const a = await runWithFiles();
    const b = await runWithFiles(a.exp);
    const created = await tracking.http.post<{ model: { info: { model_id: string; artifact_uri: string } } }>("logged-models", {
      experiment_id: a.exp,
      name: "lm",
      source_run_id: a.id,
    });
    const modelId = created.model.info.model_id;
    const res = await fetch(`${live.url}/api/2.0/mlflow-artifacts/artifacts/${a.exp}/models/${modelId}/artifacts/MLmodel`, { method: "PUT", body: "x" });
    assert.equal(res.status, 200);
    assert.ok(existsSync(join(artifactsDir(), a.exp, "models", modelId, "artifacts", "MLmodel")));
    await tracking.deleteExperiment(a.exp);

    const report = await admin.gc({ experimentIds: [a.exp] });
    assert.equal(report.experiments.length, 1);
    assert.deepEqual(report.experiments[0].runs.map((r) => r.runId).sort(), [a.id, b.id].sort());
    assert.deepEqual(report.experiments[0].loggedModels.map((m) => m.modelId), [modelId]);
    assert.deepEqual(report.artifactErrors, []);
    assert.equal(existsSync(join(artifactsDir(), a.exp)), false, readdirSync(artifactsDir()).join(","));
    await rejectsWith(tracking.getExperiment(a.exp), "RESOURCE_DOES_NOT_EXIST");
  });

  test("a deleted experiment's MLflow 3 traces go with it: their records and their traces.json folders", async () => {
    const exp = await tracking.createExperiment(`gc-traces-${Date.now()}-${n++}`);
    const traceId = "tr-00112233445566778899aabbccddeeff";
    const started = await fetch(`${live.url}/api/3.0/mlflow/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ trace: { trace_info: { trace_id: traceId, trace_location: { mlflow_experiment: { experiment_id: exp } }, request_time: "2025-01-01T00:00:00Z", state: "OK" } } }),
    });
    assert.equal(started.status, 200, await started.clone().text());
    const location = ((await started.json()) as { trace: { trace_info: { tags: Record<string, string> } } }).trace.trace_info.tags["mlflow.artifactLocation"];
    assert.equal(location, `mlflow-artifacts:/${exp}/traces/${traceId}/artifacts`);
    const put = await fetch(`${live.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/traces/${traceId}/artifacts/traces.json`, { method: "PUT", body: '{"spans": []}' });
    assert.equal(put.status, 200);
    assert.ok(existsSync(join(artifactsDir(), exp, "traces", traceId, "artifacts", "traces.json")));
    await tracking.deleteExperiment(exp);

    const report = await admin.gc({ experimentIds: [exp] });
    assert.equal(report.experiments.length, 1);
    assert.deepEqual(report.artifactErrors, []);
    assert.equal(existsSync(join(artifactsDir(), exp)), false, readdirSync(artifactsDir()).join(","));
    const gone = await fetch(`${live.url}/api/3.0/mlflow/traces/${traceId}`);
    assert.equal(gone.status, 404);
  });

  test("a run a model version reads from is kept (skipped), and refused when named; deleting the version frees it", async () => {
    const r = await runWithFiles();
    const name = `gc-model-${n++}`;
    await registry.createRegisteredModel(name);
    await registry.createModelVersion(name, `runs:/${r.id}/model`, { runId: r.id });
    await tracking.deleteRun(r.id);

    const all = await admin.gc({});
    assert.ok(!all.runs.some((x) => x.runId === r.id));
    assert.deepEqual(all.skipped.find((s) => s.id === r.id), { kind: "run", id: r.id, reason: `is the source of model version '${name}' version 1` });
    assert.ok(existsSync(join(r.folder, "artifacts", "model", "MLmodel")));
    await rejectsWith(admin.gc({ runIds: [r.id] }), "INVALID_PARAMETER_VALUE", new RegExp(`model version '${name}' version 1`));

    await registry.deleteModelVersion(name, 1);
    const report = await admin.gc({ runIds: [r.id] });
    assert.deepEqual(report.runs.map((x) => x.runId), [r.id]);
    assert.equal(existsSync(r.folder), false);
  });

  test("a source inside the run folder protects it even without run_id; an experiment holding it is skipped whole", async () => {
    const r = await runWithFiles();
    const name = `gc-src-${n++}`;
    await registry.createRegisteredModel(name);
    await registry.createModelVersion(name, `mlflow-artifacts:/${r.exp}/${r.id}/artifacts/model`);
    await tracking.deleteExperiment(r.exp);
    const report = await admin.gc({});
    assert.ok(!report.experiments.some((e) => e.experimentId === r.exp));
    const skipped = report.skipped.find((s) => s.id === r.exp);
    assert.equal(skipped?.kind, "experiment");
    assert.match(skipped!.reason, new RegExp(`run ${r.id} is the source of model version '${name}'`));
    assert.equal((await tracking.getExperiment(r.exp)).lifecycleStage, "deleted");
    assert.ok(existsSync(r.folder));
  });

  test("--older-than: recent deletions are left; named ones are refused with the reason", async () => {
    const r = await runWithFiles();
    await tracking.deleteRun(r.id);
    const report = await admin.gc({ olderThanMs: 3_600_000 });
    assert.ok(!report.runs.some((x) => x.runId === r.id));
    await rejectsWith(admin.gc({ runIds: [r.id], olderThanMs: 3_600_000 }), "INVALID_PARAMETER_VALUE", /deleted too recently/);
    assert.equal((await tracking.getRun(r.id)).info.lifecycleStage, "deleted");
    assert.deepEqual((await admin.gc({ runIds: [r.id], olderThanMs: 0 })).runs.map((x) => x.runId), [r.id]);
  });

  test("named ids: active is refused, unknown is RESOURCE_DOES_NOT_EXIST (404), nothing purged", async () => {
    const active = await runWithFiles();
    const gone = await runWithFiles(active.exp);
    await tracking.deleteRun(gone.id);
    await rejectsWith(admin.gc({ runIds: [gone.id, active.id] }), "INVALID_PARAMETER_VALUE", /not in the 'deleted' lifecycle stage/);
    await rejectsWith(admin.gc({ experimentIds: [active.exp] }), "INVALID_PARAMETER_VALUE", /Experiment .* is not in the 'deleted'/);
    await rejectsWith(admin.gc({ experimentIds: ["99999"] }), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(admin.gc({ loggedModelIds: ["m-00000000000000000000000000000000"] }), "RESOURCE_DOES_NOT_EXIST");
    const res = await fetch(`${live.url}/api/ciclo/v1/gc`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ run_ids: ["nope"] }) });
    assert.equal(res.status, 404);
    assert.equal((await tracking.getRun(gone.id)).info.lifecycleStage, "deleted");
    assert.ok(existsSync(gone.folder));
  });

  test("bad bodies are 400 INVALID_PARAMETER_VALUE", async () => {
    for (const body of [{ older_than_ms: -1 }, { run_ids: "abc" }, { dry_run: "yes" }]) {
      const res = await fetch(`${live.url}/api/ciclo/v1/gc`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(((await res.json()) as { error_code: string }).error_code, "INVALID_PARAMETER_VALUE");
    }
  });

  test("a direct (file:) root: the run folder goes, the experiment's shared root and its other files stay", async () => {
    const shared = join(live.dir, "shared-root");
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, "keep.txt"), "k");
    const exp = await tracking.createExperiment(`gc-direct-${n++}`, { artifactLocation: shared });
    const run = await tracking.createRun({ experimentId: exp });
    await artifacts.logText(run.info.runId, "x", "a/b.txt");
    assert.ok(existsSync(join(shared, run.info.runId, "artifacts", "a", "b.txt")));
    await tracking.deleteRun(run.info.runId);
    const report = await admin.gc({ runIds: [run.info.runId] });
    assert.deepEqual(report.runs.map((r) => r.runId), [run.info.runId]);
    assert.deepEqual(report.artifactErrors, []);
    assert.equal(existsSync(join(shared, run.info.runId)), false);
    assert.ok(existsSync(join(shared, "keep.txt")));
    await tracking.deleteExperiment(exp);
    await admin.gc({ experimentIds: [exp] });
    assert.ok(existsSync(join(shared, "keep.txt")), "a location not named after the experiment id is never removed");
  });
});
