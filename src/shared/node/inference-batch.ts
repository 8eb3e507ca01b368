/**
 * The binary inference batch: how `ciclo gateway` posts what it routed to
 * `POST /api/ciclo/v1/monitoring/inference/batch` (content type
 * {@link INFERENCE_BATCH_TYPE}). Length-prefixed fields and the request and
 * response bodies as the bytes the router holds, so the gateway builds no
 * JSON and the server parses none before the bodies' own parse (the segment's
 * columns). The JSON ingest stays for every other client.
 *
 * Layout, little-endian:
 * ```
 * "CIB" 0x01                      magic and version
 * u16 sources                     1..65535, then per source:
 *   str16 model_name              1..256 characters
 *   str16 model_version           1..64
 *   str16 endpoint                0..256 (0: none)
 *   str16 deployment              0..256 (0: none)
 *   f64 sample_rate               (0, 1]
 * u32 records                     0..100,000, then per record:
 *   u16 source                    index into the sources
 *   u16 status                    100..599
 *   f64 time                      epoch ms
 *   f64 latency_ms                >= 0
 *   str16 request_id              0..256 (0: none, the server makes one up)
 *   str32 request                 the request body, UTF-8
 *   str32 response                the response body, UTF-8
 * ```
 * `str16` / `str32` are a u16 / u32 byte length and that many UTF-8 bytes.
 * Nothing may follow the last record. {@link decodeInferenceBatch} checks
 * every field before it returns, so a malformed batch is refused whole.
 * @module
 */

export const INFERENCE_BATCH_TYPE = "application/vnd.ciclo.inference-batch";

const MAGIC = 0x01424943; // "CIB" then the version byte 1, as a little-endian u32
export const MAX_BATCH_RECORDS = 100_000;
const MAX_NAME = 256;
const MAX_VERSION = 64;
const MAX_REQUEST_ID = 256;

export interface BatchSource {
  modelName: string;
  modelVersion: string;
  endpoint: string | null;
  deployment: string | null;
  sampleRate: number;
}

export interface BatchRecord {
  source: BatchSource;
  requestId: string | undefined;
  time: number;
  latencyMs: number;
  status: number;
  /** The bodies: the bytes as received (a string is written as UTF-8). */
  request: Uint8Array | string | undefined;
  response: Uint8Array | string;
}

export interface DecodedRecord {
  source: BatchSource;
  requestId: string | undefined;
  time: number;
  latencyMs: number;
  status: number;
  request: string;
  response: string;
}

/** A batch that is not one: why, for the caller's error. */
export class InferenceBatchError extends Error {}

/** Bytes a field can take: a string's UTF-8 at most (3 per UTF-16 unit; measuring each exactly costs more than the spare room). */
function room(v: Uint8Array | string | null | undefined): number {
  return v === undefined || v === null ? 0 : typeof v === "string" ? v.length * 3 : v.byteLength;
}

/** A record without its source, as {@link InferenceBatchWriter.add} takes it (the router's own record fits). */
export type BatchRecordFields = Omit<BatchRecord, "source">;

/**
 * Builds a batch one record at a time: each record's fields and bodies are
 * copied into one growing buffer as it comes, so a caller that holds records
 * for a while (the gateway, 250 ms) holds one buffer, not the records and
 * the bodies they point to (which would outlive V8's young generation and be
 * copied and marked by its GC). {@link finish} writes the header and the
 * sources (known only then) before the records and starts the next batch.
 */
export class InferenceBatchWriter {
  private buf: Buffer;
  private o = 0;
  private n = 0;
  private sources: BatchSource[] = [];
  private index = new Map<BatchSource, number>();

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Records added since the last {@link finish}. */
  get records(): number {
    return this.n;
  }

  /** Appends one record; throws a RangeError (and adds nothing) past a batch's limits. */
  add(source: BatchSource, r: BatchRecordFields): void {
    if (this.n >= MAX_BATCH_RECORDS) throw new RangeError(`at most ${MAX_BATCH_RECORDS} records per batch`);
    let s = this.index.get(source);
    if (s === undefined) {
      if (this.sources.length === 0xffff) throw new RangeError("at most 65,535 sources per batch");
      for (const v of [source.modelName, source.modelVersion, source.endpoint, source.deployment]) {
        if (v !== null && v.length > 0x5555 && Buffer.byteLength(v) > 0xffff) throw new RangeError("a name is too long");
      }
      s = this.sources.length;
    }
    const need = 2 + 2 + 8 + 8 + 2 + room(r.requestId) + 4 + room(r.request) + 4 + room(r.response);
    if (this.o + need > this.buf.length) this.grow(this.o + need);
    const b = this.buf;
    const o0 = this.o;
    let o = b.writeUInt16LE(s, o0);
    o = b.writeUInt16LE(r.status, o);
    o = b.writeDoubleLE(r.time, o);
    o = b.writeDoubleLE(r.latencyMs, o);
    const id = r.requestId === undefined ? 0 : b.write(r.requestId, o + 2, "utf8");
    if (id > 0xffff) throw new RangeError("a request id is too long");
    o = b.writeUInt16LE(id, o) + id;
    o = this.body(r.request, o);
    this.o = this.body(r.response, o);
    this.n++;
    if (s === this.sources.length) {
      this.sources.push(source);
      this.index.set(source, s);
    }
  }

