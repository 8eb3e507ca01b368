/**
 * TensorFlow.js autolog against a live server: a tiny model trained in the
 * test (pure-JS tfjs, cpu backend), then its params, metric histories and
 * `model/` artifact read back — and the model loaded from the downloaded files.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { ArtifactClient } from "./artifact-client.js";
import { Ciclo } from "./fluent-session.js";
import type { LoggingError } from "./logging-errors.js";
import { TrackingClient } from "./tracking-client.js";
import { autolog, type AutologHandle } from "./tfjs-autolog.js";

const byKey = (entries: Array<{ key: string; value: string }>) => Object.fromEntries(entries.map((e) => [e.key, e.value]));

/** y = x·[1,2,3] + 0.5, 32 rows, fixed values (no RNG). */
function data(): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const rows = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 5) / 5]);
  return { xs: tf.tensor2d(rows), ys: tf.tensor2d(rows.map((r) => [r[0] + 2 * r[1] + 3 * r[2] + 0.5])) };
}

function tinyModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 4, inputShape: [3], activation: "relu", kernelInitializer: "ones" }));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: "ones" }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError", metrics: ["mse"] });
  return model;
}

describe("tfjs autolog", () => {
  let live: LiveTrackingServer;
  let client: TrackingClient;
  let ciclo: Ciclo;
  let handle: AutologHandle;
  const errors: LoggingError[] = [];
  const downloads = tempDir("ciclo-tfjs-dl-");

  before(async () => {
    await tf.setBackend("cpu");
    live = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: live.url, env: {} });
    ciclo = new Ciclo({ trackingUri: live.url, env: { LOGNAME: "tester" }, contextCapture: false, onError: (e) => errors.push(e) });
    await ciclo.setExperiment("tfjs");
    handle = autolog({ tf, ciclo, onError: (e) => errors.push(e) });
  });
  after(async () => {
    handle.restore();
    await live.close();
    downloads.remove();
  });

  test("fit without an active run: a run with params, per-epoch metrics, model/ and the summary", async () => {
    const { xs, ys } = data();
    const model = tinyModel();
    const history = await model.fit(xs, ys, { epochs: 3, batchSize: 8, validationSplit: 0.25, shuffle: false, verbose: 0 });
    assert.equal(ciclo.activeRun(), undefined, "autolog ends the run it started");
    const runs = await client.searchAllRuns({ experimentIds: [(await client.getExperimentByName("tfjs")).experimentId] });
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.equal(run.info.status, "FINISHED");
    assert.deepEqual(
      byKey(run.data.params),
      {
        epochs: "3",
        initial_epoch: "0",
        batch_size: "8",
        validation_split: "0.25",
        shuffle: "false",
        optimizer_name: "Adam",
        opt_learning_rate: "0.01",
        opt_beta1: "0.9",
        opt_beta2: "0.999",
        opt_epsilon: String(1e-7),
        loss: "meanSquaredError",
        metrics: "mse",
        layers: "Dense[4,relu] → Dense[1]",
        num_layers: "2",
        total_params: "21",
        trainable_params: "21",
      },
    );
    for (const key of ["loss", "mse", "val_loss", "val_mse"]) {
      const points = await client.getAllMetricHistory(run.info.runId, key);
      assert.deepEqual(points.map((p) => p.step), [0, 1, 2], key);
      assert.deepEqual(points.map((p) => p.value), history.history[key], key);
    }

    const artifacts = new ArtifactClient(client);
    assert.deepEqual((await artifacts.listArtifacts(run.info.runId, "model")).map((f) => f.path).sort(), ["model/model.json", "model/weights.bin"]);
    const dir = await artifacts.downloadArtifacts({ runId: run.info.runId }, join(downloads.path, "a"));
    assert.match(readFileSync(join(dir, "model_summary.txt"), "utf8"), /Total params: 21/);
    const loaded = await loadFromFiles(join(dir, "model"));
    const probe = tf.tensor2d([[0.1, 0.2, 0.3], [1, -1, 0.5]]);
    assert.deepEqual(Array.from(await (loaded.predict(probe) as tf.Tensor).data()), Array.from(await (model.predict(probe) as tf.Tensor).data()));
    assert.deepEqual(errors, []);
  });

  test("fitDataset inside an active run logs into it, keeps the user's callbacks, leaves the run open", async () => {
    const { xs, ys } = data();
    const model = tinyModel();
    const run = await ciclo.startRun({ runName: "outer" });
    const seen: string[] = [];
    const dataset = tf.data.zip({ xs: tf.data.array(xs.arraySync()), ys: tf.data.array(ys.arraySync()) }).batch(8) as unknown as tf.data.Dataset<tf.TensorContainer>;
    await model.fitDataset(dataset, { epochs: 2, callbacks: { onEpochEnd: async (e) => void seen.push(`cfg${e}`) } });
    await model.fitDataset(dataset, { epochs: 3, initialEpoch: 2, callbacks: [new tf.CustomCallback({ onEpochEnd: async (e) => void seen.push(`obj${e}`) })] });
    assert.deepEqual(seen, ["cfg0", "cfg1", "obj2"]);
    assert.equal(ciclo.activeRun(), run);
    await ciclo.flush();
    assert.equal((await client.getRun(run.runId)).info.status, "RUNNING");
    const loss = await client.getAllMetricHistory(run.runId, "loss");
    assert.deepEqual(loss.map((p) => p.step), [0, 1, 2]);
    const params = byKey((await client.getRun(run.runId)).data.params);
    assert.equal(params.epochs, "2", "params are write-once: the second fit's epochs=3 is reported, not stored");
    assert.equal(params.batches_per_epoch, undefined);
    assert.ok(errors.some((e) => e.kind === "param-changed"));
    errors.length = 0;
    await ciclo.endRun();
  });

  test("a fit that throws ends the run it started FAILED and rethrows", async () => {
    const model = tinyModel();
    await assert.rejects(model.fit(tf.zeros([4, 5]), tf.zeros([4, 1]), { epochs: 1 }), /each example has shape \[3\]/);
    assert.equal(ciclo.activeRun(), undefined);
    const runs = await client.searchAllRuns({ experimentIds: [(await client.getExperimentByName("tfjs")).experimentId], filter: "attributes.status = 'FAILED'" });
    assert.equal(runs.length, 1);
  });

  test("autolog twice wraps once; disable restores plain fit", async () => {
    const fitBefore = tf.LayersModel.prototype.fit;
    autolog({ tf, ciclo, logModels: false, onError: (e) => errors.push(e) });
    assert.equal(tf.LayersModel.prototype.fit, fitBefore);
    const expId = (await client.getExperimentByName("tfjs")).experimentId;
    const count = async () => (await client.searchAllRuns({ experimentIds: [expId] })).length;
    const n0 = await count();
    const { xs, ys } = data();
    await tinyModel().fit(xs, ys, { epochs: 1, verbose: 0 });
    assert.equal(await count(), n0 + 1);
    const latest = (await client.searchAllRuns({ experimentIds: [expId], orderBy: ["attributes.start_time DESC"] }))[0];
    assert.deepEqual(await new ArtifactClient(client).listArtifacts(latest.info.runId, "model"), [], "logModels: false");
    autolog({ tf, disable: true });
    assert.notEqual(tf.LayersModel.prototype.fit, fitBefore);
    await tinyModel().fit(xs, ys, { epochs: 1, verbose: 0 });
    assert.equal(await count(), n0 + 1);
    handle = autolog({ tf, ciclo, onError: (e) => errors.push(e) });
  });
});

/** tf.loadLayersModel over the files autolog wrote (what tfjs-node's file:// loader reads). */
async function loadFromFiles(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const bytes = readFileSync(join(dir, manifest[0].paths[0]));
    return [manifest.flatMap((g) => g.weights), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
