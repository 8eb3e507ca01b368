/**
 * The batch writer: records copied in as they come (the caller's buffers may
 * change afterwards), a batch that grows past its first buffer, one that
 * refuses a record adds nothing of it, and each finish starts a new batch.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeInferenceBatch, InferenceBatchWriter, type BatchSource } from "./inference-batch.js";

const blue: BatchSource = { modelName: "scorer", modelVersion: "2", endpoint: "fraud", deployment: "blue", sampleRate: 1 };
const green: BatchSource = { modelName: "scorer", modelVersion: "3", endpoint: null, deployment: null, sampleRate: 0.5 };
const base = { time: 1_700_000_000_000, latencyMs: 0.5, status: 200 };

test("records are copied as added, across buffer growth, and each finish starts a new batch", () => {
  const w = new InferenceBatchWriter(64);
  const request = Buffer.from('{"inputs": [[1, 2]]}');
  w.add(blue, { ...base, requestId: "a", request, response: Buffer.from('{"predictions": [3]}') });
  request.fill(0x20); // the router's buffer reused: the batch holds its own copy
  const big = "x".repeat(10_000);
  w.add(green, { ...base, requestId: undefined, status: 503, request: undefined, response: big });
  w.add(blue, { ...base, requestId: "é", request: "ü", response: "" });
  assert.equal(w.records, 3);
  const first = decodeInferenceBatch(w.finish());
  assert.deepEqual(
    first.map((r) => [r.requestId, r.source.modelVersion, r.source.endpoint, r.source.sampleRate, r.status, r.request, r.response.length]),
    [
      ["a", "2", "fraud", 1, 200, '{"inputs": [[1, 2]]}', 20],
      [undefined, "3", null, 0.5, 503, "", 10_000],
      ["é", "2", "fraud", 1, 200, "ü", 0],
    ],
  );
  assert.equal(first[0].source, first[2].source);
  assert.equal(w.records, 0);

  // A record past the format's limits is refused whole; the batch goes on.
  assert.throws(() => w.add(blue, { ...base, requestId: "r".repeat(70_000), request: undefined, response: "lost" }), RangeError);
  assert.throws(() => w.add({ ...blue, modelName: "m".repeat(70_000) }, { ...base, requestId: "b", request: undefined, response: "lost" }), RangeError);
  w.add(green, { ...base, requestId: "c", request: undefined, response: "kept" });
  const second = decodeInferenceBatch(w.finish());
  assert.deepEqual(
    second.map((r) => [r.requestId, r.source.modelVersion, r.response]),
    [["c", "3", "kept"]],
  );
});
