/**
 * The scoring server under concurrent load on a loopback port, with the
 * deliberately slow js_function model (it blocks its inference thread):
 * batching really batches, health answers while the model is busy, a full
 * queue refuses with 503 + Retry-After, and the deadline gives 504. Waiting
 * for a state is done by polling /metrics (never by sleeping a guessed time).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { slowModel } from "../../testing/model-fixtures.js";
import { metricValue, startScoringKit, type KitOptions, type ScoringKit } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";
import { scoringOptions } from "./scoring-options.js";
import { resolveModelSource } from "../model-source.js";
import { startScoringServer } from "./scoring-server.js";

const tmp = tempDir("ciclo-scoring-load-");
let modelDir: string;

before(async () => {
  modelDir = await slowModel(tmp.path, { busyMs: 0 });
});
after(() => tmp.remove());

const score = (url: string, x: number[], busyMs: number) =>
  fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ dataframe_records: x.map((v) => ({ x: v })), params: { busy_ms: busyMs } }),
  });

/** Polls /metrics until `check` holds (each poll is a real request, answered by the HTTP thread). */
async function until(url: string, check: (metrics: string) => boolean): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("condition on /metrics never held");
}

async function listen(o: KitOptions): Promise<{ kit: ScoringKit; server: Server; url: string; close(): Promise<void> }> {
  const kit = await startScoringKit(modelDir, { name: "slow", ...o });
  const server = createServer(kit.app.handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    kit,
    server,
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await kit.close();
    },
  };
}

const L = { model: "slow", version: "1" };

test("concurrent requests are batched; every answer matches its own request", async () => {
  const s = await startScoringServer(scoringOptions({ port: 0, workers: 1, modelName: "slow", modelUri: modelDir, maxQueueWaitMs: 0 /* its time is per call, not per byte */ }), await resolveModelSource(modelDir), () => undefined);
  try {
    await s.ready;
    const first = score(s.url, [0], 300); // occupies the inference thread
    await until(s.url, (m) => metricValue(m, "ciclo_serving_batch_size_count", L) === 1);
    const rest = Array.from({ length: 15 }, (_, i) => score(s.url, [i + 1], 300));
    const answers = await Promise.all([first, ...rest]);
    for (const [i, r] of answers.entries()) {
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { predictions: [i * 2] });
    }
    const m = await (await fetch(`${s.url}/metrics`)).text();
    const batches = metricValue(m, "ciclo_serving_batch_size_count", L)!;
    assert.equal(metricValue(m, "ciclo_serving_batch_size_sum", L), 16);
    assert.ok(batches < 16, `16 requests went in ${batches} batches`);
    assert.ok(metricValue(m, "ciclo_serving_batch_size_bucket", { ...L, le: "1" })! < batches, "some batch held more than one request");
    assert.equal(metricValue(m, "ciclo_serving_batch_rows_sum", L), 16);
  } finally {
    await s.drain();
  }
});

test("health, readiness and metrics answer while the model is busy", async () => {
  const s = await listen({ workers: 1 });
  try {
    const order: string[] = [];
    const busy = score(s.url, [1], 1500).then((r) => (order.push("score"), r));
    await until(s.url, (m) => metricValue(m, "ciclo_serving_batch_size_count", L) === 1);
    for (const path of ["/ping", "/health", "/v2/health/live", "/v2/health/ready", "/v2/models/slow/ready"]) {
      const r = await fetch(`${s.url}${path}`);
      assert.equal(r.status, 200, path);
      order.push(path);
    }
    assert.equal((await busy).status, 200);
    assert.equal(order.at(-1), "score", `health answered before the busy request finished: ${order.join(", ")}`);
  } finally {
    await s.close();
  }
});

