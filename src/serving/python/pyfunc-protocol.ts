/**
 * The local protocol between ciclo's scoring front and a Python model worker
 * (`pyfunc_worker.py`, same folder): one frame per batch each way, over the
 * worker's stdin/stdout.
 *
 * ```
 * frame = u32 header_len (LE) | u32 body_len (LE) | header (UTF-8 JSON) | body
 * ```
 * The header is small (names, dtypes, shapes, params); column and tensor
 * values travel in the body as raw little-endian typed arrays (`buf: [offset,
 * nbytes]`), so a batch of 64 numeric rows is a few hundred bytes of header
 * plus the numbers — no JSON per row. Values with no typed form (strings,
 * objects, nested lists) travel as JSON lists in the header.
 * @module
 */
import type { ModelInput, ModelOutput, ModelParams, Tensor, TensorData, TensorDtype } from "../../models/index.js";

/** The Python side's description of one array (input or output). */
export interface ArraySpec {
  name?: string | null;
  /** numpy dtype wanted (`float64`, `int64`, `bool`, `str`, `object`, …); absent = let numpy infer from values. */
  dtype?: string;
  /** numpy dtype of the bytes in the body (inputs only; outputs send `dtype`). */
  wire?: string;
  shape?: number[];
  buf?: [number, number];
  values?: unknown[];
}

export interface FrameHeader {
  [key: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  body: Buffer;
}

class BodyBuilder {
  readonly parts: Buffer[] = [];
  size = 0;
  add(view: ArrayBufferView): [number, number] {
    // Keep arrays 8-byte aligned in the body so numpy and typed arrays can view them.
    const pad = (8 - (this.size % 8)) % 8;
    if (pad) {
      this.parts.push(Buffer.alloc(pad));
      this.size += pad;
    }
    const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    this.parts.push(b);
    const at: [number, number] = [this.size, b.length];
    this.size += b.length;
    return at;
  }
}

/** Signature column types → numpy dtypes. */
const COLUMN_DTYPE: Record<string, string> = {
  double: "float64",
  float: "float32",
  integer: "int32",
  long: "int64",
  boolean: "bool",
  string: "str",
  datetime: "datetime",
  binary: "binary",
  json: "object",
};

function wireOf(v: ArrayBufferView): string | undefined {
  if (v instanceof Float64Array) return "float64";
  if (v instanceof Float32Array) return "float32";
  if (v instanceof Int32Array) return "int32";
  if (v instanceof BigInt64Array) return "int64";
  if (v instanceof Int16Array) return "int16";
  if (v instanceof Int8Array) return "int8";
  if (v instanceof Uint8Array) return "uint8";
  if (v instanceof Uint16Array) return "uint16";
  if (v instanceof Uint32Array) return "uint32";
  if (v instanceof BigUint64Array) return "uint64";
  return undefined;
}

/**
 * Untyped JSON values (a request without a signature) → what pandas would make
 * of them: all integers → int64, numbers (nulls as NaN) → float64, all
 * booleans → bool; anything else stays a JSON list for numpy to infer.
 */
function inferredArray(values: ArrayLike<unknown>, body: BodyBuilder, spec: ArraySpec): ArraySpec {
  const n = values.length;
  let numbers = 0;
  let nulls = 0;
  let bools = 0;
  let integral = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number") {
      numbers++;
      if (integral && !Number.isSafeInteger(v)) integral = false;
    } else if (v === null || v === undefined) nulls++;
    else if (typeof v === "boolean") bools++;
    else break;
  }
  if (n > 0 && numbers + nulls === n && numbers > 0) {
    const f = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, (v) => (v === null || v === undefined ? NaN : v));
    return { ...spec, wire: "float64", dtype: integral && nulls === 0 ? "int64" : "float64", buf: body.add(f) };
  }
  if (n > 0 && bools === n) return { ...spec, wire: "uint8", dtype: "bool", buf: body.add(Uint8Array.from(values as ArrayLike<boolean>, (b) => (b ? 1 : 0))) };
  return { ...spec, values: Array.from(values) };
}

function base64List(values: ArrayLike<unknown>): unknown[] {
  return Array.from(values, (v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : v));
}

/** One column or tensor's values → its spec (bytes added to `body`). */
function encodeValues(values: ArrayLike<unknown> | TensorData, dtype: string | undefined, body: BodyBuilder, spec: ArraySpec): ArraySpec {
  if (ArrayBuffer.isView(values)) {
    const wire = wireOf(values)!;
    if (dtype === undefined && wire === "float64") return inferredArray(values as Float64Array, body, spec);
    return { ...spec, wire, dtype: dtype ?? wire, buf: body.add(values) };
  }
  const list = values as unknown[];
  if (dtype === "bool") return { ...spec, wire: "uint8", dtype: "bool", buf: body.add(Uint8Array.from(list, (b) => (b ? 1 : 0))) };
  if (dtype === "binary" || dtype === "bytes") return { ...spec, dtype: "binary", values: base64List(list) };
  if (dtype === undefined || dtype === "object") return inferredArray(list, body, spec);
  return { ...spec, dtype, values: Array.from(list) };
}

