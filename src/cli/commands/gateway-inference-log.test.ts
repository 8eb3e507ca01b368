/**
 * The gateway's inference log: what the router pushes becomes binary batches
 * (records filed under each one's own model, version, endpoint and
 * deployment, the bodies as the bytes received, the time the request
 * arrived); a sink that refuses a batch counts it dropped and reports it; a
 * real server ingests the batches, and one without the batch route gets JSON.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { decodeInferenceBatch, MAX_BATCH_RECORDS } from "../../shared/node/inference-batch.js";
import { gatewayInferenceLog } from "./gateway-inference-log.js";

const base = { time: 1_700_000_000_000, endpoint: "fraud", status: 200, latencyMs: 1.23456 };

test("records carry their own model and deployment, bodies as bytes; a refused batch is dropped and reported", async () => {
  const posted: Buffer[] = [];
  const errors: Array<[string, number]> = [];
  const log = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 60_000,
    sink: { write: async (batch) => void posted.push(batch) },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  log.feed.push({ ...base, requestId: "a", modelName: "scorer", modelVersion: "2", deployment: "blue", request: Buffer.from('{"inputs": [[1, 2]]}'), response: Buffer.from('{"predictions": [3]}') });
  log.feed.push({ ...base, requestId: "b", modelName: "scorer", modelVersion: "3", deployment: "green", status: 503, request: Buffer.from("x,y\n1,2\n"), response: '{"error_code": "TEMPORARILY_UNAVAILABLE"}' });
  log.feed.push({ ...base, requestId: "c", modelName: "scorer", modelVersion: "2", deployment: "blue", request: undefined, response: "é" });
  await log.close();
  assert.equal(posted.length, 1);
  const records = decodeInferenceBatch(posted[0]);
  assert.deepEqual(
    records.map((r) => [r.requestId, r.source.modelName, r.source.modelVersion, r.source.endpoint, r.source.deployment, r.status, r.time, r.latencyMs]),
    [
      ["a", "scorer", "2", "fraud", "blue", 200, base.time, 1.23456],
      ["b", "scorer", "3", "fraud", "green", 503, base.time, 1.23456],
      ["c", "scorer", "2", "fraud", "blue", 200, base.time, 1.23456],
    ],
  );
  // One source entry per deployment, shared by its records.
  assert.equal(records[0].source, records[2].source);
  assert.deepEqual(
    records.map((r) => [r.request, r.response]),
    [
      ['{"inputs": [[1, 2]]}', '{"predictions": [3]}'],
      ["x,y\n1,2\n", '{"error_code": "TEMPORARILY_UNAVAILABLE"}'],
      ["", "é"],
    ],
  );

  const failing = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 60_000,
    sink: { write: () => Promise.reject(new Error("the monitoring API answered 403")) },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  failing.feed.push({ ...base, requestId: "c", modelName: "scorer", modelVersion: "2", deployment: "blue", request: undefined, response: "" });
  await failing.close();
  assert.equal(failing.dropped, 1);
  assert.deepEqual(errors, [["the monitoring API answered 403", 1]]);
});

test("a full buffer drops and counts", async () => {
  const posted: number[] = [];
  const log = gatewayInferenceLog({ trackingUri: "http://127.0.0.1:1", flushIntervalMs: 60_000, maxBuffered: 2, sink: { write: async (_b, n) => void posted.push(n) } });
  for (const id of ["a", "b", "c"]) log.feed.push({ ...base, requestId: id, modelName: "m", modelVersion: "1", deployment: "d", request: undefined, response: "" });
  await log.close();
  assert.deepEqual(posted, [2]);
  assert.equal(log.dropped, 1);
});

test("a server without the batch route gets the records as JSON, from then on", async () => {
  const seen: Array<[string, string, unknown]> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url!.endsWith("/batch")) {
        seen.push([req.url!, String(req.headers["content-type"]), chunks.length]);
        return void res.writeHead(404, { "content-type": "application/json" }).end('{"error_code":"ENDPOINT_NOT_FOUND"}');
      }
      seen.push([req.url!, String(req.headers["content-type"]), JSON.parse(Buffer.concat(chunks).toString("utf8"))]);
      res.writeHead(200, { "content-type": "application/json" }).end('{"accepted":1}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const log = gatewayInferenceLog({ trackingUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, flushIntervalMs: 60_000 });
    log.feed.push({ ...base, requestId: "a", modelName: "m", modelVersion: "1", deployment: "d", request: Buffer.from('{"inputs": [[1]]}'), response: Buffer.from('{"predictions": [2]}') });
    await (log.feed as unknown as { flush(): Promise<void> }).flush();
    log.feed.push({ ...base, requestId: "b", modelName: "m", modelVersion: "1", deployment: "d", request: undefined, response: "" });
    await log.close();
    assert.equal(log.dropped, 0);
    assert.deepEqual(
      seen.map(([url, type]) => [url, type]),
      [
        ["/api/ciclo/v1/monitoring/inference/batch", "application/vnd.ciclo.inference-batch"],
        ["/api/ciclo/v1/monitoring/inference", "application/json"],
        ["/api/ciclo/v1/monitoring/inference", "application/json"],
      ],
    );
    assert.deepEqual(seen[1][2], {
      records: [{ model_name: "m", model_version: "1", endpoint: "fraud", deployment: "d", request_id: "a", time: base.time, status: 200, latency_ms: 1.23456, request: '{"inputs": [[1]]}', response: '{"predictions": [2]}' }],
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("the timer posts what is buffered at its interval; close() posts the rest, stops the timer, then lets go of the sink", async (t) => {
  // One post at a time and a timer that fires during a post are the flusher's (shared/node/buffered-flusher.test.ts).
  t.mock.timers.enable({ apis: ["setInterval"] });
  const events: string[] = [];
  const log = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 20,
    sink: { write: async (_b, n) => void events.push(`write ${n}`), close: () => void events.push("close") },
  });
  const push = (id: string) => log.feed.push({ ...base, requestId: id, modelName: "m", modelVersion: "1", deployment: "d", request: undefined, response: "" });
  push("a");
  push("b");
  t.mock.timers.tick(19);
  assert.deepEqual(events, []);
  t.mock.timers.tick(1);
  assert.deepEqual(events, ["write 2"]);
  push("c");
  push("d");
  push("e");
  await log.close();
  assert.deepEqual(events, ["write 2", "write 3", "close"]);
  push("f");
  t.mock.timers.tick(100);
  assert.deepEqual(events, ["write 2", "write 3", "close"]);
  assert.equal(log.dropped, 0);
});

test("a buffer never holds more than one batch may carry; a record the batch cannot hold is dropped and reported, the rest of its batch goes", async () => {
  const posted: number[] = [];
  const errors: Array<[string, number]> = [];
  const log = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 60_000,
    maxBuffered: MAX_BATCH_RECORDS + 10,
    sink: { write: async (_b, n) => void posted.push(n) },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  const push = (id: string) => log.feed.push({ ...base, requestId: id, modelName: "m", modelVersion: "1", deployment: "d", request: undefined, response: "" });
  for (let i = 0; i <= MAX_BATCH_RECORDS; i++) push("r");
  assert.equal(log.dropped, 1);
  await (log.feed as unknown as { flush(): Promise<void> }).flush();
  assert.deepEqual(posted, [MAX_BATCH_RECORDS]);
  push("x".repeat(70_000));
  push("ok");
  await (log.feed as unknown as { flush(): Promise<void> }).flush();
  assert.equal(log.dropped, 2);
  assert.deepEqual(errors, [["a request id is too long", 1]]);
  push("ok");
  await log.close();
  assert.deepEqual(posted, [MAX_BATCH_RECORDS, 1, 1]);
  assert.equal(log.dropped, 2);
});

test("a post on a kept-alive connection the server drops is sent once more on a new one", async () => {
  const delivered: string[] = [];
  const perSocket = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    // The second request on a connection finds it closed under it, as when an idle connection times out.
    if (n === 2) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      delivered.push(...decodeInferenceBatch(Buffer.concat(chunks)).map((r) => r.requestId ?? ""));
      res.writeHead(200, { "content-type": "application/json" }).end('{"accepted":1}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const log = gatewayInferenceLog({ trackingUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, flushIntervalMs: 60_000 });
    const flush = () => (log.feed as unknown as { flush(): Promise<void> }).flush();
    for (const id of ["a", "b", "c"]) {
      log.feed.push({ ...base, requestId: id, modelName: "m", modelVersion: "1", deployment: "d", request: undefined, response: "" });
      await flush();
    }
    await log.close();
    assert.equal(log.dropped, 0);
    assert.deepEqual(delivered, ["a", "b", "c"]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
