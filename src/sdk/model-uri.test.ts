/**
 * The SDK's URI resolution: `runs:/` parsing, splitting root URIs, and
 * downloads of `runs:/`, `models:/<name>/<version>`, `@alias`, `/latest`,
 * `/<stage>`, `models:/<model_id>` (an MLflow 3.x logged model) and
 * `mlflow-artifacts:/` URIs from a live server.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { Ciclo } from "./fluent-session.js";
import { parseRunsUri, splitArtifactUri } from "./model-uri.js";

describe("runs:/ and root URIs", () => {
  test("parseRunsUri reads the run and the path, and refuses traversal", () => {
    assert.deepEqual(parseRunsUri("runs:/abc123/model"), { runId: "abc123", path: "model" });
    assert.deepEqual(parseRunsUri("runs:/abc123/model/sub/file.bin"), { runId: "abc123", path: "model/sub/file.bin" });
    assert.deepEqual(parseRunsUri("runs:/abc123"), { runId: "abc123", path: "" });
    assert.deepEqual(parseRunsUri("runs:///abc123/m"), { runId: "abc123", path: "m" });
    assert.throws(() => parseRunsUri("runs:/abc/../../etc"), /Invalid path/);
    assert.throws(() => parseRunsUri("runs:/"), InvalidParameterValueError);
  });

  test("splitArtifactUri splits off the last segment; bare roots stay whole", () => {
    assert.deepEqual(splitArtifactUri("mlflow-artifacts:/1/r/artifacts/model"), { parent: "mlflow-artifacts:/1/r/artifacts", name: "model" });
    assert.deepEqual(splitArtifactUri("mlflow-artifacts:/1/r/artifacts/model/"), { parent: "mlflow-artifacts:/1/r/artifacts", name: "model" });
    assert.deepEqual(splitArtifactUri("s3://bucket/a/b.bin"), { parent: "s3://bucket/a", name: "b.bin" });
    assert.deepEqual(splitArtifactUri("s3://bucket"), { parent: "s3://bucket", name: "" });
    assert.deepEqual(splitArtifactUri("file:///srv/x/y"), { parent: "file:///srv/x", name: "y" });
    assert.deepEqual(splitArtifactUri("/srv/x"), { parent: "/srv", name: "x" });
    assert.deepEqual(splitArtifactUri("mlflow-artifacts:/"), { parent: "mlflow-artifacts:/", name: "" });
  });
});

describe("downloads by URI", () => {
  let live: LiveTrackingServer;
  let c: Ciclo;
  const work = tempDir("ciclo-sdk-uris-");
  const runs: string[] = [];
  let n = 0;
  /** Downloads `uri` and returns what each file holds, by path relative to what the download returned. */
  const fetchAll = async (uri: string): Promise<Record<string, string>> => {
    const dest = await c.downloadArtifacts(uri, join(work.path, `dl-${n++}`));
    const out: Record<string, string> = {};
    const walk = (rel: string): void => {
      for (const e of readdirSync(join(dest, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(p);
        else out[p] = readFileSync(join(dest, p), "utf8");
      }
    };
    if (statSync(dest).isDirectory()) walk("");
    else out[basename(dest)] = readFileSync(dest, "utf8");
    return out;
  };

  before(async () => {
    live = await startLiveTrackingServer();
    c = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: false });
    await c.setExperiment("uris");
    for (const which of ["one", "two"]) {
      const run = await c.startRun({ runName: which });
      await c.logText(`model ${which}\n`, "model/MLmodel");
      await c.logText(which, "model/data/weights.txt");
      await c.endRun();
      runs.push(run.runId);
      await c.registerModel(`runs:/${run.runId}/model`, "iris");
    }
    await c.registry.setRegisteredModelAlias("iris", "champion", "1");
    await c.registry.transitionModelVersionStage("iris", "2", "Production");
  });
  after(async () => {
    await live.close();
    work.remove();
  });

  test("runs:/ URIs and { runId, path } download the named folder", async () => {
    assert.deepEqual(await fetchAll(`runs:/${runs[0]}/model`), { MLmodel: "model one\n", "data/weights.txt": "one" });
    const dest = await c.downloadArtifacts({ runId: runs[1], path: "model/data" }, join(work.path, "spec"));
    assert.equal(dest, join(work.path, "spec", "data"));
    assert.equal(readFileSync(join(dest, "weights.txt"), "utf8"), "two");
  });

  test("models:/ URIs resolve through the registry and download the version's files", async () => {
    const one = { MLmodel: "model one\n", "data/weights.txt": "one" };
    const two = { MLmodel: "model two\n", "data/weights.txt": "two" };
    assert.deepEqual(await fetchAll("models:/iris/1"), one);
    assert.deepEqual(await fetchAll("models:/iris/2"), two);
    assert.deepEqual(await fetchAll("models:/iris@champion"), one);
    assert.deepEqual(await fetchAll("models:/iris/latest"), two);
    assert.deepEqual(await fetchAll("models:/iris/Production"), two);
    assert.deepEqual(await fetchAll("models:/iris/production"), two, "stages are case-insensitive");
    await assert.rejects(fetchAll("models:/iris/Staging"), ResourceDoesNotExistError);
    await assert.rejects(fetchAll("models:/iris@nobody"), InvalidParameterValueError);
    await assert.rejects(fetchAll("models:/iris/a/b"), /Not a proper models:\/ URI/);
  });

  test("models:/<model_id> downloads an MLflow 3.x logged model; mlflow-artifacts:/ URIs download directly", async () => {
    const exp = await c.client.getExperimentByName("uris");
    const res = await c.client.http.post<{ model: { info: { model_id: string; artifact_uri: string } } }>("logged-models", {
      experiment_id: exp.experimentId,
      name: "clf",
      source_run_id: runs[0],
    });
    const { model_id: modelId, artifact_uri: uri } = res.model.info;
    const store = await c.artifacts.openStore(uri);
    await store.upload("MLmodel", { bytes: Buffer.from("logged\n") });
    await store.upload("model.onnx", { bytes: Buffer.from("onnx-bytes") });
    assert.deepEqual(await fetchAll(`models:/${modelId}`), { MLmodel: "logged\n", "model.onnx": "onnx-bytes" });
    await assert.rejects(fetchAll("models:/m-00000000000000000000000000000000"), ResourceDoesNotExistError);
    assert.deepEqual(await fetchAll(`${uri}/model.onnx`), { "model.onnx": "onnx-bytes" });
    const runRoot = (await c.client.getRun(runs[1])).info.artifactUri;
    assert.deepEqual(await fetchAll(`${runRoot}/model/data`), { "weights.txt": "two" });
  });
});