function tensorDtype(t: Tensor): string | undefined {
  if (t.dtype === "object") return undefined; // not validated: infer
  if (t.dtype === "str") return "str";
  return t.dtype;
}

/** A batch → one request frame. */
export function encodeRequest(id: number, input: ModelInput, params: ModelParams | undefined): Frame {
  const body = new BodyBuilder();
  let spec: Record<string, unknown>;
  if (input.kind === "columns") {
    spec = {
      kind: "columns",
      rows: input.rowCount,
      columns: input.columns.map((c) => encodeValues(c.values, c.type === undefined ? undefined : COLUMN_DTYPE[c.type], body, { name: c.name })),
    };
  } else {
    spec = {
      kind: "tensors",
      tensors: input.tensors.map((t) => encodeValues(t.data, tensorDtype(t), body, { name: t.name ?? null, shape: t.shape })),
    };
  }
  const hasParams = params !== undefined && Object.keys(params).length > 0;
  return { header: { id, input: spec, ...(hasParams ? { params } : {}) }, body: Buffer.concat(body.parts, body.size) };
}

/** A frame → the bytes to write. */
export function frameBytes(f: Frame): Buffer {
  const h = Buffer.from(JSON.stringify(f.header), "utf8");
  const pre = Buffer.allocUnsafe(8);
  pre.writeUInt32LE(h.length, 0);
  pre.writeUInt32LE(f.body.length, 4);
  return Buffer.concat([pre, h, f.body]);
}

/** Reassembles frames from a byte stream (a pipe delivers them in arbitrary pieces). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  /** Bytes received and not yet handed out as frames. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.size < 8) return;
      let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
      this.chunks = [buf];
      const hlen = buf.readUInt32LE(0);
      const blen = buf.readUInt32LE(4);
      const total = 8 + hlen + blen;
      if (this.size < total) return;
      const header = JSON.parse(buf.toString("utf8", 8, 8 + hlen)) as FrameHeader;
      // Copy the body out: typed-array views need their own aligned buffer.
      const body = Buffer.from(buf.subarray(8 + hlen, total));
      buf = buf.subarray(total);
      this.chunks = buf.length > 0 ? [buf] : [];
      this.size = buf.length;
      this.onFrame({ header, body });
    }
  }
}

type TypedCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

const CTORS: Record<string, TypedCtor> = {
  float64: Float64Array,
  float32: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint64: BigUint64Array,
  uint32: Uint32Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** An output spec → its values (typed where the worker sent bytes; booleans as boolean[]). */
function decodeArray(spec: ArraySpec, body: Buffer): TensorData {
  if (spec.buf) {
    const ctor = CTORS[spec.dtype ?? ""];
    if (!ctor) throw new Error(`Python worker sent an array of unknown dtype '${spec.dtype}'`);
    const [off, n] = spec.buf;
    const copy = new ArrayBuffer(n);
    new Uint8Array(copy).set(body.subarray(off, off + n));
    const typed = new ctor(copy, 0, n / ctor.BYTES_PER_ELEMENT);
    if (spec.dtype === "bool") return Array.from(typed as Uint8Array, (b) => b !== 0);
    return typed as TensorData;
  }
  return spec.values ?? [];
}

/** 1-d values as a RowsOutput's rows (int64 → numbers; small integer types → numbers). */
function asRows(data: TensorData): Float64Array | Float32Array | Int32Array | unknown[] {
  if (data instanceof Float64Array || data instanceof Float32Array || data instanceof Int32Array || Array.isArray(data)) return data;
  return Array.from(data as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? Number(v) : v));
}

const DTYPES = new Set<string>(["float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"]);

function asTensor(spec: ArraySpec, body: Buffer): Tensor {
  const data = decodeArray(spec, body);
  const dtype = (DTYPES.has(spec.dtype ?? "") ? spec.dtype : "object") as TensorDtype;
  return { ...(spec.name != null ? { name: spec.name } : {}), dtype, shape: spec.shape ?? [data.length], data };
}

/** The worker's `output` → a {@link ModelOutput} the front serialises and splits per request. */
export function decodeOutput(out: Record<string, unknown>, body: Buffer, inputRows: number): ModelOutput {
  switch (out.kind) {
    case "rows":
      return { kind: "rows", rows: asRows(decodeArray(out.array as ArraySpec, body)) };
    case "tensors": {
      const tensors = (out.tensors as ArraySpec[]).map((t) => asTensor(t, body));
      return { kind: "tensors", rowCount: tensors[0]?.shape[0] ?? 0, tensors };
    }
    case "columns": {
      const columns = (out.columns as ArraySpec[]).map((c) => ({ name: String(c.name), data: decodeArray(c, body), width: 1 }));
      return { kind: "columns", rowCount: out.rows as number, columns };
    }
    case "list": {
      const values = out.values as unknown[];
      return values.length === inputRows ? { kind: "rows", rows: values } : { kind: "value", value: values };
    }
    default:
      return { kind: "value", value: out.value };
  }
}