test("a full queue refuses at once with 503 and Retry-After; queued requests still succeed", async () => {
  const s = await listen({ workers: 1, maxQueue: 2 });
  try {
    const running = score(s.url, [1], 600);
    await until(s.url, (m) => metricValue(m, "ciclo_serving_batch_size_count", L) === 1);
    const queued = [score(s.url, [2], 0), score(s.url, [3], 0)];
    await until(s.url, (m) => metricValue(m, "ciclo_serving_queue_depth", L) === 2);
    const refused = await score(s.url, [4], 0);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(((await refused.json()) as { error_code: string }).error_code, "TEMPORARILY_UNAVAILABLE");
    for (const r of await Promise.all([running, ...queued])) assert.equal(r.status, 200);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.equal(metricValue(m, "ciclo_serving_requests_total", { ...L, code: "503" }), 1);
  } finally {
    await s.close();
  }
});

test("past the deadline: 504 with MLflow's error body, for a running and for a queued request", async () => {
  const s = await listen({ workers: 1, timeoutMs: 250 });
  try {
    const running = score(s.url, [1], 1000);
    await until(s.url, (m) => metricValue(m, "ciclo_serving_batch_size_count", L) === 1);
    const queued = score(s.url, [2], 0);
    for (const r of [await running, await queued]) {
      assert.equal(r.status, 504);
      const body = (await r.json()) as { error_code: string; message: string };
      assert.equal(body.error_code, "DEADLINE_EXCEEDED");
      assert.match(body.message, /exceeded limit/);
    }
    // The server is still healthy and scores once the slow batch is done (the expired queued request was never run).
    await until(s.url, (m) => metricValue(m, "ciclo_serving_batch_duration_seconds_count", L) === 1);
    const ok = await score(s.url, [5], 0);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { predictions: [10] });
  } finally {
    await s.close();
  }
});

test("--max-wait-ms lets a small batch grow; --max-batch-size caps every batch", async () => {
  const waiting = await startScoringKit(modelDir, { name: "slow", maxWaitMs: 300, maxBatchSize: 4 });
  try {
    const post = (x: number) =>
      waiting.app.inject({ method: "POST", url: "/invocations", headers: { "content-type": "application/json" }, payload: JSON.stringify({ dataframe_records: [{ x }], params: { busy_ms: 20 } }) });
    const three = await Promise.all([post(1), post(2), post(3)]);
    three.forEach((r, i) => assert.deepEqual(r.json(), { predictions: [(i + 1) * 2] }));
    let m = (await waiting.app.inject({ method: "GET", url: "/metrics" })).body;
    assert.equal(metricValue(m, "ciclo_serving_batch_size_count", L), 1, "the first request waited for the other two");
    assert.equal(metricValue(m, "ciclo_serving_batch_size_sum", L), 3);
    const ten = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i)));
    ten.forEach((r, i) => assert.deepEqual(r.json(), { predictions: [i * 2] }));
    m = (await waiting.app.inject({ method: "GET", url: "/metrics" })).body;
    const count = metricValue(m, "ciclo_serving_batch_size_count", L)!;
    assert.equal(metricValue(m, "ciclo_serving_batch_size_sum", L), 13);
    assert.equal(metricValue(m, "ciclo_serving_batch_size_bucket", { ...L, le: "4" }), count, "no batch above 4 requests");
    assert.ok(count >= 1 + 3, `10 requests need at least 3 batches of ≤ 4 (got ${count - 1})`);
  } finally {
    await waiting.close();
  }
});

test("an inference thread that dies fails its batch with 500 and is replaced", async () => {
  const s = await listen({ workers: 1 });
  try {
    const crash = await fetch(`${s.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ x: 1 }], params: { crash: true } }) });
    assert.equal(crash.status, 500);
    assert.equal(((await crash.json()) as { error_code: string }).error_code, "INTERNAL_ERROR");
    const after = await score(s.url, [6], 0); // waits for the replacement thread
    assert.equal(after.status, 200);
    assert.deepEqual(await after.json(), { predictions: [12] });
    assert.equal(s.kit.executor.threads, 1);
  } finally {
    await s.close();
  }
});
