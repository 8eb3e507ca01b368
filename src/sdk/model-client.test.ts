/**
 * logModel / loadModel through a real server: the package lands in the run's
 * artifacts, the run's model history tag lists it, the version is registered,
 * and every URI form loads the same model back.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { ArtifactClient } from "./artifact-client.js";
import { loadModel, logModel, type ModelInfo } from "./model-client.js";

const FIXTURES = new URL("../models/fixtures/", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Record<string, { X: number[][]; variable: number[] }>;

describe("SDK logModel / loadModel", () => {
  let live: LiveTrackingServer;
  let client: ArtifactClient;
  let runId: string;
  let info: ModelInfo;
  const rows = expected["linear-regressor"].X.map(([a, b, c]) => ({ a, b, c }));
  const want = expected["linear-regressor"].variable;

  before(async () => {
    live = await startLiveTrackingServer();
    client = new ArtifactClient({ trackingUri: live.url, env: {} });
    const exp = await client.tracking.createExperiment("models-sdk");
    runId = (await client.tracking.createRun({ experimentId: exp })).info.runId;
    info = await logModel({ runId }, "model", join(FIXTURES, "linear-regressor.onnx"), {
      client,
      inputExample: rows.slice(0, 2),
      registeredModelName: "linreg",
      metadata: { team: "ml" },
    });
  });
  after(async () => {
    await live?.close();
  });

  const check = (pred: unknown) => {
    const got = (pred as Array<{ variable: number }>).map((r) => r.variable);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `${v} vs ${want[i]}`));
  };

  it("uploads the MLflow layout under the run's artifact path and returns ModelInfo", async () => {
    assert.equal(info.modelUri, `runs:/${runId}/model`);
    assert.equal(info.signature?.inputs?.kind, "columns");
    const files = (await client.listArtifacts(runId, "model")).map((f) => f.path).sort();
    for (const f of ["MLmodel", "model.onnx", "conda.yaml", "python_env.yaml", "requirements.txt", "input_example.json", "serving_input_example.json"]) {
      assert.ok(files.includes(`model/${f}`), `${f} in ${files.join(", ")}`);
    }
    assert.equal(info.mlmodel.run_id, runId);
    assert.equal(info.mlmodel.artifact_path, "model");
  });

  it("records the model in the run's mlflow.log-model.history tag", async () => {
    const run = await client.tracking.getRun(runId);
    const tag = run.data.tags.find((t) => t.key === "mlflow.log-model.history");
    const history = JSON.parse(tag!.value) as Array<Record<string, unknown>>;
    assert.equal(history.length, 1);
    assert.equal(history[0].artifact_path, "model");
    assert.equal(history[0].model_uuid, info.modelUuid);
  });

  it("registers a READY version whose source is the run's model", () => {
    const v = info.registeredModelVersion!;
    assert.equal(v.name, "linreg");
    assert.equal(v.version, "1");
    assert.equal(v.status, "READY");
    assert.equal(v.runId, runId);
  });

  it("loads back from runs:/, models:/name/1, models:/name@alias, the download URI and a local folder", async () => {
    await client.registry.setRegisteredModelAlias("linreg", "champion", "1");
    const downloadUri = await client.registry.getModelVersionDownloadUri("linreg", "1");
    const uris = [`runs:/${runId}/model`, "models:/linreg/1", "models:/linreg@champion", "models:/linreg/latest", downloadUri];
    let folder = "";
    for (const uri of uris) {
      const m = await loadModel(uri, { client });
      try {
        check(await m.predict(rows));
        folder = m.path;
      } finally {
        await m.close();
      }
      assert.equal(existsSync(folder), false, `temp copy of ${uri} removed on close`);
    }
    const tmp = tempDir("ciclo-local-model-");
    try {
      const path = await client.downloadArtifacts(`runs:/${runId}/model`, tmp.path);
      const m = await loadModel(path);
      check(await m.predict({ dataframe_split: { columns: ["a", "b", "c"], data: expected["linear-regressor"].X } }));
      await m.close();
      assert.ok(existsSync(path), "a local folder is left alone");
    } finally {
      tmp.remove();
    }
  });

  it("a missing model is the registry's error, and nothing is left behind", async () => {
    await assert.rejects(loadModel("models:/nope/1", { client }), /RESOURCE_DOES_NOT_EXIST|not found/i);
  });
});
