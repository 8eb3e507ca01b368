/**
 * A scoring request's input rows and a response's predictions as monitoring keeps them, for each of MLflow's JSON
 * input formats (the segment builder files these cells into columns).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { predictionRows, requestRows } from "./inference-rows.js";

test("each of MLflow's input formats gives the same rows", () => {
  const named = [
    { a: 1, b: "x" },
    { a: 2, b: "y" },
  ];
  assert.deepEqual(requestRows(JSON.stringify({ dataframe_split: { columns: ["a", "b"], data: [[1, "x"], [2, "y"]] } })), named);
  assert.deepEqual(requestRows(JSON.stringify({ dataframe_records: named })), named);
  assert.deepEqual(requestRows(JSON.stringify({ instances: named })), named);
  assert.deepEqual(requestRows(JSON.stringify({ inputs: named })), named);
  assert.deepEqual(requestRows(JSON.stringify({ inputs: { a: [1, 2], b: ["x", "y"] } })), named);
});

test("a 2-D tensor's rows name their features by position, as dataframe_split without columns does", () => {
  const rows = [
    { "0": 0.5, "1": 1.5, "2": null },
    { "0": 2, "1": 3, "2": 4 },
  ];
  assert.deepEqual(requestRows(JSON.stringify({ inputs: [[0.5, 1.5, null], [2, 3, 4]] })), rows);
  assert.deepEqual(requestRows(JSON.stringify({ instances: [[0.5, 1.5, null], [2, 3, 4]] })), rows);
  assert.deepEqual(requestRows(JSON.stringify({ dataframe_split: { data: [[0.5, 1.5, null], [2, 3, 4]] } })), rows);
});

test("inputs that are neither records nor a 2-D tensor keep no features", () => {
  assert.equal(requestRows(JSON.stringify({ inputs: [[[1, 2]], [[3, 4]]] })), undefined, "3-D");
  assert.equal(requestRows(JSON.stringify({ inputs: [{ a: 1 }, [1, 2]] })), undefined, "rows of both kinds");
  assert.equal(requestRows(JSON.stringify({ inputs: [1, 2, 3] })), undefined, "1-D");
  assert.equal(requestRows(JSON.stringify({ inputs: [new Array(1025).fill(0)] })), undefined, "wider than 1,024 columns");
  assert.equal(requestRows("not json"), undefined);
  assert.equal(requestRows(JSON.stringify({ other: 1 })), undefined);
});

test("predictions: scalars, vectors by position, records by name", () => {
  assert.deepEqual(predictionRows(JSON.stringify({ predictions: [1, 0] })), [{ prediction: 1 }, { prediction: 0 }]);
  assert.deepEqual(predictionRows(JSON.stringify({ predictions: [[0.2, 0.8]] })), [{ "prediction.0": 0.2, "prediction.1": 0.8 }]);
  assert.deepEqual(predictionRows(JSON.stringify({ predictions: { label: [1], score: [0.9] } })), [{ "prediction.label": 1, "prediction.score": 0.9 }]);
});
