/**
 * Input examples and signature inference (MLflow's `_Example` and
 * `infer_signature`), for JS values:
 *
 * | example | read as | `input_example.json` |
 * |---|---|---|
 * | `[{x: 1, y: "a"}, …]` (row objects) | data frame | `{"columns": [...], "data": [[...]]}` (pandas split orient) |
 * | `{columns: [...], data: [[...]]}` | data frame | same |
 * | `{x: [1, 2], y: ["a", "b"]}` (flat lists) | data frame | same |
 * | `{X: Float32Array / nested lists}` | named tensors | `{"inputs": {"X": [[...]]}}` (tf-serving) |
 * | `[[1, 2, 3]]`, a typed array | one tensor | `{"inputs": [[1, 2, 3]]}` |
 *
 * JS has one number type, so plain numbers infer as `double` / `float64`
 * (never `long`: a later `1.5` would then be refused); typed arrays keep their
 * type (Float32Array → float32, Int32Array → int32, BigInt64Array → int64).
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import { parseJsonRequest } from "./input-parser.js";
import { validateInput } from "./input-validator.js";
import type { SavedInputExampleInfo } from "./mlmodel.js";
import type { ColumnValues, ModelInput, TensorData } from "./model-input.js";
import { toNested, type ModelOutput } from "./model-output.js";
import type { ColSpec, ColumnType, Schema, TensorDtype, TensorSpec } from "./model-signature.js";

export const INPUT_EXAMPLE_FILE = "input_example.json";
export const SERVING_INPUT_EXAMPLE_FILE = "serving_input_example.json";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function isTensorLike(v: unknown): boolean {
  return ArrayBuffer.isView(v) || (Array.isArray(v) && v.length > 0 && (Array.isArray(v[0]) || ArrayBuffer.isView(v[0])));
}

/** Typed arrays → plain lists, recursively, so an example can go through the JSON parser. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>, (x) => (typeof x === "bigint" ? Number(x) : x));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** A JS example → the scoring-request body it corresponds to. */
function exampleBody(example: unknown): Record<string, unknown> {
  if (Array.isArray(example) && example.length > 0 && isPlainObject(example[0])) return { dataframe_records: example };
  if (isPlainObject(example)) {
    if (Array.isArray(example.columns) && Array.isArray(example.data)) return { dataframe_split: example };
    const values = Object.values(example);
    if (values.length > 0 && values.every((v) => Array.isArray(v) && !isTensorLike(v))) {
      const cols = Object.keys(example);
      const n = (values[0] as unknown[]).length;
      const data = Array.from({ length: n }, (_, r) => cols.map((c) => (example[c] as unknown[])[r]));
      return { dataframe_split: { columns: cols, data } };
    }
    return { inputs: Object.fromEntries(Object.entries(example).map(([k, v]) => [k, plain(v)])) };
  }
  if (Array.isArray(example) || ArrayBuffer.isView(example)) return { inputs: plain(example) };
  throw new InvalidParameterValueError("inputExample: expected row objects, {columns, data}, an object of columns or tensors, or a (nested) list.");
}

/** A JS example → a parsed ModelInput (typed arrays keep their dtype). */
export function exampleToInput(example: unknown): ModelInput {
  if (isPlainObject(example) && (example.kind === "columns" || example.kind === "tensors")) return example as unknown as ModelInput;
  const input = validateInput(parseJsonRequest(exampleBody(example)).input, undefined);
  if (input.kind === "tensors" && isPlainObject(example)) {
    // Keep the dtype of typed arrays given by name.
    input.tensors = input.tensors.map((t) => {
      const given = t.name !== undefined ? example[t.name] : undefined;
      return ArrayBuffer.isView(given) ? { ...t, dtype: dtypeOf(given as TensorData), data: given as TensorData } : t;
    });
  } else if (input.kind === "tensors" && ArrayBuffer.isView(example)) {
    input.tensors[0] = { ...input.tensors[0], dtype: dtypeOf(example as TensorData), data: example as TensorData };
  }
  return input;
}

