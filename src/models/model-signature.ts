/**
 * Model signatures as MLflow writes them in `MLmodel` (`mlflow/types/schema.py`):
 *
 * - column-based: `[{"type": "double", "name": "x", "required": true}, ...]`;
 * - tensor-based: `[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "X"}]`;
 * - params: `[{"name": "k", "type": "long", "default": 3, "shape": null}]`.
 *
 * In `MLmodel` each of `inputs`, `outputs` and `params` is a JSON *string*;
 * {@link parseSignature} and {@link signatureToMlmodel} convert between that
 * form and these types. Column and tensor specs cannot be mixed in one schema.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";

/** MLflow's `DataType` names for column specs. */
const COLUMN_TYPES = ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/**
 * A column spec. `type` is one of {@link COLUMN_TYPES}, or `"json"` for the
 * 2.x composite types (`array`, `object`, `map`, `any`): those columns are kept
 * as JSON values and not checked further; `rawType` keeps MLflow's original entry.
 */
export interface ColSpec {
  type: ColumnType | "json";
  name?: string;
  /** MLflow ≥ 2.9 writes `required`; older `optional: true` means `required: false`. */
  required: boolean;
  rawType?: unknown;
}

/** numpy dtype names as MLflow writes them in `tensor-spec`. */
const TENSOR_DTYPES = [
  "float16",
  "float32",
  "float64",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "bool",
  "str",
  "object",
  "bytes",
] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

export interface TensorSpec {
  name?: string;
  dtype: TensorDtype;
  /** -1 for a variable dimension (usually the batch). */
  shape: number[];
}

export type Schema = { kind: "columns"; columns: ColSpec[] } | { kind: "tensors"; tensors: TensorSpec[] };

export interface ParamSpec {
  name: string;
  type: ColumnType;
  default: unknown;
  /** null for a scalar, `[-1]` for a list. */
  shape: number[] | null;
}

export interface ModelSignature {
  inputs?: Schema;
  outputs?: Schema;
  params?: ParamSpec[];
}

/** The `signature:` block of an MLmodel file (JSON strings). */
export interface MlmodelSignature {
  inputs?: string | null;
  outputs?: string | null;
  params?: string | null;
}

