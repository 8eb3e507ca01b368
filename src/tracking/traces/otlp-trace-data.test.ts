/**
 * traces.json as ingestion reads and writes it: a stored file's spans kept byte for byte (nanoseconds past 2^53,
 * strings holding quotes, brackets and commas, pretty-printed or compact, other top-level keys), merged with new
 * spans; a file that is not MLflow's trace data is not merged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeSpans, msOfNanos, parseTraceData, toStoredSpan, traceDataText } from "./otlp-trace-data.js";

const span = (id: string, name: string, start: string, extra = "") =>
  `{"trace_id": "AAAAAAAAAAAAAAAAAAAAAQ==", "span_id": "${Buffer.from(id, "hex").toString("base64")}", "parent_span_id": "", "name": ${JSON.stringify(name)}, ` +
  `"start_time_unix_nano": ${start}, "end_time_unix_nano": null, "attributes": {"mlflow.spanInputs": "{\\"q\\": \\"a], {b\\\\\\"\\"}"${extra}}, "status": {"code": "STATUS_CODE_OK", "message": ""}}`;

test("a stored file's spans are kept byte for byte, whatever their strings hold", () => {
  const a = span("00000000000000a1", 'say "hi", [ok]', "1765000000123456789");
  const b = span("00000000000000b2", "}{", "1765000000123456790", ', "list": [1, [2, {"x": "]"}]]');
  const doc = `{\n  "request": "ignored, [x]",\n  "spans": [\n    ${a},\n    ${b}\n  ],\n  "response": {"spans": []}\n}`;
  const stored = parseTraceData(doc)!;
  assert.deepEqual(stored.map((s) => s.text), [a, b]);
  assert.deepEqual(stored.map((s) => [s.spanId, s.name, s.parentSpanId, s.endMs]), [["00000000000000a1", 'say "hi", [ok]', null, null], ["00000000000000b2", "}{", null, null]]);
  assert.equal(stored[0].inputs, '{"q": "a], {b\\""}');
  const added = toStoredSpan({
    traceId: "00000000000000000000000000000001", spanId: "00000000000000b2", parentSpanId: "00000000000000a1", traceState: "", name: "new", startTimeUnixNano: 1765000000123456791n,
    endTimeUnixNano: null, attributes: { n: 1 }, events: [], status: { code: 0, message: "" },
  });
  const merged = traceDataText(mergeSpans(stored, [added]));
  assert.ok(merged.includes(a) && merged.includes('"start_time_unix_nano":1765000000123456791'));
  assert.ok(!merged.includes('"}{"'));
  assert.deepEqual((JSON.parse(merged) as { spans: { name: string }[] }).spans.map((s) => s.name), ['say "hi", [ok]', "new"]);
});

test("a file that is not MLflow's trace data is not merged", () => {
  assert.equal(parseTraceData("{nope"), undefined);
  assert.equal(parseTraceData('{"spans": 3}'), undefined);
  assert.equal(parseTraceData('{"spans": [{"span_id": "", "start_time_unix_nano": 1}]}'), undefined);
  assert.deepEqual(parseTraceData('{"spans": []}'), []);
});

test("a stored span time on a whole millisecond reads as that millisecond, though the double is a hair below it", () => {
  // Nanoseconds since the epoch pass 2^53: the double read from traces.json is the time give or take 128 ns.
  for (let m = 1796643703000n; m < 1796643704000n; m++) {
    assert.equal(msOfNanos(Number(m * 1_000_000n)), Number(m));
    assert.equal(msOfNanos(Number(m * 1_000_000n + 500_000n)), Number(m));
    assert.equal(msOfNanos(Number(m * 1_000_000n + 999_000n)), Number(m));
  }
});
