/**
 * MLflow's JSON scoring formats → a parsed (not yet validated) {@link ModelInput}
 * (`mlflow/pyfunc/scoring_server/__init__.py`, `parse_tf_serving_input`):
 *
 * - `{"dataframe_split": {"columns": [...], "data": [[...]], "index": [...]}}` → columns;
 * - `{"dataframe_records": [{"a": 1}, ...]}` → columns (keys in order of first appearance; absent → null);
 * - `{"instances": [...]}` → rows of named values (list of objects) become columns, anything else one unnamed tensor;
 * - `{"inputs": ...}` → an object is named tensors, a list of objects columns, any other list one unnamed tensor;
 * - `"params": {...}` alongside any of them.
 *
 * Exactly one format key must be present (MLflow answers 400 otherwise, with the
 * same hint about the 2.0 protocol change). The result is checked and coerced by
 * `validateInput` (`input-validator.ts`).
 * @module
 */
import { ModelInputError } from "./input-coercion.js";
import type { ColumnsInput, ModelInput, ModelParams, Tensor, TensorsInput } from "./model-input.js";
import type { Schema } from "./model-signature.js";

export const INPUT_FORMATS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

export interface ParsedRequest {
  input: ModelInput;
  params?: ModelParams;
}

const PROTOCOL_HINT =
  'The input must be a JSON object with exactly one of the keys "dataframe_split", "dataframe_records", ' +
  '"instances" or "inputs" (and optionally "params"). Note that the scoring protocol changed in MLflow 2.0: ' +
  'a bare pandas orient such as {"columns": [...], "data": [...]} must now be wrapped, e.g. in "dataframe_split".';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Nested JSON lists → shape + flat row-major values; ragged lists are an error naming `label`. */
export function flattenNested(value: unknown, label: string): { shape: number[]; data: unknown[] } {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (v.length === 0) break;
  }
  if (shape.length === 0) return { shape, data: [value] };
  if (shape.length === 1) return { shape, data: value as unknown[] };
  const data: unknown[] = [];
  const walk = (v: unknown, dim: number): void => {
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ModelInputError(`${label}: nested lists have different lengths (expected a list of ${shape[dim]} at depth ${dim}).`);
    }
    if (dim === shape.length - 1) {
      for (const x of v) {
        if (Array.isArray(x)) throw new ModelInputError(`${label}: nested lists have different depths.`);
        data.push(x);
      }
      return;
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(value, 0);
  return { shape, data };
}

function tensorOf(value: unknown, name: string | undefined): Tensor {
  const { shape, data } = flattenNested(value, name === undefined ? "inputs" : `input '${name}'`);
  // dtype is provisional until validation; "object" marks raw JSON values.
  return { ...(name !== undefined ? { name } : {}), dtype: "object", shape, data };
}

function tensorsInput(tensors: Tensor[]): TensorsInput {
  const rowCount = tensors.length > 0 && tensors[0].shape.length > 0 ? tensors[0].shape[0] : 1;
  return { kind: "tensors", rowCount, tensors };
}

function fromSplit(split: unknown, schema: Schema | undefined): ColumnsInput {
  if (!isPlainObject(split)) throw new ModelInputError('"dataframe_split" must be an object with "columns" and "data".');
  const data = split.data;
  if (!Array.isArray(data)) throw new ModelInputError('"dataframe_split" needs a "data" list of rows.');
  const width = data.length > 0 && Array.isArray(data[0]) ? data[0].length : split.columns ? (split.columns as unknown[]).length : 0;
  let names: string[];
  if (Array.isArray(split.columns)) names = split.columns.map(String);
  else if (schema?.kind === "columns" && schema.columns.length === width) {
    // ciclo extension: without "columns", cells map to the signature's columns by position.
    names = schema.columns.map((c, i) => c.name ?? String(i));
  } else names = Array.from({ length: width }, (_, i) => String(i));
  const columns = names.map((name) => ({ name, values: new Array<unknown>(data.length) }));
  data.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== names.length) {
      throw new ModelInputError(`"dataframe_split": row ${r} has ${Array.isArray(row) ? row.length : "no"} values for ${names.length} columns.`);
    }
    for (let c = 0; c < names.length; c++) (columns[c].values as unknown[])[r] = row[c];
  });
  return { kind: "columns", rowCount: data.length, columns };
}

/** A list of row objects → columns (keys in order of first appearance; a key absent in a row → null). */
export function recordsToColumns(records: unknown[], field: string): ColumnsInput {
  const index = new Map<string, unknown[]>();
  records.forEach((rec, r) => {
    if (!isPlainObject(rec)) throw new ModelInputError(`"${field}": entry ${r} is not an object of column values.`);
    for (const key of Object.keys(rec)) {
      let col = index.get(key);
      if (!col) {
        col = new Array<unknown>(records.length).fill(null);
        index.set(key, col);
      }
      col[r] = rec[key];
    }
  });
  return { kind: "columns", rowCount: records.length, columns: [...index].map(([name, values]) => ({ name, values })) };
}

function fromInputs(inputs: unknown): ModelInput {
  if (isPlainObject(inputs)) return tensorsInput(Object.entries(inputs).map(([name, v]) => tensorOf(v, name)));
  if (Array.isArray(inputs) && inputs.length > 0 && isPlainObject(inputs[0])) return recordsToColumns(inputs, "inputs");
  return tensorsInput([tensorOf(inputs, undefined)]);
}

function fromInstances(instances: unknown): ModelInput {
  if (!Array.isArray(instances)) throw new ModelInputError('"instances" must be a list.');
  if (instances.length > 0 && isPlainObject(instances[0])) return recordsToColumns(instances, "instances");
  return tensorsInput([tensorOf(instances, undefined)]);
}

/** A parsed JSON body of `POST /invocations` → the parsed input and params (not yet validated). */
export function parseJsonRequest(body: unknown, schema?: Schema): ParsedRequest {
  if (!isPlainObject(body)) throw new ModelInputError(`Invalid input. ${PROTOCOL_HINT}`);
  const keys = INPUT_FORMATS.filter((k) => k in body);
  if (keys.length !== 1) {
    const got = keys.length === 0 ? `none of them (got keys ${JSON.stringify(Object.keys(body))})` : `${JSON.stringify(keys)}`;
    throw new ModelInputError(`Invalid input: expected exactly one input format key, found ${got}. ${PROTOCOL_HINT}`);
  }
  const params = body.params;
  if (params !== undefined && params !== null && !isPlainObject(params)) throw new ModelInputError('"params" must be a JSON object.');
  const key = keys[0];
  const value = body[key];
  let input: ModelInput;
  switch (key) {
    case "dataframe_split":
      input = fromSplit(value, schema);
      break;
    case "dataframe_records":
      if (!Array.isArray(value)) throw new ModelInputError('"dataframe_records" must be a list of row objects.');
      input = recordsToColumns(value, "dataframe_records");
      break;
    case "instances":
      input = fromInstances(value);
      break;
    case "inputs":
      input = fromInputs(value);
      break;
  }
  return { input, ...(isPlainObject(params) ? { params } : {}) };
}
