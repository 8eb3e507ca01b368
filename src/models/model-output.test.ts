/**
 * The shapes `{"predictions": …}` takes, and batching helpers: inputs stacked
 * with concatInputs and outputs split back per request with sliceOutput.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatInputs, type ColumnsInput, type TensorsInput } from "./model-input.js";
import { normalizeOutput, outputRowCount, sliceOutput, toNested, toPredictions, type ModelOutput } from "./model-output.js";

describe("toPredictions (MLflow's records-oriented JSON)", () => {
  it("columns → records; a wider column gives a list per row; NaN → null; int64 → number", () => {
    const out: ModelOutput = {
      kind: "columns",
      rowCount: 2,
      columns: [
        { name: "label", data: new BigInt64Array([1n, 0n]), width: 1 },
        { name: "probabilities", data: new Float32Array([0.25, 0.75, 1, 0]), width: 2 },
        { name: "score", data: new Float64Array([Number.NaN, 2]), width: 1 },
      ],
    };
    assert.deepEqual(toPredictions(out), [
      { label: 1, probabilities: [0.25, 0.75], score: null },
      { label: 0, probabilities: [1, 0], score: 2 },
    ]);
  });
  it("named tensors → an object of nested lists; a single unnamed tensor → the bare list; rows → a list", () => {
    const t = { dtype: "float64" as const, shape: [2, 2, 1], data: new Float64Array([1, 2, 3, 4]) };
    assert.deepEqual(toPredictions({ kind: "tensors", rowCount: 2, tensors: [{ ...t, name: "y" }] }), { y: [[[1], [2]], [[3], [4]]] });
    assert.deepEqual(toPredictions({ kind: "tensors", rowCount: 2, tensors: [t] }), [[[1], [2]], [[3], [4]]]);
    assert.deepEqual(toPredictions({ kind: "rows", rows: new Float32Array([0.5, 1.5]) }), [0.5, 1.5]);
    assert.deepEqual(toNested(new Float64Array([7]), []), 7);
  });
  it("normalizeOutput: row-aligned arrays are rows (batchable), anything else a value", () => {
    assert.equal(normalizeOutput([1, 2, 3], 3).kind, "rows");
    assert.equal(normalizeOutput({ answer: 42 }, 3).kind, "value");
    assert.equal(normalizeOutput([1, 2], 3).kind, "value");
    assert.equal(outputRowCount({ kind: "value", value: 1 }), undefined);
  });
});

describe("batching: concatInputs and sliceOutput", () => {
  it("stacks data frames row-wise and splits the output back per request", () => {
    const a: ColumnsInput = { kind: "columns", rowCount: 1, columns: [{ name: "x", type: "double", values: new Float64Array([1]) }, { name: "s", type: "string", values: ["a"] }] };
    const b: ColumnsInput = { kind: "columns", rowCount: 2, columns: [{ name: "x", type: "double", values: new Float64Array([2, 3]) }, { name: "s", type: "string", values: ["b", "c"] }] };
    const all = concatInputs([a, b]) as ColumnsInput;
    assert.equal(all.rowCount, 3);
    assert.deepEqual(Array.from(all.columns[0].values as Float64Array), [1, 2, 3]);
    assert.deepEqual(all.columns[1].values, ["a", "b", "c"]);
    const out: ModelOutput = { kind: "columns", rowCount: 3, columns: [{ name: "p", data: new Float32Array([10, 11, 20, 21, 30, 31]), width: 2 }] };
    assert.deepEqual(toPredictions(sliceOutput(out, 0, 1)), [{ p: [10, 11] }]);
    assert.deepEqual(toPredictions(sliceOutput(out, 1, 3)), [{ p: [20, 21] }, { p: [30, 31] }]);
  });
  it("stacks tensors along the first dimension; refuses different shapes", () => {
    const t = (rows: number, start: number): TensorsInput => ({
      kind: "tensors",
      rowCount: rows,
      tensors: [{ name: "X", dtype: "float32", shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => start + i) }],
    });
    const all = concatInputs([t(1, 0), t(2, 10)]) as TensorsInput;
    assert.deepEqual(all.tensors[0].shape, [3, 2]);
    assert.deepEqual(Array.from(all.tensors[0].data as Float32Array), [0, 1, 10, 11, 12, 13]);
    const wide: TensorsInput = { kind: "tensors", rowCount: 1, tensors: [{ name: "X", dtype: "float32", shape: [1, 3], data: new Float32Array(3) }] };
    assert.throws(() => concatInputs([t(1, 0), wide]), /shape differs/);
    const out: ModelOutput = { kind: "tensors", rowCount: 3, tensors: [{ name: "y", dtype: "int64", shape: [3], data: new BigInt64Array([1n, 2n, 3n]) }] };
    assert.deepEqual(toPredictions(sliceOutput(out, 1, 3)), { y: [2, 3] });
  });
  it("a non-row output cannot be split", () => {
    assert.throws(() => sliceOutput({ kind: "value", value: { a: 1 } }, 0, 1), /not row-aligned/);
    const agg: ModelOutput = { kind: "tensors", rowCount: 3, tensors: [{ name: "mean", dtype: "float64", shape: [1], data: new Float64Array([2]) }] };
    assert.throws(() => sliceOutput(agg, 0, 1), /'mean' is not row-aligned/);
  });
});
