import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelInputError } from "./input-coercion.js";
import { parseJsonRequest } from "./input-parser.js";
import { validateInput, validateParams } from "./input-validator.js";
import type { ColumnsInput, TensorsInput } from "./model-input.js";
import { parseSchema, type Schema } from "./model-signature.js";

const cols = parseSchema(
  JSON.stringify([
    { type: "double", name: "x", required: true },
    { type: "long", name: "n", required: true },
    { type: "string", name: "s", required: false },
  ]),
) as Schema;
const tensor = parseSchema(JSON.stringify([{ type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 3] }, name: "X" }])) as Schema;

function parseValid(body: unknown, schema: Schema | undefined) {
  return validateInput(parseJsonRequest(body, schema).input, schema);
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ModelInputError, `expected ModelInputError, got ${String(err)}`);
    assert.equal(err.errorCode, "BAD_REQUEST");
    assert.match(err.message, pattern);
    return true;
  });
}

describe("input formats against a column signature", () => {
  const expectCols = (input: unknown) => {
    const c = input as ColumnsInput;
    assert.equal(c.kind, "columns");
    assert.equal(c.rowCount, 2);
    assert.deepEqual(c.columns.map((x) => x.name), ["x", "n", "s"]);
    assert.ok(c.columns[0].values instanceof Float64Array);
    assert.deepEqual(Array.from(c.columns[0].values as Float64Array), [1.5, 2]);
    assert.deepEqual(Array.from(c.columns[1].values as Float64Array), [3, 4]);
    assert.deepEqual(c.columns[2].values, ["a", null]);
  };
  it("dataframe_split, with extra columns dropped and order taken from the schema", () => {
    expectCols(parseValid({ dataframe_split: { columns: ["s", "n", "x", "extra"], data: [["a", 3, 1.5, 0], [null, 4, 2, 0]] } }, cols));
  });
  it("dataframe_records (absent keys are null)", () => {
    expectCols(parseValid({ dataframe_records: [{ x: 1.5, n: 3, s: "a" }, { x: 2, n: 4 }] }, cols));
  });
  it("instances as row objects", () => {
    expectCols(parseValid({ instances: [{ x: 1.5, n: 3, s: "a" }, { x: 2, n: 4, s: null }] }, cols));
  });
  it("inputs as named columns", () => {
    expectCols(parseValid({ inputs: { x: [1.5, 2], n: [3, 4], s: ["a", null] } }, cols));
  });
  it("an unnamed matrix maps to the columns by position", () => {
    const c = parseValid({ inputs: [[1.5, 3], [2, 4]] }, parseSchema('[{"type":"double","name":"x"},{"type":"long","name":"n"}]')) as ColumnsInput;
    assert.deepEqual(Array.from(c.columns[1].values as Float64Array), [3, 4]);
  });
  it("an unnamed matrix of the wrong width: MLflow's message, then why it was not taken by position", () => {
    rejects(
      () => parseValid({ inputs: [[1.5, 3, 7], [2, 4, 8]] }, parseSchema('[{"type":"double","name":"x"},{"type":"long","name":"n"}]')),
      /^Model is missing inputs \['x', 'n'\]\. An unnamed matrix is taken by position only with one column per input: this one has 3 column\(s\), the signature 2\.$/,
    );
  });
});

describe("input errors name the column", () => {
  it("missing column", () => {
    rejects(() => parseValid({ dataframe_records: [{ x: 1, s: "a", zz: 1 }] }, cols), /missing inputs \['n'\].*extra inputs: \['zz'\]/);
  });
  it("float with a fraction for a long column (no lossy conversion)", () => {
    rejects(() => parseValid({ dataframe_records: [{ x: 1, n: 2 }, { x: 1, n: 2.5 }] }, cols), /column 'n' \(long\): value 2.5 at row 1 .*fraction/);
  });
  it("text for a numeric column", () => {
    rejects(() => parseValid({ dataframe_records: [{ x: "one", n: 2 }] }, cols), /column 'x' \(double\): value "one" at row 0 is not a number/);
  });
  it("null in a required column", () => {
    rejects(() => parseValid({ dataframe_records: [{ x: null, n: 2 }] }, cols), /column 'x'.*missing and the input is required/);
  });
  it("integer out of int32 range", () => {
    rejects(() => parseValid({ inputs: { i: [3_000_000_000] } }, parseSchema('[{"type":"integer","name":"i"}]')), /column 'i' \(integer\).*out of range/);
  });
  it("ragged rows", () => {
    rejects(() => parseValid({ inputs: [[1, 2, 3], [1, 2]] }, tensor), /different lengths/);
  });
  it("no or several format keys, with MLflow's protocol hint", () => {
    rejects(() => parseJsonRequest({ columns: ["a"], data: [[1]] }), /exactly one input format key.*changed in MLflow 2.0/);
    rejects(() => parseJsonRequest({ inputs: [1], instances: [1] }), /\["instances","inputs"\]/);
    rejects(() => parseJsonRequest([1, 2]), /Invalid input/);
  });
});

