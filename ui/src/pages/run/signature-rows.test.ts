/** Signature tables: every column labelled; column, tensor, nested and param specs read. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PARAM_COLUMNS, paramRows, SCHEMA_COLUMNS, schemaRows, typeName } from "./signature-rows";

describe("signature rows", () => {
  test("every column has a label", () => {
    assert.deepEqual(SCHEMA_COLUMNS, ["Name", "Type", "Shape", "Optional"]);
    assert.deepEqual(PARAM_COLUMNS, ["Name", "Type", "Default", "Shape"]);
    assert.ok([...SCHEMA_COLUMNS, ...PARAM_COLUMNS].every((c) => c.trim() !== ""));
  });

  test("column specs: type, optional; tensor specs: dtype and shape", () => {
    const rows = schemaRows(
      JSON.stringify([
        { type: "double", name: "age", required: true },
        { type: "string", name: "city", required: false },
        { type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 4] }, name: "features" },
        { type: "long" },
      ]),
    );
    assert.deepEqual(rows, [
      ["age", "double", "—", "no"],
      ["city", "string", "—", "yes"],
      ["features", "tensor (float32)", "(-1, 4)", "no"],
      ["#3", "long", "—", "no"],
    ]);
    assert.equal(schemaRows(undefined), undefined);
    assert.deepEqual(schemaRows("not json"), [["not json", "", "", ""]]);
  });

  test("nested types and inference params", () => {
    assert.equal(typeName({ type: "array", items: { type: "string" } }), "array<string>");
    assert.equal(typeName({ type: "object", properties: { a: { type: "long" }, b: { type: "string", required: false } } }), "object{a: long, b?: string}");
    assert.equal(typeName({ type: "map", values: { type: "double" } }), "map<string, double>");
    assert.deepEqual(paramRows(JSON.stringify([{ name: "temperature", type: "double", default: 0.5, shape: null }, { name: "stop", type: "string", default: null, shape: [-1] }])), [
      ["temperature", "double", "0.5", "—"],
      ["stop", "string", "—", "(-1)"],
    ]);
  });
});
