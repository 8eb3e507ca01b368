import assert from "node:assert/strict";
import { test } from "node:test";
import type { InferenceEvent } from "./inference-event.js";
import { decodeSegment, encodeSegment, eventRows } from "./segment-codec.js";

const base = { modelName: "m", modelVersion: "1", endpoint: "e", deployment: "blue", latencyMs: 1.25 };
let n = 0;
const ev = (request: unknown, response: unknown, status = 200): InferenceEvent => ({
  ...base,
  requestId: `r${++n}`,
  time: 1000 + n,
  status,
  request: typeof request === "string" ? request : JSON.stringify(request),
  response: typeof response === "string" ? response : JSON.stringify(response),
});

/** What a segment of `events` reads back as: each event's rows, every column in every row (null where it had none), mixed columns as text. */
function expected(events: InferenceEvent[]): Record<string, unknown>[] {
  const rows = events.flatMap(eventRows);
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  const text = new Set<string>();
  for (const k of names) {
    const kinds = new Set(rows.map((r) => r[k]).filter((v) => v !== null && v !== undefined).map((v) => typeof v));
    if (kinds.has("string") || kinds.size > 1) text.add(k);
  }
  return rows.map((r) => Object.fromEntries([...names].map((k) => [k, r[k] === undefined || r[k] === null ? null : text.has(k) ? String(r[k]) : r[k]])));
}

test("a segment filled column by column reads back as the events' rows", async () => {
  const events = [
    ev({ inputs: [[1.323, -1.364, 1.921]] }, { predictions: [[0.5]] }),
    ev({ dataframe_split: { columns: ["x", "c"], data: [[1.5, "u"], [2, "v"], "not a row"] } }, { predictions: [0, 1, 2] }),
    ev({ dataframe_records: [{ x: 3, flag: true }, { x: null, extra: 7 }] }, { predictions: [{ label: 1, probabilities: [0.2, 0.8] }, { label: 0 }] }),
    ev({ instances: [{ x: "text now", flag: false }] }, { predictions: ["a"] }),
    ev({ inputs: { a: [1, 2], b: [true, false] } }, { predictions: { y: [7, 8], z: [[1, 2], [3, 4]] } }),
    ev({ inputs: { a: [1, 2], b: [true] } }, { outputs: [9] }),
    ev("{bad", { error_code: "BAD_REQUEST" }, 400),
    ev("x,y\n1,2", "[3]"),
    ev({ dataframe_records: [{ __status: 999, __request_id: "forged", prediction: "input" }] }, { predictions: [4] }),
    ev({ dataframe_records: [{ nested: { k: [1] }, flag: 1 }] }, { predictions: [[1, 2, 3]] }),
    ev({ dataframe_records: [] }, { predictions: [] }),
  ];
  const seg = await encodeSegment(events);
  const want = expected(events);
  assert.deepEqual([seg.rows, seg.requests, seg.errors, seg.startTime, seg.endTime], [want.length, events.length, 1, events[0].time, events.at(-1)!.time]);
  const got = await decodeSegment(seg.bytes);
  assert.deepEqual(got.map((r) => ({ ...r, __row: Number(r.__row), __status: Number(r.__status) })), want);
  // The request columns are never a body's: a feature named like one is dropped, a prediction wins over a feature of its name.
  const forged = got.find((r) => r.__request_id === events[8].requestId)!;
  assert.equal(forged.__status, 200);
  assert.equal(forged.prediction, "4");
});

test("a column first seen late is missing in the rows before it, and numbers stay numbers", async () => {
  const events = [ev({ dataframe_records: [{ a: 1 }] }, { predictions: [1] }), ev({ dataframe_records: [{ a: 2, b: 0.5 }] }, { predictions: [2] })];
  const rows = await decodeSegment((await encodeSegment(events)).bytes);
  assert.deepEqual(rows.map((r) => [r.a, r.b, r.prediction]), [[1, null, 1], [2, 0.5, 2]]);
});