/** The example as written to `input_example.json`, and its `saved_input_example_info`. */
export function exampleFiles(input: ModelInput): { example: unknown; serving: unknown; info: SavedInputExampleInfo } {
  if (input.kind === "columns") {
    const columns = input.columns.map((c) => c.name);
    const data = Array.from({ length: input.rowCount }, (_, r) => input.columns.map((c) => jsonValue((c.values as ArrayLike<unknown>)[r])));
    const example = { columns, data };
    return {
      example,
      serving: { dataframe_split: example },
      info: { artifact_path: INPUT_EXAMPLE_FILE, type: "dataframe", pandas_orient: "split", serving_input_path: SERVING_INPUT_EXAMPLE_FILE },
    };
  }
  const inputs =
    input.tensors.length === 1 && input.tensors[0].name === undefined
      ? toNested(input.tensors[0].data, input.tensors[0].shape)
      : Object.fromEntries(input.tensors.map((t, i) => [t.name ?? String(i), toNested(t.data, t.shape)]));
  return {
    example: { inputs },
    serving: { inputs },
    info: { artifact_path: INPUT_EXAMPLE_FILE, type: "ndarray", format: "tf-serving", serving_input_path: SERVING_INPUT_EXAMPLE_FILE },
  };
}

function jsonValue(v: unknown): unknown {
  if (typeof v === "number" && Number.isNaN(v)) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  return v;
}

function dtypeOf(data: TensorData): TensorDtype {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof BigUint64Array) return "uint64";
  const first = (data as unknown[]).find((x) => x !== null && x !== undefined);
  if (typeof first === "boolean") return "bool";
  if (typeof first === "string") return "str";
  if (typeof first === "bigint") return "int64";
  return "float64";
}

function columnType(name: string, values: ColumnValues): { type: ColumnType; required: boolean } {
  if (values instanceof Float64Array) return { type: "double", required: !values.some(Number.isNaN) };
  if (values instanceof Float32Array) return { type: "float", required: !values.some(Number.isNaN) };
  if (values instanceof Int32Array) return { type: "integer", required: true };
  const arr = values as unknown[];
  const present = arr.filter((v) => v !== null && v !== undefined);
  const required = present.length === arr.length;
  const first = present[0];
  if (present.every((v) => typeof v === "string")) return { type: "string", required };
  if (present.every((v) => typeof v === "boolean")) return { type: "boolean", required };
  if (present.every((v) => typeof v === "number")) return { type: "double", required };
  if (present.every((v) => v instanceof Uint8Array)) return { type: "binary", required };
  throw new InvalidParameterValueError(
    `Cannot infer a type for column '${name}' from the input example (first value ${JSON.stringify(first)}); pass a signature.`,
  );
}

/** The input schema an example implies. */
export function inferInputSchema(input: ModelInput): Schema {
  if (input.kind === "columns") {
    return { kind: "columns", columns: input.columns.map((c): ColSpec => ({ name: c.name, ...columnType(c.name, c.values) })) };
  }
  return {
    kind: "tensors",
    tensors: input.tensors.map((t): TensorSpec => ({ ...(t.name !== undefined ? { name: t.name } : {}), dtype: dtypeOf(t.data), shape: [-1, ...t.shape.slice(1)] })),
  };
}

/** The output schema of a prediction (undefined for a non-row value). */
export function inferOutputSchema(output: ModelOutput): Schema | undefined {
  switch (output.kind) {
    case "columns":
      return {
        kind: "tensors",
        tensors: output.columns.map((c) => ({ name: c.name, dtype: dtypeOf(c.data), shape: c.width === 1 ? [-1] : [-1, c.width] })),
      };
    case "tensors":
      return {
        kind: "tensors",
        tensors: output.tensors.map((t) => ({ ...(t.name !== undefined ? { name: t.name } : {}), dtype: dtypeOf(t.data), shape: [-1, ...t.shape.slice(1)] })),
      };
    case "rows": {
      const rows = output.rows;
      if (!Array.isArray(rows)) return { kind: "tensors", tensors: [{ dtype: dtypeOf(rows), shape: [-1] }] };
      const first = rows.find((r) => r !== null && r !== undefined);
      if (typeof first === "number" || typeof first === "string" || typeof first === "boolean") {
        return { kind: "tensors", tensors: [{ dtype: dtypeOf(rows as TensorData), shape: [-1] }] };
      }
      return undefined;
    }
    case "value":
      return undefined;
  }
}
