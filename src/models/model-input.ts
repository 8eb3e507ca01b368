/**
 * The parsed input every flavor receives, whatever protocol it came in by
 * (MLflow's `dataframe_split` / `dataframe_records` / `instances` / `inputs`,
 * CSV, the Open Inference Protocol v2, batch files).
 *
 * Two shapes, matching MLflow's two schema kinds:
 * - {@link ColumnsInput}: a data frame — named, typed columns of equal length;
 * - {@link TensorsInput}: one or more n-d tensors (row-major flat data + shape).
 *
 * Everything here is structured-cloneable (typed arrays, plain arrays), so an
 * input can be posted to a worker thread as is, and concatenated for batching
 * ({@link concatInputs}). Parsing lives in `input-parser.ts` / `csv-input.ts`;
 * checking and coercion against a signature in `input-validator.ts`.
 * @module
 */
import type { ColumnType, TensorDtype } from "./model-signature.js";

/**
 * Values of one column, by type after validation:
 * - `double` → Float64Array (null → NaN when the column is optional);
 * - `float` → Float32Array; `integer` → Int32Array;
 * - `long` → Float64Array holding integers (exact up to 2^53; flavors widen to int64 when they feed it);
 * - `boolean` → boolean[]; `string` / `datetime` (ISO-8601 text) → (string | null)[];
 * - `binary` → (Uint8Array | null)[] (base64 on the wire); `json` → unknown[].
 * Before validation (no signature), numbers are Float64Array and the rest unknown[].
 */
export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | boolean[]
  | (string | null)[]
  | (Uint8Array | null)[]
  | unknown[];

export interface InputColumn {
  name: string;
  /** The signature's type once validated; `undefined` when no signature was applied (inferred). */
  type?: ColumnType | "json";
  values: ColumnValues;
}

export interface ColumnsInput {
  kind: "columns";
  rowCount: number;
  columns: InputColumn[];
}

/**
 * Flat row-major tensor data, by dtype (int64 → BigInt64Array, bool → boolean[],
 * str → string[]). Parsed but not yet validated tensors hold plain JSON values (unknown[]).
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | boolean[]
  | string[]
  | unknown[];

export interface Tensor {
  /** Absent for the single unnamed tensor of `{"inputs": [[...]]}`. */
  name?: string;
  dtype: TensorDtype;
  /** Concrete dimensions (never -1); product = data.length. */
  shape: number[];
  data: TensorData;
}

export interface TensorsInput {
  kind: "tensors";
  /** Rows = the first dimension shared by every tensor (1 for rank-0 tensors). */
  rowCount: number;
  tensors: Tensor[];
}

export type ModelInput = ColumnsInput | TensorsInput;

/** Model parameters after validation against the params schema (defaults filled in). */
export type ModelParams = Record<string, unknown>;

/** The column with that name, or undefined. */
function columnOf(input: ColumnsInput, name: string): InputColumn | undefined {
  return input.columns.find((c) => c.name === name);
}

/** Elements per row of a tensor (the product of every dimension but the first). */
export function rowWidth(t: Tensor): number {
  let w = 1;
  for (let i = 1; i < t.shape.length; i++) w *= t.shape[i];
  return w;
}

function concatData<T extends ColumnValues | TensorData>(parts: T[]): T {
  const first = parts[0];
  if (Array.isArray(first)) return ([] as unknown[]).concat(...(parts as unknown[][])) as T;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = (first as unknown as { constructor: new (n: number) => ArrayLike<number> & { set(a: ArrayLike<number>, o: number): void } }).constructor;
  const out = new Ctor(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p as unknown as ArrayLike<number>, offset);
    offset += p.length;
  }
  return out as unknown as T;
}

/**
 * Stacks inputs row-wise (for batching requests): every input must have the
 * same kind and the same columns/tensors (names, types, row widths) in the same
 * order — true for inputs validated against the same signature. Throws otherwise;
 * callers then run them one by one.
 */
export function concatInputs(inputs: ModelInput[]): ModelInput {
  if (inputs.length === 0) throw new Error("concatInputs: no input");
  if (inputs.length === 1) return inputs[0];
  const first = inputs[0];
  const rowCount = inputs.reduce((n, i) => n + i.rowCount, 0);
  if (first.kind === "columns") {
    const all = inputs as ColumnsInput[];
    for (const i of all) {
      if (i.kind !== "columns" || i.columns.length !== first.columns.length) throw new Error("concatInputs: different columns");
      i.columns.forEach((c, k) => {
        const f = first.columns[k];
        if (c.name !== f.name || c.type !== f.type || c.values.constructor !== f.values.constructor) {
          throw new Error(`concatInputs: column '${c.name}' differs`);
        }
      });
    }
    return {
      kind: "columns",
      rowCount,
      columns: first.columns.map((c, k) => ({ ...c, values: concatData(all.map((i) => i.columns[k].values)) })),
    };
  }
  const all = inputs as TensorsInput[];
  for (const i of all) {
    if (i.kind !== "tensors" || i.tensors.length !== first.tensors.length) throw new Error("concatInputs: different tensors");
    i.tensors.forEach((t, k) => {
      const f = first.tensors[k];
      if (t.name !== f.name || t.dtype !== f.dtype || t.shape.length !== f.shape.length || t.shape.length === 0) {
        throw new Error(`concatInputs: tensor '${t.name ?? k}' differs`);
      }
      for (let d = 1; d < t.shape.length; d++) if (t.shape[d] !== f.shape[d]) throw new Error(`concatInputs: tensor '${t.name ?? k}' shape differs`);
    });
  }
  return {
    kind: "tensors",
    rowCount,
    tensors: first.tensors.map((t, k) => ({
      ...t,
      shape: [all.reduce((n, i) => n + i.tensors[k].shape[0], 0), ...t.shape.slice(1)],
      data: concatData(all.map((i) => i.tensors[k].data)),
    })),
  };
}