describe("tensor signatures", () => {
  it("casts integers to float32 and checks the shape", () => {
    const t = parseValid({ inputs: [[1, 2, 3], [4, 5, 6]] }, tensor) as TensorsInput;
    assert.equal(t.tensors[0].name, "X");
    assert.ok(t.tensors[0].data instanceof Float32Array);
    assert.deepEqual(t.tensors[0].shape, [2, 3]);
    rejects(() => parseValid({ inputs: [[1, 2]] }, tensor), /Shape of input 'X' \[1, 2\] does not match the expected shape \[-1, 3\]/);
  });
  it("data-frame input is stacked into the single tensor", () => {
    const t = parseValid({ dataframe_split: { columns: ["a", "b", "c"], data: [[1, 2, 3]] } }, tensor) as TensorsInput;
    assert.deepEqual(Array.from(t.tensors[0].data as Float32Array), [1, 2, 3]);
  });
  it("named tensors, int64 as BigInt64Array, wrong name refused", () => {
    const two = parseSchema(
      JSON.stringify([
        { type: "tensor", "tensor-spec": { dtype: "int64", shape: [-1] }, name: "ids" },
        { type: "tensor", "tensor-spec": { dtype: "float64", shape: [-1, 2] }, name: "v" },
      ]),
    );
    const t = parseValid({ inputs: { ids: [1, 2], v: [[1, 2], [3, 4]] } }, two) as TensorsInput;
    assert.deepEqual(Array.from(t.tensors[0].data as BigInt64Array), [1n, 2n]);
    rejects(() => parseValid({ inputs: { ids: [1, 2] } }, two), /missing inputs \['v'\]/);
    rejects(() => parseValid({ inputs: { ids: [1.5], v: [[1, 2]] } }, two), /input 'ids' \(int64\).*fraction/);
  });
  it("instances of named tensors (TF-serving row format)", () => {
    const two = parseSchema(
      JSON.stringify([
        { type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 2] }, name: "a" },
        { type: "tensor", "tensor-spec": { dtype: "str", shape: [-1] }, name: "b" },
      ]),
    );
    const t = parseValid({ instances: [{ a: [1, 2], b: "x" }, { a: [3, 4], b: "y" }] }, two) as TensorsInput;
    assert.deepEqual(t.tensors[0].shape, [2, 2]);
    assert.deepEqual(t.tensors[1].data, ["x", "y"]);
  });
});

describe("no signature", () => {
  it("numbers become Float64Arrays; text stays", () => {
    const c = parseValid({ dataframe_records: [{ a: 1, b: "x" }] }, undefined) as ColumnsInput;
    assert.ok(c.columns[0].values instanceof Float64Array);
    assert.deepEqual(c.columns[1].values, ["x"]);
    const t = parseValid({ inputs: [[1, 2]] }, undefined) as TensorsInput;
    assert.equal(t.tensors[0].dtype, "float64");
    assert.deepEqual(t.tensors[0].shape, [1, 2]);
  });
});

describe("params", () => {
  const specs = [
    { name: "k", type: "long" as const, default: 3, shape: null },
    { name: "tags", type: "string" as const, default: ["a"], shape: [-1] },
  ];
  it("fills defaults, converts, drops undeclared params", () => {
    assert.deepEqual(validateParams({ k: 5, other: 1 }, specs), { k: 5, tags: ["a"] });
    assert.deepEqual(validateParams(undefined, specs), { k: 3, tags: ["a"] });
    assert.deepEqual(validateParams({ any: 1 }, undefined), { any: 1 });
  });
  it("names the param on a bad value", () => {
    rejects(() => validateParams({ k: 1.5 }, specs), /param 'k' \(long\).*fraction/);
    rejects(() => validateParams({ tags: "x" }, specs), /param 'tags'.*not a list/);
  });
});
