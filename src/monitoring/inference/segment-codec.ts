/**
 * An inference segment as a Parquet file: one row per scored input row, with
 * the request's facts in `__`-prefixed columns (`__request_id`, `__row`,
 * `__time`, `__status`, `__latency_ms`) beside the features and predictions
 * (`inference-rows.ts`). A request whose body held no rows (an error, a CSV
 * body) is one row without features. Columns are typed per segment: numbers
 * DOUBLE, booleans BOOLEAN, anything else STRING. The Parquet libraries load
 * on first use (the server starts without them).
 * @module
 */
import type { InferenceEvent } from "./inference-event.js";
import { predictionRows, requestRows, type Cell, type Row } from "./inference-rows.js";

export const META_COLUMNS = ["__request_id", "__row", "__time", "__status", "__latency_ms"] as const;

export interface EncodedSegment {
  bytes: Uint8Array;
  rows: number;
  requests: number;
  errors: number;
  startTime: number;
  endTime: number;
}

/** The rows of one event: features joined with predictions by position. */
export function eventRows(e: InferenceEvent): Row[] {
  const ok = e.status < 400;
  const inputs = ok ? requestRows(e.request) : undefined;
  const outputs = ok ? predictionRows(e.response) : undefined;
  const n = Math.max(inputs?.length ?? 0, outputs?.length ?? 0, 1);
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = { ...inputs?.[i], ...outputs?.[i], __request_id: e.requestId, __row: i, __time: e.time, __status: e.status, __latency_ms: e.latencyMs };
  }
  return rows;
}

type ColumnType = "DOUBLE" | "BOOLEAN" | "STRING";

function typeOf(values: Cell[]): ColumnType {
  let num = false;
  let bool = false;
  let other = false;
  for (const v of values) {
    if (v === null) continue;
    if (typeof v === "number") num = true;
    else if (typeof v === "boolean") bool = true;
    else other = true;
  }
  if (other || (num && bool)) return "STRING";
  return bool ? "BOOLEAN" : "DOUBLE";
}

export async function encodeSegment(events: InferenceEvent[]): Promise<EncodedSegment> {
  const rows: Row[] = [];
  let errors = 0;
  let startTime = Infinity;
  let endTime = -Infinity;
  for (const e of events) {
    if (e.status >= 400) errors++;
    startTime = Math.min(startTime, e.time);
    endTime = Math.max(endTime, e.time);
    for (const r of eventRows(e)) rows.push(r);
  }
  const names = new Set<string>(META_COLUMNS);
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  const columnData = [...names].map((name) => {
    const values = rows.map((r) => r[name] ?? null);
    if (name === "__request_id") return { name, data: values as string[], type: "STRING" as const, nullable: false };
    if (name === "__row" || name === "__status") return { name, data: Int32Array.from(values as number[]), type: "INT32" as const, nullable: false };
    const type = typeOf(values);
    const data = type === "STRING" ? values.map((v) => (v === null ? null : String(v))) : values;
    return { name, data, type };
  });
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const buf = parquetWriteBuffer({ columnData });
  return { bytes: new Uint8Array(buf), rows: rows.length, requests: events.length, errors, startTime, endTime };
}

/** Reads a segment back as rows (numbers, booleans, strings and nulls). */
export async function decodeSegment(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { parquetReadObjects } = await import("hyparquet");
  return (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
}
