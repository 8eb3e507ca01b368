/**
 * The Open Inference Protocol v2 JSON tensor format (KServe
 * `docs/predict-api/v2/required_api.md`), in and out of ciclo's
 * {@link ModelInput} / {@link ModelOutput}:
 *
 * request  `{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype", "parameters"?, "data"}], "outputs"?: [{"name"}]}`
 * response `{"model_name", "model_version", "id"?, "outputs": [{"name", "shape", "datatype", "data"}]}`
 *
 * `data` may be flat or nested (row-major); its element count must equal the
 * product of `shape`, and its elements must fit `datatype` — every mismatch is
 * a 400 naming the tensor. Request `parameters` (other than the protocol's own
 * `content_type` / `headers`) are passed to the model as params.
 * @module
 */
import { ModelInputError, toTensorData, flattenNested, type ModelParams, type Tensor, type TensorData, type TensorsInput, type ModelOutput, type Schema, type TensorDtype } from "../../models/index.js";

/** v2 datatype → numpy dtype name (MLflow's tensor-spec names). */
const FROM_V2: Record<string, TensorDtype> = {
  BOOL: "bool",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  UINT64: "uint64",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  FP16: "float16",
  FP32: "float32",
  FP64: "float64",
  BYTES: "str",
};

const TO_V2: Record<string, string> = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float32: "FP32",
  float64: "FP64",
  str: "BYTES",
  object: "BYTES",
  bytes: "BYTES",
};

/** Column types of a column-based signature, as v2 datatypes (for model metadata). */
const COLUMN_TO_V2: Record<string, string> = {
  boolean: "BOOL",
  integer: "INT32",
  long: "INT64",
  float: "FP32",
  double: "FP64",
  string: "BYTES",
  binary: "BYTES",
  datetime: "BYTES",
  json: "BYTES",
};

function v2Datatype(dtype: string): string {
  return TO_V2[dtype] ?? "BYTES";
}

export interface V2Request {
  id?: string;
  input: TensorsInput;
  params: ModelParams;
  /** Output names asked for (undefined = all). */
  outputs?: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseTensor(raw: unknown, i: number): Tensor {
  if (!isObject(raw)) throw new ModelInputError(`inputs[${i}] must be an object with name, shape, datatype and data.`);
  const name = raw.name;
  if (typeof name !== "string" || name === "") throw new ModelInputError(`inputs[${i}] needs a "name" string.`);
  const label = `input '${name}'`;
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new ModelInputError(`${label}: "shape" must be a list of non-negative integers.`);
  }
  const dtype = FROM_V2[String(raw.datatype)];
  if (!dtype) throw new ModelInputError(`${label}: unknown datatype ${JSON.stringify(raw.datatype)} (one of ${Object.keys(FROM_V2).join(", ")}).`);
  if (dtype === "float16") throw new ModelInputError(`${label}: FP16 cannot be sent as JSON numbers; use FP32.`);
  if (!Array.isArray(raw.data)) throw new ModelInputError(`${label}: "data" must be a list.`);
  const flat = raw.data.length > 0 && Array.isArray(raw.data[0]) ? flattenNested(raw.data, label).data : (raw.data as unknown[]);
  const expected = (shape as number[]).reduce((a, b) => a * b, 1);
  if (flat.length !== expected) {
    throw new ModelInputError(`${label}: shape [${shape.join(", ")}] needs ${expected} values; "data" has ${flat.length}.`);
  }
  return { name, dtype, shape: shape as number[], data: toTensorData(label, dtype, flat) };
}

const PROTOCOL_PARAMETERS = new Set(["content_type", "headers"]);

