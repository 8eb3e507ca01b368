/**
 * Value conversions shared by the input validator: JSON/CSV values → the typed
 * arrays of {@link ColumnValues} / {@link TensorData}, allowing only safe
 * numeric conversions (MLflow's `_enforce_mlflow_datatype` rule): integers may
 * widen to floats, a float with a fraction never becomes an integer, and a
 * value out of an integer type's range is refused. Errors name the column.
 * @module
 */
import { MlflowError } from "../shared/errors.js";
import type { ColumnValues, TensorData } from "./model-input.js";
import type { ColumnType, TensorDtype } from "./model-signature.js";

/** Bad scoring input: MLflow's BAD_REQUEST (HTTP 400), with a message naming the column or tensor. */
export class ModelInputError extends MlflowError {
  constructor(message: string) {
    super(message, "BAD_REQUEST");
  }
}

const INT_RANGES: Partial<Record<TensorDtype | ColumnType, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  integer: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "bigint") return v.toString();
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function typeError(label: string, type: string, row: number, v: unknown, why: string): ModelInputError {
  return new ModelInputError(`Incompatible input types for ${label} (${type}): value ${describe(v)} at row ${row} ${why}.`);
}

/** A number for a float/integer target; null/undefined → NaN only when `nullable`. */
function num(label: string, type: string, v: unknown, row: number, nullable: boolean): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if ((v === null || v === undefined) && nullable) return Number.NaN;
  if (v === null || v === undefined) throw typeError(label, type, row, v, "is missing and the input is required");
  throw typeError(label, type, row, v, "is not a number");
}

function int(label: string, type: ColumnType | TensorDtype, v: unknown, row: number): number {
  const n = num(label, type, v, row, false);
  if (!Number.isInteger(n)) throw typeError(label, type, row, v, "is not an integer; converting it would lose the fraction");
  const range = INT_RANGES[type];
  if (range && (n < range[0] || n > range[1])) throw typeError(label, type, row, v, `is out of range [${range[0]}, ${range[1]}]`);
  return n;
}

function fillNumeric<T extends { [i: number]: number; length: number }>(
  out: T,
  raw: ArrayLike<unknown>,
  conv: (v: unknown, row: number) => number,
): T {
  for (let i = 0; i < raw.length; i++) out[i] = conv(raw[i], i);
  return out;
}

function isTypedNumeric(raw: ArrayLike<unknown>): raw is Float64Array | Float32Array | Int32Array {
  return raw instanceof Float64Array || raw instanceof Float32Array || raw instanceof Int32Array;
}

function bool(label: string, type: string, v: unknown, row: number): boolean {
  if (typeof v === "boolean") return v;
  // CSV and some clients send 0/1 or "true"/"false" for booleans.
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw typeError(label, type, row, v, "is not a boolean");
}

function str(label: string, type: string, v: unknown, row: number, nullable: boolean): string | null {
  if (typeof v === "string") return v;
  if ((v === null || v === undefined) && nullable) return null;
  throw typeError(label, type, row, v, "is not a string");
}

/** One column's values converted to its spec type. */
export function toColumnValues(name: string, type: ColumnType | "json", raw: ArrayLike<unknown>, required: boolean): ColumnValues {
  const label = `column '${name}'`;
  const n = raw.length;
  switch (type) {
    case "double":
      if (raw instanceof Float64Array) return raw;
      if (isTypedNumeric(raw)) return Float64Array.from(raw);
      return fillNumeric(new Float64Array(n), raw, (v, i) => num(label, type, v, i, !required));
    case "float":
      if (raw instanceof Float32Array) return raw;
      if (isTypedNumeric(raw)) return Float32Array.from(raw);
      return fillNumeric(new Float32Array(n), raw, (v, i) => num(label, type, v, i, !required));
    case "integer":
      if (raw instanceof Int32Array) return raw;
      return fillNumeric(new Int32Array(n), raw, (v, i) => int(label, type, v, i));
    case "long":
      return fillNumeric(new Float64Array(n), raw, (v, i) => int(label, type, v, i));
    case "boolean": {
      const out = new Array<boolean>(n);
      for (let i = 0; i < n; i++) out[i] = bool(label, type, raw[i], i);
      return out;
    }
    case "string":
    case "datetime": {
      const out = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const s = str(label, type, raw[i], i, !required);
        if (type === "datetime" && s !== null && Number.isNaN(Date.parse(s))) throw typeError(label, type, i, s, "is not a date-time");
        out[i] = s;
      }
      return out;
    }
    case "binary": {
      const out = new Array<Uint8Array | null>(n);
      for (let i = 0; i < n; i++) {
        const v = raw[i];
        if (v instanceof Uint8Array) out[i] = v;
        else {
          const s = str(label, type, v, i, !required);
          out[i] = s === null ? null : new Uint8Array(Buffer.from(s, "base64"));
        }
      }
      return out;
    }
    case "json":
      return Array.from(raw);
  }
}

