/**
 * Request/response logging: records reach a JSON-lines file with the bodies
 * embedded as JSON; the buffer is bounded (drops are counted, never block);
 * the monitoring sink sends them to a real server, which files them as
 * Parquet segments with the request ids the scoring server answered.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { slowModel } from "../../testing/model-fixtures.js";
import { metricValue, startScoringKit } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";
import { ScoringMetrics } from "./scoring-metrics.js";
import { BufferedInferenceLog, fileLogSink, monitoringLogSink, type InferenceLogSink } from "./inference-log.js";

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
  // What a scrape of the scoring server's /metrics reads: the log's losses as they stand.
  const metrics = new ScoringMetrics("m", "1", { defaultMetrics: false });
  metrics.watchInferenceLog(log);
  assert.equal(metricValue(await metrics.render(), "ciclo_serving_inference_log_dropped_total", { model: "m", version: "1" }), 2);
  for (let i = 0; i < 4; i++) log.record({ protocol: "mlflow", status: 200, latencyMs: 1, rows: 1, request: "{}", response: "{}" });
  assert.equal(metricValue(await metrics.render(), "ciclo_serving_inference_log_dropped_total", { model: "m", version: "1" }), 3);
});

test("monitoring sink: sampled records reach the server's inference store as Parquet segments, with request ids", async () => {
  const log = new BufferedInferenceLog(monitoringLogSink({ trackingUri: tracking.url }), { name: "slow", version: "3" }, { flushIntervalMs: 60_000, endpoint: "fraud-api", deployment: "blue" });
  const kit = await startScoringKit(model, { name: "slow", version: "3", inferenceLog: log });
  try {
    const post = (payload: string, headers: Record<string, string> = {}) =>
      kit.app.inject({ method: "POST", url: "/invocations", headers: { "content-type": "application/json", ...headers }, payload });
    const given = await post(JSON.stringify({ dataframe_records: [{ x: 1 }, { x: 2 }] }), { "x-request-id": "order-17" });
    assert.equal(given.headers["x-request-id"], "order-17");
    const made = await post(JSON.stringify({ dataframe_split: { columns: ["x"], data: [[5]] } }));
    const madeId = String(made.headers["x-request-id"]);
    assert.match(madeId, /^[0-9a-f-]{36}$/);
    await post(JSON.stringify({ dataframe_records: [{ z: 1 }] }));
    await log.close();
    const api = `${tracking.url}/api/ciclo/v1/monitoring`;
    const flushed = (await (await fetch(`${api}/inference/flush`, { method: "POST" })).json()) as { segments: Array<Record<string, unknown>> };
    assert.equal(flushed.segments.length, 1);
    const seg = flushed.segments[0];
    assert.deepEqual([seg.model_name, seg.model_version, seg.endpoint, seg.deployment, seg.requests, seg.errors, seg.rows], ["slow", "3", "fraud-api", "blue", 3, 1, 4]);
    const listed = (await (await fetch(`${api}/segments?endpoint=fraud-api`)).json()) as { segments: unknown[] };
    assert.equal(listed.segments.length, 1);
    const { decodeSegment } = await import("../../monitoring/inference/segment-codec.js");
    const rows = await decodeSegment(new Uint8Array(readFileSync(join(tracking.dir, "artifacts", String(seg.path)))));
    assert.deepEqual(rows.map((r) => [r.__request_id, r.__row, r.x, r.prediction, r.__status]), [
      ["order-17", 0, 1, 2, 200],
      ["order-17", 1, 2, 4, 200],
      [madeId, 0, 5, 10, 200],
      [rows[3].__request_id, 0, null, null, 400],
    ]);
  } finally {
    await kit.close();
  }
});

test("sampling keeps the configured share of requests", () => {
  const kept: string[] = [];
  let i = 0;
  const seq = [0.05, 0.5, 0.09, 0.99, 0.1];
  const log = new BufferedInferenceLog({ write: async (l) => void kept.push(l), close: async () => undefined }, { name: "m", version: "1" }, { flushIntervalMs: 60_000, sampleRate: 0.1, random: () => seq[i++] });
  for (let k = 0; k < seq.length; k++) log.record({ protocol: "mlflow", status: 200, latencyMs: 1, rows: 1, request: "{}", response: "{}", requestId: `r${k}` });
  return log.close().then(() => {
    const lines = kept.join("").trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.request_id, l.sample_rate]), [["r0", 0.1], ["r2", 0.1]]);
  });
});

test("the timer sends each batch to the sink as JSON lines with its summary; close() writes the rest, then closes the sink", async (t) => {
  // One write at a time and a timer that fires during a write are the flusher's (shared/node/buffered-flusher.test.ts).
  t.mock.timers.enable({ apis: ["setInterval"] });
  const events: string[] = [];
  const sink: InferenceLogSink = {
    write: async (lines, summary) => void events.push(`write ${lines.trimEnd().split("\n").length} ${summary.requests} ${summary.errors} ${summary.maxLatencyMs}`),
    close: async () => void events.push("close"),
  };
  const log = new BufferedInferenceLog(sink, { name: "m", version: "1" }, { flushIntervalMs: 20 });
  const rec = (status: number, latencyMs: number) => log.record({ protocol: "mlflow", status, latencyMs, rows: 1, request: "{}", response: "{}" });
  rec(200, 1);
  rec(500, 4);
  t.mock.timers.tick(19);
  assert.deepEqual(events, []);
  t.mock.timers.tick(1);
  assert.deepEqual(events, ["write 2 2 1 4"]);
  rec(200, 2);
  rec(200, 3);
  rec(404, 1);
  await log.close();
  assert.deepEqual(events, ["write 2 2 1 4", "write 3 3 1 3", "close"]);
  assert.equal(log.dropped, 0);
  await log.flush(); // nothing buffered: no write
  assert.equal(events.length, 3);
});