/** A parsed v2 infer body → tensors, params and the outputs asked for. */
export function parseV2Request(body: unknown): V2Request {
  if (!isObject(body)) throw new ModelInputError("The request body must be a JSON object with an \"inputs\" list.");
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new ModelInputError('"inputs" must be a non-empty list of tensors.');
  const tensors = inputs.map(parseTensor);
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name!)) throw new ModelInputError(`input '${t.name}' is given twice.`);
    names.add(t.name!);
  }
  const rows = tensors[0].shape.length === 0 ? 1 : tensors[0].shape[0];
  for (const t of tensors) {
    const r = t.shape.length === 0 ? 1 : t.shape[0];
    if (r !== rows) throw new ModelInputError(`input '${t.name}' has ${r} rows; input '${tensors[0].name}' has ${rows}.`);
  }
  const params: ModelParams = {};
  if (body.parameters !== undefined) {
    if (!isObject(body.parameters)) throw new ModelInputError('"parameters" must be an object.');
    for (const [k, v] of Object.entries(body.parameters)) if (!PROTOCOL_PARAMETERS.has(k)) params[k] = v;
  }
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || !body.outputs.every((o) => isObject(o) && typeof o.name === "string")) {
      throw new ModelInputError('"outputs" must be a list of {"name": ...} objects.');
    }
    outputs = body.outputs.map((o) => String((o as Record<string, unknown>).name));
  }
  if (body.id !== undefined && typeof body.id !== "string") throw new ModelInputError('"id" must be a string.');
  return { ...(typeof body.id === "string" ? { id: body.id } : {}), input: { kind: "tensors", rowCount: rows, tensors }, params, ...(outputs ? { outputs } : {}) };
}

export interface V2OutputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

function plain(data: TensorData): unknown[] {
  const out = new Array<unknown>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = (data as ArrayLike<unknown>)[i];
    out[i] = typeof v === "bigint" ? Number(v) : typeof v === "number" && !Number.isFinite(v) ? null : v;
  }
  return out;
}

function dtypeOfData(data: unknown): string {
  if (data instanceof Float32Array) return "FP32";
  if (data instanceof Float64Array) return "FP64";
  if (data instanceof Int32Array) return "INT32";
  if (data instanceof BigInt64Array) return "INT64";
  if (Array.isArray(data) && data.length > 0) return typeof data[0] === "boolean" ? "BOOL" : typeof data[0] === "number" ? "FP64" : "BYTES";
  return "FP64";
}

/** A model output → v2 output tensors (columns become `[rows]` or `[rows, width]` tensors). */
export function toV2Outputs(output: ModelOutput, outputNames?: string[]): V2OutputTensor[] {
  let outs: V2OutputTensor[];
  switch (output.kind) {
    case "tensors":
      outs = output.tensors.map((t, i) => ({ name: t.name ?? `output_${i}`, shape: t.shape, datatype: v2Datatype(t.dtype), data: plain(t.data) }));
      break;
    case "columns":
      outs = output.columns.map((c) => ({
        name: c.name,
        shape: c.width === 1 ? [output.rowCount] : [output.rowCount, c.width],
        datatype: dtypeOfData(c.data),
        data: plain(c.data),
      }));
      break;
    case "rows": {
      const rows = output.rows;
      const nested = Array.isArray(rows) && rows.some((r) => Array.isArray(r) || (typeof r === "object" && r !== null));
      outs = [
        nested
          ? { name: "predictions", shape: [rows.length], datatype: "BYTES", data: (rows as unknown[]).map((r) => JSON.stringify(r)) }
          : { name: "predictions", shape: [rows.length], datatype: dtypeOfData(rows), data: plain(rows as TensorData) },
      ];
      break;
    }
    case "value":
      outs = [{ name: "output", shape: [1], datatype: "BYTES", data: [JSON.stringify(output.value)] }];
      break;
  }
  if (!outputNames) return outs;
  return outputNames.map((n) => {
    const o = outs.find((x) => x.name === n);
    if (!o) throw new ModelInputError(`The model has no output '${n}' (outputs: ${outs.map((x) => x.name).join(", ")}).`);
    return o;
  });
}

export interface V2TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** A schema as v2 tensor metadata (`-1` for variable dimensions; columns are `[-1]` tensors). */
export function schemaMetadata(schema: Schema | undefined): V2TensorMetadata[] {
  if (!schema) return [];
  if (schema.kind === "tensors") return schema.tensors.map((t, i) => ({ name: t.name ?? `input_${i}`, datatype: v2Datatype(t.dtype), shape: t.shape }));
  return schema.columns.map((c, i) => ({ name: c.name ?? String(i), datatype: COLUMN_TO_V2[c.type] ?? "BYTES", shape: [-1] }));
}
