/**
 * `-m` URIs → a local model folder plus the name/version the server reports:
 * local folders, and models:/ (version, alias), runs:/ and mlflow-artifacts:/
 * URIs downloaded through a live tracking server; temp folders are removed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { linearModel } from "../testing/model-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { resolveModelSource } from "./model-source.js";

const tmp = tempDir("ciclo-model-source-");
let tracking: LiveTrackingServer;
let model: string;
let runId: string;
let artifactUri: string;

before(async () => {
  tracking = await startLiveTrackingServer();
  model = await linearModel(tmp.path, "linear");
  const client = new ArtifactClient({ trackingUri: tracking.url });
  const run = await client.tracking.createRun({ experimentId: "0" });
  runId = run.info.runId;
  artifactUri = run.info.artifactUri;
  assert.match(artifactUri, /^mlflow-artifacts:\//, "the server proxies artifacts");
  await client.logArtifacts(runId, model, "model");
  await client.registry.registerModel(`runs:/${runId}/model`, "fraud");
  await client.registry.setRegisteredModelAlias("fraud", "champion", "1");
});
after(async () => {
  await tracking.close();
  tmp.remove();
});

test("a local folder or file: URI is used in place", async () => {
  for (const uri of [model, pathToFileURL(model).href]) {
    const s = await resolveModelSource(uri);
    assert.equal(s.path, model);
    assert.equal(s.name, "linear");
    assert.equal(s.version, "1");
  }
  await assert.rejects(resolveModelSource(tmp.path), /no MLmodel file/);
  await assert.rejects(resolveModelSource(join(tmp.path, "nope")), /does not exist/);
});

test("models:/, runs:/ and mlflow-artifacts:/ URIs are downloaded, named, and cleaned up", async () => {
  const cases: Array<[string, string, string]> = [
    ["models:/fraud/1", "fraud", "1"],
    ["models:/fraud@champion", "fraud", "1"],
    [`runs:/${runId}/model`, "model", runId],
    [`${artifactUri}/model`, "model", "1"],
  ];
  for (const [uri, name, version] of cases) {
    const s = await resolveModelSource(uri, { trackingUri: tracking.url });
    assert.ok(existsSync(join(s.path, "MLmodel")), uri);
    assert.ok(existsSync(join(s.path, "model.onnx")), uri);
    assert.equal(s.name, name, uri);
    assert.equal(s.version, version, uri);
    await s.cleanup();
    assert.equal(existsSync(s.path), false, `${uri}: temp folder removed`);
  }
  await assert.rejects(resolveModelSource("models:/fraud/7", { trackingUri: tracking.url }), /not found|does not exist|RESOURCE_DOES_NOT_EXIST/i);
});