function bad(message: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Invalid model signature: ${message}`);
}

function parseJsonList(text: unknown, field: string): unknown[] | undefined {
  if (text === undefined || text === null || text === "") return undefined;
  let value: unknown = text;
  if (typeof text === "string") {
    try {
      value = JSON.parse(text);
    } catch {
      throw bad(`'${field}' is not valid JSON`);
    }
  }
  if (value === null) return undefined;
  if (!Array.isArray(value)) throw bad(`'${field}' must be a JSON list`);
  return value;
}

function parseColSpec(raw: Record<string, unknown>, field: string): ColSpec {
  const name = raw.name === undefined || raw.name === null ? undefined : String(raw.name);
  const required = raw.required !== undefined ? raw.required !== false : raw.optional !== true;
  const t = raw.type;
  if (typeof t === "string" && (COLUMN_TYPES as readonly string[]).includes(t)) {
    return { type: t as ColumnType, ...(name !== undefined ? { name } : {}), required };
  }
  if (t === "array" || t === "object" || t === "map" || t === "any" || t === "Any" || (typeof t === "object" && t !== null)) {
    return { type: "json", ...(name !== undefined ? { name } : {}), required, rawType: raw };
  }
  throw bad(`unknown column type ${JSON.stringify(t)} in '${field}'`);
}

function parseTensorSpec(raw: Record<string, unknown>, field: string): TensorSpec {
  const spec = raw["tensor-spec"] as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== "object") throw bad(`tensor entry without 'tensor-spec' in '${field}'`);
  const dtype = String(spec.dtype);
  if (!(TENSOR_DTYPES as readonly string[]).includes(dtype)) throw bad(`unknown tensor dtype '${dtype}' in '${field}'`);
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && (d as number) >= -1)) {
    throw bad(`tensor shape must be a list of integers (-1 = any) in '${field}'`);
  }
  const name = raw.name === undefined || raw.name === null ? undefined : String(raw.name);
  return { dtype: dtype as TensorDtype, shape: spec.shape as number[], ...(name !== undefined ? { name } : {}) };
}

/** Parses one schema (`inputs` or `outputs`): a JSON string or an already-parsed list. */
export function parseSchema(text: unknown, field = "inputs"): Schema | undefined {
  const list = parseJsonList(text, field);
  if (!list || list.length === 0) return undefined;
  const entries = list.map((e) => {
    if (!e || typeof e !== "object") throw bad(`entries of '${field}' must be objects`);
    return e as Record<string, unknown>;
  });
  const tensors = entries.filter((e) => e.type === "tensor");
  if (tensors.length > 0 && tensors.length < entries.length) throw bad(`'${field}' mixes column and tensor specs`);
  if (tensors.length > 0) return { kind: "tensors", tensors: entries.map((e) => parseTensorSpec(e, field)) };
  return { kind: "columns", columns: entries.map((e) => parseColSpec(e, field)) };
}

function parseParamSchema(text: unknown): ParamSpec[] | undefined {
  const list = parseJsonList(text, "params");
  if (!list || list.length === 0) return undefined;
  return list.map((e) => {
    const raw = e as Record<string, unknown>;
    if (!raw || typeof raw.name !== "string") throw bad("every param needs a name");
    if (!(COLUMN_TYPES as readonly string[]).includes(String(raw.type))) throw bad(`unknown param type '${String(raw.type)}'`);
    const shape = Array.isArray(raw.shape) ? (raw.shape as number[]) : null;
    return { name: raw.name, type: raw.type as ColumnType, default: raw.default ?? null, shape };
  });
}

/** The `signature:` block of a parsed MLmodel → typed signature (undefined when absent or empty). */
export function parseSignature(block: unknown): ModelSignature | undefined {
  if (!block || typeof block !== "object") return undefined;
  const b = block as MlmodelSignature;
  const inputs = parseSchema(b.inputs, "inputs");
  const outputs = parseSchema(b.outputs, "outputs");
  const params = parseParamSchema(b.params);
  if (!inputs && !outputs && !params) return undefined;
  return { ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}), ...(params ? { params } : {}) };
}

/**
 * JSON as Python's `json.dumps` writes it by default — `", "` and `": "`
 * separators, non-ASCII escaped — so signature strings read the same as
 * MLflow's, byte for byte.
 */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  const text = JSON.stringify(value ?? null);
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One schema as MLflow's `Schema.to_json()` writes it. */
export function schemaToJson(schema: Schema): string {
  if (schema.kind === "tensors") {
    // MLflow compat: key order as `TensorSpec.to_dict()` writes it.
    return pythonJson(
      schema.tensors.map((t) => ({
        type: "tensor",
        "tensor-spec": { dtype: t.dtype, shape: t.shape },
        ...(t.name !== undefined ? { name: t.name } : {}),
      })),
    );
  }
  return pythonJson(
    schema.columns.map((c) => {
      if (c.type === "json" && c.rawType && typeof c.rawType === "object") return c.rawType;
      return { type: c.type, ...(c.name !== undefined ? { name: c.name } : {}), required: c.required };
    }),
  );
}

/** Typed signature → the `signature:` block of MLmodel (JSON strings; `params: null` as MLflow ≥ 2.7 writes). */
export function signatureToMlmodel(sig: ModelSignature): MlmodelSignature {
  return {
    inputs: sig.inputs ? schemaToJson(sig.inputs) : null,
    outputs: sig.outputs ? schemaToJson(sig.outputs) : null,
    params: sig.params
      ? pythonJson(sig.params.map((p) => ({ name: p.name, type: p.type, default: p.default, shape: p.shape })))
      : null,
  };
}

/** Names of a schema's entries (columns or tensors), in order; unnamed entries are skipped. */
export function schemaNames(schema: Schema): string[] {
  const items = schema.kind === "columns" ? schema.columns : schema.tensors;
  return items.flatMap((i) => (i.name !== undefined ? [i.name] : []));
}
