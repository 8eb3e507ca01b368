/**
 * HTTP tests of ciclo's registry API beyond MLflow: the audit history after a
 * sequence of changes (who, when, from → to, newest first, paged) and the
 * lineage of a model version (run, experiment, params, metrics, code
 * version, datasets, files).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestApp, type TestApp, assertEmptyOk, assertError } from "../../testing/test-app.js";

const CICLO = "/api/ciclo/v1";
const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:secret`).toString("base64")}` });

describe("registry history and lineage", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => {
    await fx.close();
  });

  test("history records each change with who, when and from → to, newest first", async () => {
    const { runId } = await fx.createRunInfo();
    const as = (user: string) => ({ headers: basic(user) });
    const started = Date.now();
    assert.equal((await fx.call("POST", "/registered-models/create", { name: "audited" }, as("alice"))).status, 200);
    await fx.call("POST", "/model-versions/create", { name: "audited", source: `runs:/${runId}/model` }, as("alice"));
    await fx.call("POST", "/model-versions/create", { name: "audited", source: `runs:/${runId}/model` }, as("alice"));
    assertEmptyOk(await fx.call("POST", "/registered-models/alias", { name: "audited", alias: "champion", version: "1" }, as("bob")));
    assertEmptyOk(await fx.call("POST", "/registered-models/alias", { name: "audited", alias: "champion", version: "2" }, as("bob")));
    await fx.call("POST", "/model-versions/transition-stage", { name: "audited", version: "1", stage: "Production" }, as("carol"));
    await fx.call("POST", "/model-versions/transition-stage", { name: "audited", version: "2", stage: "Production", archive_existing_versions: true }, as("carol"));
    await fx.call("PATCH", "/registered-models/update", { name: "audited", description: "fraud model" }, as("dave"));
    await fx.call("PATCH", "/model-versions/update", { name: "audited", version: "2", description: "retrained" }, as("dave"));
    await fx.call("POST", "/model-versions/set-tag", { name: "audited", version: "2", key: "validated", value: "yes" }, as("erin"));
    await fx.call("DELETE", "/model-versions/delete-tag", { name: "audited", version: "2", key: "validated" }, as("erin"));
    await fx.call("POST", "/registered-models/rename", { name: "audited", new_name: "fraud" }, as("frank"));
    await fx.call("DELETE", "/registered-models/alias", { name: "fraud", alias: "champion" });

    const r = await fx.call("GET", "/registered-models/history", { name: "fraud" }, { prefix: CICLO });
    assert.equal(r.status, 200, r.text);
    const events = r.json.events as Array<Record<string, string | number | null>>;
    const summary = events.map((e) => [e.actor, e.name, e.entity, e.action, e.version, e.key, e.from, e.to]);
    assert.deepEqual(summary, [
      [null, "fraud", "registered_model_alias", "deleted", "2", "champion", "2", null],
      ["frank", "fraud", "registered_model", "renamed", null, "name", "audited", "fraud"],
      ["erin", "audited", "model_version_tag", "deleted", "2", "validated", "yes", null],
      ["erin", "audited", "model_version_tag", "set", "2", "validated", null, "yes"],
      ["dave", "audited", "model_version", "updated", "2", "description", null, "retrained"],
      ["dave", "audited", "registered_model", "updated", null, "description", null, "fraud model"],
      // One transaction: the transition is recorded before the archiving it caused.
      ["carol", "audited", "model_version", "transitioned", "1", "current_stage", "Production", "Archived"],
      ["carol", "audited", "model_version", "transitioned", "2", "current_stage", "None", "Production"],
      ["carol", "audited", "model_version", "transitioned", "1", "current_stage", "None", "Production"],
      ["bob", "audited", "registered_model_alias", "set", "2", "champion", "1", "2"],
      ["bob", "audited", "registered_model_alias", "set", "1", "champion", null, "1"],
      ["alice", "audited", "model_version", "created", "2", "source", null, `runs:/${runId}/model`],
      ["alice", "audited", "model_version", "created", "1", "source", null, `runs:/${runId}/model`],
      ["alice", "audited", "registered_model", "created", null, null, null, "audited"],
    ]);
    for (const e of events) {
      assert.equal(typeof e.event_id, "string");
      assert.ok((e.timestamp as number) >= started && (e.timestamp as number) <= Date.now());
    }

    const page1 = await fx.call("GET", "/registered-models/history", { name: "fraud", max_results: 5 }, { prefix: CICLO });
    assert.equal(page1.json.events.length, 5);
    const page2 = await fx.call("GET", "/registered-models/history", { name: "fraud", max_results: 100, page_token: page1.json.next_page_token }, { prefix: CICLO });
    assert.deepEqual([...page1.json.events, ...page2.json.events], events);
    assert.equal(page2.json.next_page_token, undefined);

    // The history outlives the model.
    assertEmptyOk(await fx.call("DELETE", "/registered-models/delete", { name: "fraud" }, as("grace")));
    const afterDelete = (await fx.call("GET", "/registered-models/history", { name: "fraud" }, { prefix: CICLO })).json.events;
    assert.deepEqual([afterDelete[0].actor, afterDelete[0].action, afterDelete[0].entity], ["grace", "deleted", "registered_model"]);
    assert.equal(afterDelete.length, events.length + 1);
  });

  test("history: unknown names are 404, bad paging is 400", async () => {
    assertError(await fx.call("GET", "/registered-models/history", { name: "never" }, { prefix: CICLO }), 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=never not found");
    assertError(await fx.call("GET", "/registered-models/history", {}, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
    await fx.call("POST", "/registered-models/create", { name: "paged" });
    assertError(await fx.call("GET", "/registered-models/history", { name: "paged", max_results: 0 }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("GET", "/registered-models/history", { name: "paged", page_token: "xyz" }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
  });

  test("lineage returns the version's run, experiment, params, metrics, code version, datasets and files", async () => {
    const exp = await fx.createExperiment("lineage-exp");
    const { runId, artifactUri } = await fx.createRunInfo(exp, {
      run_name: "train-7",
      tags: [
        { key: "mlflow.source.git.commit", value: "0a1b2c3d" },
        { key: "mlflow.source.name", value: "train.py" },
        { key: "mlflow.source.type", value: "LOCAL" },
        { key: "mlflow.source.git.repoURL", value: "https://git.example.com/fraud.git" },
      ],
    });
    await fx.call("POST", "/runs/log-batch", {
      run_id: runId,
      params: [{ key: "lr", value: "0.01" }],
      metrics: [{ key: "auc", value: 0.91, timestamp: 1_700_000_000_000, step: 3 }],
    });
    await fx.call("POST", "/runs/log-inputs", {
      run_id: runId,
      datasets: [
        {
          dataset: { name: "transactions", digest: "d1g3st", source_type: "s3", source: '{"uri": "s3://data/tx.parquet"}' },
          tags: [{ key: "mlflow.data.context", value: "training" }],
        },
      ],
    });
    fx.putArtifact(`${exp}/${runId}/artifacts/model/MLmodel`, "flavors: {}\n");
    fx.putArtifact(`${exp}/${runId}/artifacts/model/data/model.onnx`, "onnx!");
    await fx.call("POST", "/registered-models/create", { name: "lineage" });
    await fx.call("POST", "/model-versions/create", { name: "lineage", source: `${artifactUri}/model`, run_id: runId });

    const r = await fx.call("GET", "/model-versions/lineage", { name: "lineage", version: "1" }, { prefix: CICLO });
    assert.equal(r.status, 200, r.text);
    const l = r.json;
    assert.equal(l.model_version.version, "1");
    assert.equal(l.download_uri, `${artifactUri}/model`);
    assert.equal(l.run.run_id, runId);
    assert.equal(l.run.run_name, "train-7");
    assert.deepEqual(l.experiment, { experiment_id: exp, name: "lineage-exp", artifact_location: `mlflow-artifacts:/${exp}` });
    assert.deepEqual(l.params, [{ key: "lr", value: "0.01" }]);
    assert.deepEqual(l.metrics, [{ key: "auc", value: 0.91, timestamp: 1_700_000_000_000, step: 3 }]);
    assert.deepEqual(l.code, {
      git_commit: "0a1b2c3d",
      git_repo_url: "https://git.example.com/fraud.git",
      source_name: "train.py",
      source_type: "LOCAL",
    });
    assert.deepEqual(l.datasets, [{ name: "transactions", digest: "d1g3st", source_type: "s3", source: '{"uri": "s3://data/tx.parquet"}', context: "training" }]);
    assert.deepEqual(l.artifacts, [
      { path: "MLmodel", is_dir: false, file_size: 12 },
      { path: "data", is_dir: true },
      { path: "data/model.onnx", is_dir: false, file_size: 5 },
    ]);
    assert.equal(l.artifacts_truncated, false);
    assert.deepEqual(l.warnings, []);
  });

  test("lineage of a version without a run, and of unknown versions", async () => {
    await fx.call("POST", "/registered-models/create", { name: "no-run" });
    await fx.call("POST", "/model-versions/create", { name: "no-run", source: "mlflow-artifacts:/0/loose/model" });
    const l = (await fx.call("GET", "/model-versions/lineage", { name: "no-run", version: 1 }, { prefix: CICLO })).json;
    assert.equal(l.run, undefined);
    assert.deepEqual([l.params, l.metrics, l.datasets, l.artifacts], [[], [], [], []]);
    assertError(await fx.call("GET", "/model-versions/lineage", { name: "no-run", version: "2" }, { prefix: CICLO }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("GET", "/model-versions/lineage", { name: "no-run", version: "two" }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
  });
});
