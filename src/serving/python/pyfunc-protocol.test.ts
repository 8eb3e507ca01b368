/**
 * The framed columnar protocol to the Python worker, on its Node side: typed
 * columns travel as raw bytes (aligned, with the dtype numpy should see),
 * untyped JSON values become what pandas would infer, frames survive being cut
 * anywhere by a pipe, and every output shape the worker sends decodes to the
 * ModelOutput the front splits per request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ColumnsInput, TensorsInput } from "../../models/index.js";
import { decodeOutput, encodeRequest, FrameReader, frameBytes, type ArraySpec, type Frame } from "./pyfunc-protocol.js";

function bytesOf(spec: ArraySpec, body: Buffer): Buffer {
  const [off, n] = spec.buf!;
  return body.subarray(off, off + n);
}

test("typed columns travel as raw little-endian bytes with the dtype of the signature", () => {
  const input: ColumnsInput = {
    kind: "columns",
    rowCount: 2,
    columns: [
      { name: "x", type: "double", values: Float64Array.of(1.5, -2) },
      { name: "n", type: "long", values: Float64Array.of(3, 4) },
      { name: "f", type: "float", values: Float32Array.of(0.25, 8) },
      { name: "ok", type: "boolean", values: [true, false] },
      { name: "s", type: "string", values: ["a", null] },
    ],
  };
  const { header, body } = encodeRequest(7, input, { k: 2 });
  assert.equal(header.id, 7);
  assert.deepEqual(header.params, { k: 2 });
  const cols = (header.input as { columns: ArraySpec[] }).columns;
  assert.deepEqual(
    cols.map((c) => [c.name, c.wire, c.dtype]),
    [
      ["x", "float64", "float64"],
      ["n", "float64", "int64"],
      ["f", "float32", "float32"],
      ["ok", "uint8", "bool"],
      ["s", undefined, "str"],
    ],
  );
  for (const c of cols.filter((c) => c.buf)) assert.equal(c.buf![0] % 8, 0, `${c.name} is 8-byte aligned`);
  const x = bytesOf(cols[0], body);
  assert.deepEqual([x.readDoubleLE(0), x.readDoubleLE(8)], [1.5, -2]);
  assert.deepEqual([...bytesOf(cols[3], body)], [1, 0]);
  assert.deepEqual(cols[4].values, ["a", null]);
});

test("untyped values (no signature) become what pandas would infer from the JSON", () => {
  const input: TensorsInput = {
    kind: "tensors",
    rowCount: 2,
    tensors: [
      { name: "ints", dtype: "object", shape: [2, 2], data: [1, 2, 3, 4] },
      { name: "floats", dtype: "object", shape: [2], data: [1.5, null] },
      { name: "words", dtype: "object", shape: [2], data: ["a", "b"] },
      { name: "flags", dtype: "object", shape: [2], data: [true, false] },
    ],
  };
  const { header, body } = encodeRequest(1, input, undefined);
  assert.equal(header.params, undefined, "empty params are not sent");
  const ts = (header.input as { tensors: ArraySpec[] }).tensors;
  assert.deepEqual(
    ts.map((t) => [t.name, t.dtype, t.shape]),
    [
      ["ints", "int64", [2, 2]],
      ["floats", "float64", [2]],
      ["words", undefined, [2]],
      ["flags", "bool", [2]],
    ],
  );
  const f = bytesOf(ts[1], body);
  assert.equal(f.readDoubleLE(0), 1.5);
  assert.ok(Number.isNaN(f.readDoubleLE(8)), "null → NaN, as pandas makes it");
  assert.deepEqual(ts[2].values, ["a", "b"]);
});

test("frames are reassembled however the pipe cuts them", () => {
  const frames = [encodeRequest(1, { kind: "columns", rowCount: 3, columns: [{ name: "x", type: "double", values: Float64Array.of(1, 2, 3) }] }, undefined), encodeRequest(2, { kind: "columns", rowCount: 0, columns: [] }, { a: "b" })];
  const all = Buffer.concat(frames.map(frameBytes));
  for (const step of [1, 3, 7, all.length]) {
    const got: Frame[] = [];
    const reader = new FrameReader((f) => got.push(f));
    for (let i = 0; i < all.length; i += step) reader.push(all.subarray(i, i + step));
    assert.equal(got.length, 2, `step ${step}`);
    assert.deepEqual(got[0].header, frames[0].header);
    assert.ok(got[0].body.equals(frames[0].body));
    assert.deepEqual(got[1].header.params, { a: "b" });
  }
});

test("outputs decode to row-aligned ModelOutputs (ndarray, matrix, DataFrame, dict, list, value)", () => {
  const f64 = Buffer.alloc(16);
  f64.writeDoubleLE(0.25, 0);
  f64.writeDoubleLE(0.75, 8);
  const i64 = Buffer.alloc(16);
  i64.writeBigInt64LE(5n, 0);
  i64.writeBigInt64LE(-6n, 8);
  const body = Buffer.concat([f64, i64, Buffer.from([1, 0])]);

  const rows = decodeOutput({ kind: "rows", array: { dtype: "int64", shape: [2], buf: [16, 16] } }, body, 2);
  assert.deepEqual(rows, { kind: "rows", rows: [5, -6] });

  const matrix = decodeOutput({ kind: "tensors", tensors: [{ name: null, dtype: "float64", shape: [1, 2], buf: [0, 16] }] }, body, 1);
  assert.equal(matrix.kind, "tensors");
  if (matrix.kind === "tensors") {
    assert.equal(matrix.rowCount, 1);
    assert.deepEqual([...(matrix.tensors[0].data as Float64Array)], [0.25, 0.75]);
    assert.equal(matrix.tensors[0].name, undefined);
  }

  const frame = decodeOutput(
    {
      kind: "columns",
      rows: 2,
      columns: [
        { name: "p", dtype: "float64", shape: [2], buf: [0, 16] },
        { name: "ok", dtype: "bool", shape: [2], buf: [32, 2] },
        { name: "label", dtype: "object", values: ["a", "b"] },
      ],
    },
    body,
    2,
  );
  assert.equal(frame.kind, "columns");
  if (frame.kind === "columns") {
    assert.deepEqual(frame.columns.map((c) => c.name), ["p", "ok", "label"]);
    assert.deepEqual(frame.columns[1].data, [true, false]);
    assert.deepEqual(frame.columns[2].data, ["a", "b"]);
  }

  assert.deepEqual(decodeOutput({ kind: "list", values: [1, 2] }, body, 2), { kind: "rows", rows: [1, 2] });
  assert.deepEqual(decodeOutput({ kind: "list", values: [1, 2, 3] }, body, 2), { kind: "value", value: [1, 2, 3] }, "not one per row: not splittable");
  assert.deepEqual(decodeOutput({ kind: "value", value: { answer: 42 } }, body, 2), { kind: "value", value: { answer: 42 } });
  assert.throws(() => decodeOutput({ kind: "rows", array: { dtype: "complex128", buf: [0, 16] } }, body, 1), /unknown dtype 'complex128'/);
});
