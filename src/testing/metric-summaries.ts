/**
 * Test fixture: a series' history summaries as readers see them — metric_buckets' rows and the finest level's
 * packed parts (bucket-parts.ts) merged with the open
 * bucket kept in its latest_metrics row (store/sql/tracking/open-bucket.ts) — and the same summaries worked out
 * from the stored history, to compare the two.
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/sql/schema.js";
import { PART_LEVEL, readPart } from "../store/sql/tracking/bucket-parts.js";
import { MAX_STEP, MIN_STEP, pointsInRange } from "../store/sql/tracking/chunk-reads.js";

export interface BucketSummary {
  level: number;
  bucket: number;
  cnt: number;
  min: number | null;
  max: number | null;
}

const LEVELS = [8, 12, 16];
const id = (level: number, bucket: number) => `${level}:${bucket}`;

function add(into: Map<string, BucketSummary>, s: BucketSummary): void {
  const had = into.get(id(s.level, s.bucket));
  if (!had) {
    into.set(id(s.level, s.bucket), { ...s });
    return;
  }
  had.cnt += s.cnt;
  if (s.min !== null && (had.min === null || s.min < had.min)) had.min = s.min;
  if (s.max !== null && (had.max === null || s.max > had.max)) had.max = s.max;
}

const sorted = (m: Map<string, BucketSummary>) => [...m.values()].sort((a, b) => a.level - b.level || a.bucket - b.bucket);

/** The summaries of one series as stored (closed rows plus the open part), by level then bucket. */
export async function storedSummaries(db: Kysely<Database>, runPk: number, key: string): Promise<BucketSummary[]> {
  const out = new Map<string, BucketSummary>();
  const rows = await db.selectFrom("metric_buckets").selectAll().where("run_id", "=", runPk).where("key", "=", key).execute();
  for (const r of rows) add(out, { level: Number(r.level), bucket: Number(r.bucket), cnt: Number(r.cnt), min: num(r.min_value), max: num(r.max_value) });
  const parts = await db.selectFrom("metric_bucket_parts").select("data").where("run_id", "=", runPk).where("key", "=", key).execute();
  for (const p of parts) readPart(p.data, (e) => add(out, { level: PART_LEVEL, bucket: e.bucket, cnt: e.cnt, min: e.minV, max: e.maxV }));
  const open = await db.selectFrom("latest_metrics").selectAll().where("run_id", "=", runPk).where("key", "=", key).executeTakeFirst();
  if (open && Number(open.open_cnt) > 0) {
    for (const level of LEVELS) {
      add(out, { level, bucket: Math.floor(Number(open.step) / 2 ** level), cnt: Number(open.open_cnt), min: num(open.open_min_value), max: num(open.open_max_value) });
    }
  }
  return sorted(out);
}

/** The same summaries worked out from the series' stored history. */
export async function historySummaries(db: Kysely<Database>, runPk: number, key: string): Promise<BucketSummary[]> {
  const out = new Map<string, BucketSummary>();
  const points = await pointsInRange(db, runPk, key, MIN_STEP, MAX_STEP);
  for (const p of points) {
    const v = Number.isNaN(p.value) ? null : p.value;
    for (const level of LEVELS) add(out, { level, bucket: Math.floor(Number(p.step) / 2 ** level), cnt: 1, min: v, max: v });
  }
  return sorted(out);
}

const num = (v: number | null) => (v === null ? null : Number(v));
