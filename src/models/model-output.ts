/**
 * What a flavor's `predict` returns, and how it becomes MLflow's
 * `{"predictions": …}` body (`predictions_to_json`, records-oriented):
 *
 * - {@link ColumnsOutput} → `[{"out": 1.5, "probabilities": [0.2, 0.8]}, …]` (a data frame's records;
 *   a column with one value per row gives a scalar, wider ones a list). MLflow's ONNX flavor returns a
 *   data frame of its outputs for data-frame input, so column-signature ONNX models answer this way.
 * - {@link TensorsOutput} → `{"name": nested list, …}` (a dict of ndarrays), or the bare nested list
 *   for a single unnamed tensor.
 * - {@link RowsOutput} → a list with one entry per input row (an ndarray / Series).
 * - {@link ValueOutput} → the value as is (a js_function may return anything JSON).
 *
 * All but `value` can be split back per request after a batched call ({@link sliceOutput}).
 * @module
 */
import { type Tensor, type TensorData, rowWidth } from "./model-input.js";

export interface OutputColumn {
  name: string;
  /** Row-major: `width` values per row. */
  data: TensorData;
  width: number;
}

interface ColumnsOutput {
  kind: "columns";
  rowCount: number;
  columns: OutputColumn[];
}

interface TensorsOutput {
  kind: "tensors";
  rowCount: number;
  tensors: Tensor[];
}

interface RowsOutput {
  kind: "rows";
  rows: unknown[] | Float64Array | Float32Array | Int32Array;
}

interface ValueOutput {
  kind: "value";
  value: unknown;
}

export type ModelOutput = ColumnsOutput | TensorsOutput | RowsOutput | ValueOutput;

function jsonScalar(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && !Number.isFinite(v)) return null;
  return v;
}

function at(data: TensorData, i: number): unknown {
  return jsonScalar((data as ArrayLike<unknown>)[i]);
}

/** Flat row-major data + shape → nested JSON lists (numbers as JS numbers; int64 → number; NaN → null). */
export function toNested(data: TensorData, shape: number[], offset = 0, dim = 0): unknown {
  if (shape.length === 0) return at(data, offset);
  const n = shape[dim];
  const out = new Array<unknown>(n);
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) out[i] = at(data, offset + i);
    return out;
  }
  let stride = 1;
  for (let d = dim + 1; d < shape.length; d++) stride *= shape[d];
  for (let i = 0; i < n; i++) out[i] = toNested(data, shape, offset + i * stride, dim + 1);
  return out;
}

/** The value of `"predictions"` in MLflow's scoring response. */
export function toPredictions(output: ModelOutput): unknown {
  switch (output.kind) {
    case "columns": {
      const records = new Array<Record<string, unknown>>(output.rowCount);
      for (let r = 0; r < output.rowCount; r++) {
        const rec: Record<string, unknown> = {};
        for (const c of output.columns) {
          rec[c.name] = c.width === 1 ? at(c.data, r) : toNested(c.data, [c.width], r * c.width);
        }
        records[r] = rec;
      }
      return records;
    }
    case "tensors": {
      if (output.tensors.length === 1 && output.tensors[0].name === undefined) {
        const t = output.tensors[0];
        return toNested(t.data, t.shape);
      }
      const obj: Record<string, unknown> = {};
      output.tensors.forEach((t, i) => {
        obj[t.name ?? String(i)] = toNested(t.data, t.shape);
      });
      return obj;
    }
    case "rows":
      return Array.isArray(output.rows) ? output.rows.map(jsonScalar) : Array.from(output.rows, jsonScalar);
    case "value":
      return output.value;
  }
}

/** Rows in an output, or undefined for a {@link ValueOutput} (which cannot be split). */
export function outputRowCount(output: ModelOutput): number | undefined {
  switch (output.kind) {
    case "columns":
    case "tensors":
      return output.rowCount;
    case "rows":
      return output.rows.length;
    case "value":
      return undefined;
  }
}

function sliceData(data: TensorData, start: number, end: number): TensorData {
  return data.slice(start, end) as TensorData;
}

/**
 * Rows [start, end) of a batched output — the part that answers one request.
 * Throws for a {@link ValueOutput}: a model returning a non-row value cannot be batched.
 */
export function sliceOutput(output: ModelOutput, start: number, end: number): ModelOutput {
  switch (output.kind) {
    case "columns":
      return {
        kind: "columns",
        rowCount: end - start,
        columns: output.columns.map((c) => ({ ...c, data: sliceData(c.data, start * c.width, end * c.width) })),
      };
    case "tensors":
      return {
        kind: "tensors",
        rowCount: end - start,
        tensors: output.tensors.map((t) => {
          if (t.shape.length === 0 || t.shape[0] !== output.rowCount) {
            throw new Error(`sliceOutput: output '${t.name ?? "?"}' is not row-aligned (shape [${t.shape.join(", ")}])`);
          }
          const w = rowWidth(t);
          return { ...t, shape: [end - start, ...t.shape.slice(1)], data: sliceData(t.data, start * w, end * w) };
        }),
      };
    case "rows":
      return { kind: "rows", rows: output.rows.slice(start, end) };
    case "value":
      throw new Error("sliceOutput: this model's output is not row-aligned, so it cannot be split per request");
  }
}

/**
 * A js_function's return value → a ModelOutput: an array or typed array with one
 * entry per input row becomes rows (batchable); a ModelOutput is kept; anything else is a value.
 */
export function normalizeOutput(value: unknown, rowCount: number): ModelOutput {
  if (value && typeof value === "object" && "kind" in value) {
    const k = (value as { kind: unknown }).kind;
    if (k === "columns" || k === "tensors" || k === "rows" || k === "value") return value as ModelOutput;
  }
  if (Array.isArray(value) && value.length === rowCount) return { kind: "rows", rows: value };
  if ((value instanceof Float64Array || value instanceof Float32Array || value instanceof Int32Array) && value.length === rowCount) {
    return { kind: "rows", rows: value };
  }
  return { kind: "value", value };
}
