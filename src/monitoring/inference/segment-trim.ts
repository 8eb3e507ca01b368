/**
 * A segment's index entry cut to a time range: a segment written over
 * [start, end] may straddle the range asked for, and then only its rows whose
 * request arrived inside the range count — their number, their requests and
 * errors, their first and last time. Reads only the segment's request columns.
 * @module
 */
import type { SegmentRecord } from "../core/monitoring-store.js";

export interface TimeRange {
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
}

/** A segment entry, possibly cut: `trimmed` when it stands for only some of its file's rows (those with `__time` in the range). */
export type TrimmedSegment = SegmentRecord & { trimmed: boolean };

/** Whether every row of the segment lies inside the range (nothing to read). */
export function wholeInside(s: SegmentRecord, range: TimeRange): boolean {
  return (range.from === undefined || s.startTime >= range.from) && (range.to === undefined || s.endTime < range.to);
}

/** The request columns of a segment's rows. */
export interface SegmentRequestColumns {
  time: ArrayLike<number>;
  requestId: ArrayLike<string>;
  status: ArrayLike<number>;
}

/** The entry for the rows inside the range, or undefined when none is. */
export function trimSegment(s: SegmentRecord, cols: SegmentRequestColumns, range: TimeRange): TrimmedSegment | undefined {
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  const requests = new Set<string>();
  const failed = new Set<string>();
  let rows = 0;
  let start = Infinity;
  let end = -Infinity;
  for (let i = 0; i < cols.time.length; i++) {
    const t = cols.time[i];
    if (!(t >= from && t < to)) continue;
    rows++;
    if (t < start) start = t;
    if (t > end) end = t;
    requests.add(cols.requestId[i]);
    if (cols.status[i] >= 400) failed.add(cols.requestId[i]);
  }
  if (rows === 0) return undefined;
  const trimmed = rows !== cols.time.length;
  return { ...s, startTime: start, endTime: end, rows, requests: requests.size, errors: failed.size, trimmed };
}

/** Reads a segment file's request columns (`__time`, `__request_id`, `__status`). */
export async function readRequestColumns(bytes: Uint8Array): Promise<SegmentRequestColumns> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { parquetReadObjects } = await import("hyparquet");
  const rows = (await parquetReadObjects({ file: ab, columns: ["__time", "__request_id", "__status"] })) as Array<{ __time: number; __request_id: string; __status: number }>;
  return {
    time: rows.map((r) => Number(r.__time)),
    requestId: rows.map((r) => String(r.__request_id)),
    status: rows.map((r) => Number(r.__status)),
  };
}
