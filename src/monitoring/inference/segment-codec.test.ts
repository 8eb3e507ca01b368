import assert from "node:assert/strict";
import { test } from "node:test";
import type { InferenceEvent } from "./inference-event.js";
import { decodeSegment, encodeSegment } from "./segment-codec.js";

const base = { modelName: "m", modelVersion: "1", endpoint: null, deployment: null, latencyMs: 2.5 };

test("a segment keeps every input row with its prediction and the request's facts", async () => {
  const events: InferenceEvent[] = [
    { ...base, requestId: "a", time: 1000, status: 200, request: JSON.stringify({ dataframe_split: { columns: ["x", "c"], data: [[1.5, "u"], [2, "v"]] } }), response: JSON.stringify({ predictions: [0, 1] }) },
    { ...base, requestId: "b", time: 2000, status: 200, request: JSON.stringify({ dataframe_records: [{ x: 3, c: "w" }] }), response: JSON.stringify({ predictions: [{ label: 1, probabilities: [0.2, 0.8] }] }) },
    { ...base, requestId: "c", time: 3000, status: 400, request: "{bad", response: JSON.stringify({ error_code: "BAD_REQUEST" }) },
  ];
  const seg = await encodeSegment(events);
  assert.deepEqual([seg.rows, seg.requests, seg.errors, seg.startTime, seg.endTime], [4, 3, 1, 1000, 3000]);
  const rows = await decodeSegment(seg.bytes);
  assert.equal(rows.length, 4);
  assert.deepEqual(
    rows.map((r) => [r.__request_id, r.__row, r.x, r.c, r.prediction, r["prediction.label"], r["prediction.probabilities.1"], r.__status]),
    [
      ["a", 0, 1.5, "u", 0, null, null, 200],
      ["a", 1, 2, "v", 1, null, null, 200],
      ["b", 0, 3, "w", null, 1, 0.8, 200],
      ["c", 0, null, null, null, null, null, 400],
    ],
  );
});

test("inputs as named columns and column-oriented outputs line up by position", async () => {
  const e: InferenceEvent = { ...base, requestId: "r", time: 5, status: 200, request: JSON.stringify({ inputs: { a: [1, 2], b: [true, false] } }), response: JSON.stringify({ predictions: { y: [7, 8] } }) };
  const rows = await decodeSegment((await encodeSegment([e])).bytes);
  assert.deepEqual(rows.map((r) => [r.a, r.b, r["prediction.y"]]), [[1, true, 7], [2, false, 8]]);
});
