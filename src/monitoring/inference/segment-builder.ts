/**
 * One inference segment's columns, filled as events arrive: each event's
 * bodies are parsed once, when it is recorded, and their cells appended to
 * per-column arrays, so nothing of the event is kept but its values — no row
 * objects, no retained bodies, numbers in unboxed number arrays (a missing
 * number is NaN, which JSON cannot hold). `encode()` writes the columns as
 * the segment's Parquet file (layout in `segment-codec.ts`).
 * @module
 */
import { predictionCells, requestCells, type Cell, type CellSink } from "./inference-rows.js";
import type { InferenceEvent } from "./inference-event.js";

/** The request columns every segment starts with, in this order. */
export const META_COLUMNS = ["__request_id", "__row", "__time", "__status", "__latency_ms"] as const;
const META = new Set<string>(META_COLUMNS);

export interface EncodedSegment {
  bytes: Uint8Array;
  rows: number;
  requests: number;
  errors: number;
  startTime: number;
  endTime: number;
}

/** A feature or prediction column: numbers while it holds only numbers, cells once anything else arrives. */
class Column {
  nums: number[] | undefined = [];
  cells: Cell[] | undefined;

  /** Sets the value of `row`, padding the rows before it with missing values. */
  set(row: number, v: Cell): void {
    const nums = this.nums;
    if (nums && (typeof v === "number" || v === null)) {
      while (nums.length < row) nums.push(NaN);
      const x = v === null ? NaN : v;
      if (nums.length === row) nums.push(x);
      else nums[row] = x;
      return;
    }
    if (nums) {
      this.cells = nums.map((x) => (Number.isNaN(x) ? null : x));
      this.nums = undefined;
    }
    const cells = this.cells!;
    while (cells.length < row) cells.push(null);
    if (cells.length === row) cells.push(v);
    else cells[row] = v;
  }

  /** The column as the Parquet writer takes it, `rows` long. */
  source(name: string, rows: number) {
    if (this.nums) {
      const nums = this.nums;
      let missing = rows > nums.length;
      for (let i = 0; i < nums.length && !missing; i++) missing = Number.isNaN(nums[i]);
      if (!missing) return { name, data: Float64Array.from(nums), type: "DOUBLE" as const, nullable: true, statistics: false };
      const data: Array<number | null> = new Array(rows);
      for (let i = 0; i < rows; i++) data[i] = i < nums.length && !Number.isNaN(nums[i]) ? nums[i] : null;
      return { name, data, type: "DOUBLE" as const, statistics: false };
    }
    const cells = this.cells!;
    while (cells.length < rows) cells.push(null);
    let num = false;
    let bool = false;
    let other = false;
    for (const v of cells) {
      if (v === null) continue;
      if (typeof v === "number") num = true;
      else if (typeof v === "boolean") bool = true;
      else other = true;
    }
    if (other || (num && bool)) return { name, data: cells.map((v) => (v === null ? null : String(v))), type: "STRING" as const, statistics: false };
    return { name, data: cells, type: bool ? ("BOOLEAN" as const) : ("DOUBLE" as const), statistics: false };
  }
}

/**
 * Strings as UTF-8 byte views of one buffer, which the Parquet writer takes
 * as they are (it would otherwise encode each string on its own, the larger
 * part of writing a column of request ids). Strings that are not all ASCII
 * are returned as they are.
 */
function utf8Views(strings: string[]): Array<string | Uint8Array> {
  let chars = 0;
  for (const s of strings) chars += s.length;
  const bytes = Buffer.from(strings.join(""), "utf8");
  if (bytes.length !== chars) return strings;
  const out: Uint8Array[] = new Array(strings.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const end = at + strings[i].length;
    out[i] = bytes.subarray(at, end);
    at = end;
  }
  return out;
}

export class SegmentBuilder implements CellSink {
  private readonly requestIds: string[] = [];
  private readonly rowIndex: number[] = [];
  private readonly times: number[] = [];
  private readonly statuses: number[] = [];
  private readonly latencies: number[] = [];
  private readonly columns = new Map<string, Column>();
  /** First row of the event being added. */
  private base = 0;
  private requestCount = 0;
  private errorCount = 0;
  private start = Infinity;
  private end = -Infinity;

  get rows(): number {
    return this.times.length;
  }
  get requests(): number {
    return this.requestCount;
  }

  /**
   * Appends an event's rows: features joined with predictions by position,
   * one row without them for an error or an unreadable body. Only reading
   * the bodies emits cells, and it cannot throw once it has begun, so an
   * event is added whole or not at all.
   */
  add(e: InferenceEvent): void {
    this.base = this.times.length;
    const ok = e.status < 400;
    const inputs = ok && typeof e.request === "string" ? requestCells(e.request, this) : undefined;
    const outputs = ok && typeof e.response === "string" ? predictionCells(e.response, this) : undefined;
    const n = Math.max(inputs ?? 0, outputs ?? 0, 1);
    for (let i = 0; i < n; i++) {
      this.requestIds.push(e.requestId);
      this.rowIndex.push(i);
      this.times.push(e.time);
      this.statuses.push(e.status);
      this.latencies.push(e.latencyMs);
    }
    this.requestCount++;
    if (!ok) this.errorCount++;
    if (e.time < this.start) this.start = e.time;
    if (e.time > this.end) this.end = e.time;
  }

  /** A cell of the event being added (a name that is a request column is left to that column). */
  cell(row: number, name: string, value: Cell): void {
    if (META.has(name)) return;
    let c = this.columns.get(name);
    if (!c) this.columns.set(name, (c = new Column()));
    c.set(this.base + row, value);
  }

  /** The segment's Parquet file and its counts. */
  async encode(): Promise<EncodedSegment> {
    const rows = this.times.length;
    const columnData = [
      // Unique per request (most often random): neither a dictionary nor compression pays, so neither is tried.
      { name: "__request_id", data: utf8Views(this.requestIds), type: "STRING" as const, nullable: false, encoding: "PLAIN" as const, codec: "UNCOMPRESSED" as const, statistics: false },
      { name: "__row", data: Int32Array.from(this.rowIndex), type: "INT32" as const, nullable: false, statistics: false },
      // The only column whose statistics a reader could use (a time range).
      { name: "__time", data: Float64Array.from(this.times), type: "DOUBLE" as const, nullable: true },
      { name: "__status", data: Int32Array.from(this.statuses), type: "INT32" as const, nullable: false, statistics: false },
      { name: "__latency_ms", data: Float64Array.from(this.latencies), type: "DOUBLE" as const, nullable: true, statistics: false },
      ...[...this.columns].map(([name, c]) => c.source(name, rows)),
    ];
    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const buf = parquetWriteBuffer({ columnData });
    return { bytes: new Uint8Array(buf), rows, requests: this.requestCount, errors: this.errorCount, startTime: this.start, endTime: this.end };
  }
}