const TENSOR_CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;

/** Flat tensor data converted to a dtype (safe conversions only). */
export function toTensorData(label: string, dtype: TensorDtype, raw: ArrayLike<unknown>): TensorData {
  const n = raw.length;
  switch (dtype) {
    case "float32":
    case "float64": {
      const Ctor = TENSOR_CTORS[dtype];
      if (raw instanceof Ctor) return raw;
      if (isTypedNumeric(raw)) return Ctor.from(raw);
      return fillNumeric(new Ctor(n), raw, (v, i) => num(label, dtype, v, i, false));
    }
    case "int8":
    case "int16":
    case "int32":
    case "uint8":
    case "uint16":
    case "uint32": {
      const Ctor = TENSOR_CTORS[dtype];
      if (raw instanceof Ctor) return raw;
      return fillNumeric(new Ctor(n), raw, (v, i) => int(label, dtype, v, i));
    }
    case "int64":
    case "uint64": {
      if (dtype === "int64" && raw instanceof BigInt64Array) return raw;
      if (dtype === "uint64" && raw instanceof BigUint64Array) return raw;
      const out = dtype === "int64" ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = raw[i];
        out[i] = typeof v === "bigint" ? v : BigInt(int(label, dtype, v, i));
      }
      return out;
    }
    case "bool": {
      const out = new Array<boolean>(n);
      for (let i = 0; i < n; i++) out[i] = bool(label, dtype, raw[i], i);
      return out;
    }
    case "str":
    case "object":
    case "bytes": {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = str(label, dtype, raw[i], i, false) as string;
      return out;
    }
    case "float16":
      throw new ModelInputError(`${label}: float16 tensors are not supported; use float32.`);
  }
}

/** Without a schema: numbers → Float64Array, booleans → boolean[], strings → string[] (else an error). */
export function inferTensorData(label: string, raw: ArrayLike<unknown>): { dtype: TensorDtype; data: TensorData } {
  if (isTypedNumeric(raw)) return { dtype: raw instanceof Float32Array ? "float32" : raw instanceof Int32Array ? "int32" : "float64", data: raw };
  if (raw instanceof BigInt64Array) return { dtype: "int64", data: raw };
  const first = raw.length > 0 ? raw[0] : 0;
  if (typeof first === "boolean") return { dtype: "bool", data: toTensorData(label, "bool", raw) };
  if (typeof first === "string") return { dtype: "str", data: toTensorData(label, "str", raw) };
  return { dtype: "float64", data: toTensorData(label, "float64", raw) };
}

/** Column values inferred without a schema: all numbers (or null) → Float64Array, else kept as they are. */
export function inferColumnValues(raw: ArrayLike<unknown>): ColumnValues {
  if (isTypedNumeric(raw)) return raw;
  let numeric = raw.length > 0;
  for (let i = 0; i < raw.length && numeric; i++) numeric = typeof raw[i] === "number" || raw[i] === null;
  if (numeric) return fillNumeric(new Float64Array(raw.length), raw, (v) => (v === null ? Number.NaN : (v as number)));
  return Array.from(raw);
}
