/**
 * Request/response logging: records reach a JSON-lines file with the bodies
 * embedded as JSON; the buffer is bounded (drops are counted, never block);
 * the tracking sink writes parts as a run's artifacts plus per-flush metrics
 * on a real tracking server.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { slowModel } from "../../testing/model-fixtures.js";
import { startScoringKit } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";
import { BufferedInferenceLog, fileLogSink, trackingLogSink, type InferenceLogSink } from "./inference-log.js";

const tmp = tempDir("ciclo-inference-log-");
let model: string;
let tracking: LiveTrackingServer;
before(async () => {
  model = await slowModel(tmp.path);
  tracking = await startLiveTrackingServer();
});
after(async () => {
  await tracking.close();
  tmp.remove();
});

test("served requests are logged to a JSON-lines file, bodies as JSON, errors included", async () => {
  const file = join(tmp.path, "requests.jsonl");
  const log = new BufferedInferenceLog(fileLogSink(file), { name: "slow", version: "1" }, { flushIntervalMs: 60_000 });
  const kit = await startScoringKit(model, { name: "slow", inferenceLog: log });
  try {
    const post = (payload: string, ct = "application/json") => kit.app.inject({ method: "POST", url: "/invocations", headers: { "content-type": ct }, payload });
    await post(JSON.stringify({ dataframe_records: [{ x: 1 }, { x: 2 }] }));
    await post("x\n3\n", "text/csv");
    await post(JSON.stringify({ dataframe_records: [{ z: 1 }] }));
    await kit.app.inject({ method: "POST", url: "/v2/models/slow/infer", payload: JSON.stringify({ inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [4] }] }) });
    await log.close();
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0].request, { dataframe_records: [{ x: 1 }, { x: 2 }] });
    assert.deepEqual(lines[0].response, { predictions: [2, 4] });
    assert.equal(lines[0].rows, 2);
    assert.equal(lines[0].model, "slow");
    assert.equal(lines[0].status, 200);
    assert.ok(typeof lines[0].latency_ms === "number" && typeof lines[0].ts === "number");
    assert.equal(lines[1].request, "x\n3\n");
    assert.equal(lines[2].status, 400);
    assert.equal(lines[2].response.error_code, "BAD_REQUEST");
    assert.equal(lines[3].protocol, "v2");
    assert.deepEqual(lines[3].response.outputs[0].data, [8]);
  } finally {
    await kit.close();
  }
});

test("the buffer is bounded: past it records are dropped and counted; a failing sink never throws", async () => {
  const written: string[] = [];
  const failing: InferenceLogSink = { write: async (lines) => void written.push(lines), close: async () => undefined };
  const log = new BufferedInferenceLog(failing, { name: "m", version: "1" }, { maxBuffered: 3, flushIntervalMs: 60_000 });
  for (let i = 0; i < 5; i++) log.record({ protocol: "mlflow", status: 200, latencyMs: 1, rows: 1, request: "{}", response: "{}" });
  assert.equal(log.dropped, 2);
  await log.flush();
  assert.equal(written[0].trimEnd().split("\n").length, 3);
  const broken = new BufferedInferenceLog({ write: () => Promise.reject(new Error("disk full")), close: async () => undefined }, { name: "m", version: "1" }, { flushIntervalMs: 60_000 });
  broken.record({ protocol: "mlflow", status: 200, latencyMs: 1, rows: 1, request: "{}", response: "{}" });
  await broken.close();
  assert.equal(broken.dropped, 1);
});

test("tracking sink: a run in experiment serving/<model> with JSONL parts and request metrics", async () => {
  const sink = trackingLogSink({ trackingUri: tracking.url, modelName: "fraud", modelVersion: "3", modelUri: "models:/fraud/3" });
  const log = new BufferedInferenceLog(sink, { name: "fraud", version: "3" }, { flushIntervalMs: 60_000 });
  log.record({ protocol: "mlflow", status: 200, latencyMs: 2, rows: 1, request: '{"inputs":[[1]]}', response: '{"predictions":[1]}' });
  log.record({ protocol: "mlflow", status: 400, latencyMs: 4, rows: 0, request: "{}", response: '{"error_code":"BAD_REQUEST"}' });
  await log.flush();
  log.record({ protocol: "v2", status: 200, latencyMs: 1, rows: 1, request: "{}", response: "{}" });
  await log.close();
  const client = new ArtifactClient({ trackingUri: tracking.url });
  const exp = await client.tracking.getExperimentByName("serving/fraud");
  const runs = await client.tracking.searchAllRuns({ experimentIds: [exp.experimentId] });
  assert.equal(runs.length, 1);
  const run = runs[0];
  assert.equal(run.info.status, "FINISHED");
  const files = (await client.listArtifacts(run.info.runId, "inference-logs")).map((f) => f.path);
  assert.deepEqual(files, ["inference-logs/part-000000.jsonl", "inference-logs/part-000001.jsonl"]);
  const errors = await client.tracking.getAllMetricHistory(run.info.runId, "errors");
  assert.deepEqual(errors.map((m) => [m.step, m.value]), [[0, 1], [1, 0]]);
});
