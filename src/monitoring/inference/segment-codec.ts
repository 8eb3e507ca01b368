/**
 * An inference segment as a Parquet file: one row per scored input row, with
 * the request's facts in `__`-prefixed columns (`__request_id`, `__row`,
 * `__time`, `__status`, `__latency_ms`) beside the features and predictions
 * (`inference-rows.ts`). A request whose body held no rows (an error, a CSV
 * body) is one row without features. Columns are typed per segment: numbers
 * DOUBLE, booleans BOOLEAN, anything else STRING. The columns are filled as
 * events arrive (`segment-builder.ts`); the Parquet libraries load on first
 * use (the server starts without them).
 * @module
 */
import type { InferenceEvent } from "./inference-event.js";
import { predictionRows, requestRows, type Row } from "./inference-rows.js";
import { SegmentBuilder, type EncodedSegment } from "./segment-builder.js";

export { META_COLUMNS, type EncodedSegment } from "./segment-builder.js";

/** The rows of one event as objects: features joined with predictions by position (what a segment holds for it). */
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

/** One segment of the given events, in order. */
export async function encodeSegment(events: Iterable<InferenceEvent>): Promise<EncodedSegment> {
  const b = new SegmentBuilder();
  for (const e of events) b.add(e);
  return b.encode();
}

/** Reads a segment back as rows (numbers, booleans, strings and nulls). */
export async function decodeSegment(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { parquetReadObjects } = await import("hyparquet");
  return (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
}
