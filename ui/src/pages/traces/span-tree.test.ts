import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSpanTree } from "./span-tree";

const ms = (n: number) => String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n);

test("nests spans by parent id on one time axis and decodes MLflow's JSON attributes", () => {
  const { nodes, totalMs } = buildSpanTree([
    { span_id: "c", parent_span_id: "a", name: "late", start_time_unix_nano: ms(30), end_time_unix_nano: ms(40) },
    { span_id: "a", parent_span_id: null, name: "root", start_time_unix_nano: ms(0), end_time_unix_nano: ms(100), attributes: { "mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": '{"x": 1}', model: '"small"' } },
    { span_id: "b", parent_span_id: "a", name: "early", start_time_unix_nano: ms(10), end_time_unix_nano: ms(20), status: { code: "STATUS_CODE_ERROR", message: "boom" } },
    { span_id: "d", parent_span_id: "gone", name: "orphan", start_time_unix_nano: ms(50), status: { code: 2 } },
  ]);
  assert.deepEqual(nodes.map((n) => [n.name, n.depth]), [["root", 0], ["early", 1], ["late", 1], ["orphan", 0]]);
  assert.equal(totalMs, 100);
  assert.equal(nodes[0]!.type, "CHAIN");
  assert.deepEqual(nodes[0]!.inputs, { x: 1 });
  assert.deepEqual(nodes[0]!.attributes, { model: "small" });
  assert.equal(nodes[1]!.status, "ERROR");
  assert.equal(nodes[2]!.offsetMs, 30);
  assert.equal(nodes[3]!.durationMs, undefined);
  assert.equal(nodes[3]!.status, "ERROR", "the enum's number");
});

test("a parent loop shows each span once", () => {
  const { nodes } = buildSpanTree([
    { span_id: "a", parent_span_id: "b", name: "a", start_time_unix_nano: 1 },
    { span_id: "b", parent_span_id: "a", name: "b", start_time_unix_nano: 2 },
  ]);
  assert.deepEqual(nodes.map((n) => n.name).sort(), ["a", "b"]);
});
