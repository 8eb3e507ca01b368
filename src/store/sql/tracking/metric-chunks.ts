/**
 * Metric history in chunks: a series' (run, key) plain points are stored as rows of `metric_chunks` (migration
 * 24), each holding up to a few hundred points packed in binary, instead of one indexed row per point.
 *
 * A chunk's `points` are its points in MLflow's order of a series — step, timestamp, value (NaN as 0, after a
 * real 0) — without two identical points, as three big-endian columns: steps and timestamps as int64, values
 * as float64 (NaN, +Inf and -Inf kept exactly), 24 bytes a point. Beside them the row holds what finds it: its
 * step and timestamp ranges (its "box") and its count. (-0 is stored as 0.)
 *
 * Two rules keep MLflow's duplicate rule (a point identical to a stored one is stored once) without an index
 * per point:
 * - a write whose first point comes after the series' latest point (latest_metrics: MLflow's latest is the
 *   greatest by step, then timestamp, then value, so every stored point is at or before its step and
 *   timestamp) cannot hold a stored point: it goes in as is, nothing read — training appends, the usual case.
 *   Otherwise the writer reads the chunks whose box meets the write's (the step index, then the timestamps)
 *   and stores only the points they lack, as a chunk of their own (chunk-writes.ts). Chunks of a series may
 *   overlap; they never hold the same point twice.
 * - a chunk never spans two windows of {@link WINDOW} steps, and is cut only between steps, so a read of a step
 *   range looks only at chunks starting in the range or in its first step's window (chunk-reads.ts).
 * On PostgreSQL, writers on other connections or replicas are caught by the series' row: see {@link OVERLAP_SQLSTATE}.
 * @module
 */

/** A point of a series (a Metric without its key and links). */
export interface Point {
  step: number;
  timestamp: number;
  value: number;
}

/**
 * The SQLSTATE of `metric_points_overlap()` (migration 24), which the latest_metrics upsert calls when the write
 * may meet stored points: the row it locked (the newest committed version) holds a point at or after the write's
 * first point (its `guard_*` columns) and a committed chunk spans a step of the write (metric-tail.ts:
 * seriesUpsertGuarded). Its statement fails, having written nothing, and the write runs again the careful way.
 */
export const OVERLAP_SQLSTATE = "CM001";

/** log2 of the step window a chunk stays inside. */
export const WINDOW_BITS = 16;
export const WINDOW = 2 ** WINDOW_BITS;
/** A chunk is cut, between two steps, once it holds this many points (a write of one series makes one chunk). */
export const MAX_CHUNK_POINTS = 1024;
const BYTES = 24;

/** The first step of the window holding `step`. */
export const windowStart = (step: number): number => Math.floor(step / WINDOW) * WINDOW;

/** A chunk as stored: its box, count and packed points. */
export interface Chunk {
  minStep: number;
  maxStep: number;
  minTs: number;
  maxTs: number;
  cnt: number;
  data: Buffer;
}

/** MLflow's order of a series' points: step, timestamp, value (NaN as 0, after a real 0). */
export function comparePoints(a: Point, b: Point): number {
  if (a.step !== b.step) return a.step - b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  const an = Number.isNaN(a.value);
  const bn = Number.isNaN(b.value);
  const av = an ? 0 : a.value;
  const bv = bn ? 0 : b.value;
  if (av !== bv) return av < bv ? -1 : 1;
  return (an ? 1 : 0) - (bn ? 1 : 0);
}

/** Whether two points are the same point (MLflow's duplicate rule: step, timestamp and value; -0 is 0). */
export const samePoint = (a: Point, b: Point): boolean => comparePoints(a, b) === 0;

/** `points` in order without repeats (a new array unless already so: the usual case, steps logged in order). */
export function sortUnique<P extends Point>(points: readonly P[]): P[] {
  let sorted = true;
  for (let i = 1; i < points.length; i++) {
    if (comparePoints(points[i - 1], points[i]) >= 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return points as P[];
  const all = [...points].sort(comparePoints);
  const out: P[] = [];
  for (const p of all) if (out.length === 0 || comparePoints(out[out.length - 1], p) !== 0) out.push(p);
  return out;
}

/**
 * Packs points (ordered, unique) into a chunk's bytes. Through one DataView over the buffer: Buffer's
 * `writeInt32BE`/`writeDoubleBE` check their arguments on every call (3 calls and 5 checks a point).
 */
export function encodePoints(points: readonly Point[], from = 0, to = points.length): Buffer {
  const n = to - from;
  const buf = Buffer.allocUnsafe(n * BYTES);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ts = n * 8;
  const vs = n * 16;
  for (let i = 0; i < n; i++) {
    const p = points[from + i];
    const at = i * 8;
    // Integers up to 2^53 (every step and timestamp a JSON number can carry exactly) as int64, big-endian.
    const step = p.step;
    const stepHi = Math.floor(step / 4294967296);
    view.setInt32(at, stepHi);
    view.setUint32(at + 4, step - stepHi * 4294967296);
    const time = p.timestamp;
    const timeHi = Math.floor(time / 4294967296);
    view.setInt32(ts + at, timeHi);
    view.setUint32(ts + at + 4, time - timeHi * 4294967296);
    // -0 is stored as 0: the same point by MLflow's rule, and what a database column gives back.
    view.setFloat64(vs + at, p.value === 0 ? 0 : p.value);
  }
  return buf;
}

/** The points of a chunk's bytes, in order. */
export function decodePoints(data: Uint8Array): Point[] {
  const n = data.byteLength / BYTES;
  if (!Number.isInteger(n)) throw new Error(`a metric chunk of ${data.byteLength} bytes is not a whole number of points`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Point[] = new Array(n);
  const ts = n * 8;
  const vs = n * 16;
  for (let i = 0; i < n; i++) {
    const at = i * 8;
    out[i] = {
      step: view.getInt32(at) * 4294967296 + view.getUint32(at + 4),
      timestamp: view.getInt32(ts + at) * 4294967296 + view.getUint32(ts + at + 4),
      value: view.getFloat64(vs + at),
    };
  }
  return out;
}

/**
 * Cuts a series' points (ordered, unique) into chunks: at every window boundary, and between two steps once a
 * chunk holds {@link MAX_CHUNK_POINTS} (never inside a step, so the chunks' step ranges are disjoint).
 */
export function buildChunks(points: readonly Point[]): Chunk[] {
  const out: Chunk[] = [];
  let start = 0;
  while (start < points.length) {
    const win = windowStart(points[start].step);
    let end = start + 1;
    while (end < points.length) {
      const p = points[end];
      if (windowStart(p.step) !== win) break;
      if (end - start >= MAX_CHUNK_POINTS && p.step !== points[end - 1].step) break;
      end++;
    }
    out.push(chunkOf(points, start, end));
    start = end;
  }
  return out;
}

function chunkOf(points: readonly Point[], from: number, to: number): Chunk {
  let minTs = points[from].timestamp;
  let maxTs = minTs;
  for (let i = from + 1; i < to; i++) {
    const t = points[i].timestamp;
    if (t < minTs) minTs = t;
    else if (t > maxTs) maxTs = t;
  }
  return { minStep: points[from].step, maxStep: points[to - 1].step, minTs, maxTs, cnt: to - from, data: encodePoints(points, from, to) };
}

/** Whether two boxes meet (closed ranges on both axes). */
export function boxesMeet(a: Omit<Chunk, "cnt" | "data">, b: Omit<Chunk, "cnt" | "data">): boolean {
  return a.minStep <= b.maxStep && b.minStep <= a.maxStep && a.minTs <= b.maxTs && b.minTs <= a.maxTs;
}
