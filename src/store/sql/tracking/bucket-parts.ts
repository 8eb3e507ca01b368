/**
 * The finest level's closed summaries, packed (migration 29): a write sends the buckets of 256 steps it closes for
 * a series as one `metric_bucket_parts` row per window of 16 buckets, instead of one metric_buckets upsert per
 * bucket. A part only adds points (the counts of points new to the history, as before), so a bucket's summary is
 * the merge of its parts, of the metric_buckets row written before migration 29 if any, and of the series' open
 * bucket (open-bucket.ts) when it holds it. The coarser levels stay one metric_buckets row per bucket.
 *
 * A part's `data` is its buckets' summaries, 64 bytes each, big-endian as PostgreSQL's int8send/float8send write
 * them (the group statement packs them in SQL): bucket, count, minimum value, step, timestamp, maximum value,
 * step, timestamp; a value is NaN where the bucket has none (all its points NaN). A bucket may come more than once.
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import { BUCKET_LEVELS, type Summary } from "./metric-buckets.js";

/** The level packed in parts: the finest. */
export const PART_LEVEL = BUCKET_LEVELS[0];
/** log2 of the buckets per part's window. */
export const PART_SPAN = 4;
/** Bytes per bucket in `data`. */
export const PART_ENTRY = 64;

/** The window (`grp`) of a finest-level bucket. */
export const partOf = (bucket: number): number => Math.floor(bucket / 2 ** PART_SPAN);

export interface PartEntry extends Summary {
  bucket: number;
}

/**
 * Packs `entries` (all in one window) as a part's `data`. `plainZero`: a value -0 is packed as 0, as SQLite's REAL
 * columns stored it in metric_buckets (PostgreSQL's float8 kept the sign, and so do its parts).
 */
export function packPart(entries: readonly PartEntry[], plainZero = false): Buffer {
  const z = (v: number | null) => (v === null ? NaN : plainZero && v === 0 ? 0 : v);
  const b = Buffer.allocUnsafe(entries.length * PART_ENTRY);
  let o = 0;
  for (const e of entries) {
    b.writeBigInt64BE(BigInt(e.bucket), o);
    b.writeBigInt64BE(BigInt(e.cnt), o + 8);
    b.writeDoubleBE(z(e.minV), o + 16);
    b.writeBigInt64BE(BigInt(e.minS), o + 24);
    b.writeBigInt64BE(BigInt(e.minT), o + 32);
    b.writeDoubleBE(z(e.maxV), o + 40);
    b.writeBigInt64BE(BigInt(e.maxS), o + 48);
    b.writeBigInt64BE(BigInt(e.maxT), o + 56);
    o += PART_ENTRY;
  }
  return b;
}

/** Calls `each` for every bucket summary a part's `data` holds (NaN read back as no value). */
export function readPart(data: Uint8Array, each: (e: PartEntry) => void): void {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const num = (o: number) => Number(b.readBigInt64BE(o));
  for (let o = 0; o + PART_ENTRY <= b.length; o += PART_ENTRY) {
    const minV = b.readDoubleBE(o + 16);
    const maxV = b.readDoubleBE(o + 40);
    each({
      bucket: num(o),
      cnt: num(o + 8),
      minV: Number.isNaN(minV) ? null : minV,
      minS: num(o + 24),
      minT: num(o + 32),
      maxV: Number.isNaN(maxV) ? null : maxV,
      maxS: num(o + 48),
      maxT: num(o + 56),
    });
  }
}

/**
 * Adds `b` to `a` (in place) as the group statement merges two parts of one bucket: on equal values the point of
 * the smaller step, then timestamp — the order the points were logged in when steps grow, which metric_buckets'
 * upsert kept (the point already stored stays).
 */
export function mergePartSummary(a: Summary, b: Summary): void {
  a.cnt += b.cnt;
  if (b.minV !== null && (a.minV === null || b.minV < a.minV || (b.minV === a.minV && (b.minS < a.minS || (b.minS === a.minS && b.minT < a.minT))))) {
    a.minV = b.minV;
    a.minS = b.minS;
    a.minT = b.minT;
  }
  if (b.maxV !== null && (a.maxV === null || b.maxV > a.maxV || (b.maxV === a.maxV && (b.maxS < a.maxS || (b.maxS === a.maxS && b.maxT < a.maxT))))) {
    a.maxV = b.maxV;
    a.maxS = b.maxS;
    a.maxT = b.maxT;
  }
}

/** Parts' rows (run_id, key, grp, data) for summaries of one series' finest buckets, one row per window (`plainZero`: packPart). */
export function partRows(runPk: number, key: string, entries: readonly PartEntry[], out: unknown[][], plainZero = false): void {
  const byGrp = new Map<number, PartEntry[]>();
  for (const e of entries) {
    const g = partOf(e.bucket);
    const list = byGrp.get(g);
    if (list) list.push(e);
    else byGrp.set(g, [e]);
  }
  for (const [g, list] of byGrp) out.push([runPk, key, g, packPart(list, plainZero)]);
}

/** Inserts parts' rows (see {@link partRows}): insert only, nothing read. */
export async function insertParts(db: Kysely<Database>, rows: readonly unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows.slice(i, i + 500).map(([run_id, key, grp, data]) => ({ run_id: run_id as number, key: key as string, grp: grp as number, data: data as Buffer }));
    await db.insertInto("metric_bucket_parts").values(values).execute();
  }
}