  /** The batch's bytes (header, sources, records); the writer is empty again. */
  finish(): Buffer {
    let size = 4 + 2 + 4 + this.o;
    for (const src of this.sources) size += 8 + room(src.modelName) + room(src.modelVersion) + room(src.endpoint) + room(src.deployment) + 8;
    const out = Buffer.allocUnsafeSlow(size);
    let o = out.writeUInt32LE(MAGIC, 0);
    const str16 = (v: string | null) => {
      const n = v === null ? 0 : out.write(v, o + 2, "utf8");
      out.writeUInt16LE(n, o);
      o += 2 + n;
    };
    o = out.writeUInt16LE(this.sources.length, o);
    for (const s of this.sources) {
      str16(s.modelName);
      str16(s.modelVersion);
      str16(s.endpoint);
      str16(s.deployment);
      o = out.writeDoubleLE(s.sampleRate, o);
    }
    o = out.writeUInt32LE(this.n, o);
    o += this.buf.copy(out, o, 0, this.o);
    this.o = 0;
    this.n = 0;
    this.sources = [];
    this.index = new Map();
    // A burst of large bodies does not keep its buffer for good.
    if (this.buf.length > 64 * this.initialBytes) this.buf = Buffer.allocUnsafeSlow(this.initialBytes);
    return out.subarray(0, o);
  }

  private body(v: Uint8Array | string | undefined, o: number): number {
    const b = this.buf;
    const n = v === undefined ? 0 : typeof v === "string" ? b.write(v, o + 4, "utf8") : (b.set(v, o + 4), v.byteLength);
    b.writeUInt32LE(n, o);
    return o + 4 + n;
  }

  private grow(atLeast: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(atLeast, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }
}

/** The batch's bytes. Sources are written once each, in the order first met. */
export function encodeInferenceBatch(records: readonly BatchRecord[]): Buffer {
  if (records.length > MAX_BATCH_RECORDS) throw new RangeError(`at most ${MAX_BATCH_RECORDS} records per batch`);
  const w = new InferenceBatchWriter(4096);
  for (const r of records) w.add(r.source, r);
  return w.finish();
}

/** Reads a batch, every field checked; throws {@link InferenceBatchError} on anything malformed. */
export function decodeInferenceBatch(buf: Buffer): DecodedRecord[] {
  let o = 0;
  const need = (n: number, what: string) => {
    if (o + n > buf.length) throw new InferenceBatchError(`The batch ends inside ${what} (byte ${o}).`);
  };
  const text = (n: number, what: string) => {
    need(n, what);
    const s = buf.toString("utf8", o, o + n);
    o += n;
    return s;
  };
  const str16 = (what: string, min: number, max: number) => {
    need(2, what);
    const n = buf.readUInt16LE(o);
    o += 2;
    const s = n === 0 ? "" : text(n, what);
    if (s.length < min || s.length > max) throw new InferenceBatchError(`${what} must be ${min}–${max} characters (byte ${o - n}).`);
    return s;
  };
  const str32 = (what: string) => {
    need(4, what);
    const n = buf.readUInt32LE(o);
    o += 4;
    return n === 0 ? "" : text(n, what);
  };
  need(6, "the header");
  if (buf.readUInt32LE(0) !== MAGIC) throw new InferenceBatchError(`Not an inference batch: it must start with "CIB" and version 1.`);
  o = 4;
  const nSources = buf.readUInt16LE(o);
  o += 2;
  if (nSources === 0) throw new InferenceBatchError("The batch names no source.");
  const sources: BatchSource[] = [];
  for (let i = 0; i < nSources; i++) {
    const modelName = str16(`source ${i}'s model_name`, 1, MAX_NAME);
    const modelVersion = str16(`source ${i}'s model_version`, 1, MAX_VERSION);
    const endpoint = str16(`source ${i}'s endpoint`, 0, MAX_NAME) || null;
    const deployment = str16(`source ${i}'s deployment`, 0, MAX_NAME) || null;
    need(8, `source ${i}'s sample_rate`);
    const sampleRate = buf.readDoubleLE(o);
    o += 8;
    if (!(sampleRate > 0 && sampleRate <= 1)) throw new InferenceBatchError(`Source ${i}'s sample_rate must be in (0, 1].`);
    sources.push({ modelName, modelVersion, endpoint, deployment, sampleRate });
  }
  need(4, "the record count");
  const n = buf.readUInt32LE(o);
  o += 4;
  if (n > MAX_BATCH_RECORDS) throw new InferenceBatchError(`At most ${MAX_BATCH_RECORDS} records per batch (this one says ${n}).`);
  // Each record takes 30 bytes at least: a count the bytes cannot hold is refused before anything is allocated for it.
  if (n * 30 > buf.length - o) throw new InferenceBatchError(`The batch is too short for ${n} records.`);
  const out: DecodedRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    need(20, `record ${i}`);
    const s = buf.readUInt16LE(o);
    const status = buf.readUInt16LE(o + 2);
    const time = buf.readDoubleLE(o + 4);
    const latencyMs = buf.readDoubleLE(o + 12);
    o += 20;
    if (s >= sources.length) throw new InferenceBatchError(`Record ${i} names source ${s}; the batch has ${sources.length}.`);
    if (status < 100 || status > 599) throw new InferenceBatchError(`Record ${i}'s status must be 100–599.`);
    if (!Number.isFinite(time)) throw new InferenceBatchError(`Record ${i}'s time must be a finite number.`);
    if (!(latencyMs >= 0 && latencyMs < Infinity)) throw new InferenceBatchError(`Record ${i}'s latency_ms must be a finite number ≥ 0.`);
    const requestId = str16(`record ${i}'s request_id`, 0, MAX_REQUEST_ID) || undefined;
    const request = str32(`record ${i}'s request`);
    const response = str32(`record ${i}'s response`);
    out[i] = { source: sources[s], requestId, time, latencyMs, status, request, response };
  }
  if (o !== buf.length) throw new InferenceBatchError(`${buf.length - o} bytes follow the last record.`);
  return out;
}
