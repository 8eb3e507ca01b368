/**
 * Multi-resolution summaries of metric history, kept on write, so that a
 * chart of a million points is drawn from ~1,000 summary rows instead of a
 * scan of the history (MLflow's charts froze at 100k points: mlflow#5779).
 *
 * For every (run, key) and each level k in {@link BUCKET_LEVELS}, the steps
 * are cut into buckets of 2^k steps; a bucket's summary holds the point count and the
 * points (step, timestamp) with the minimum and the maximum value. NaN points
 * count but never become a minimum or maximum. A summary is the `metric_buckets`
 * row — at the finest level, the packed parts of bucket-parts.ts (migration 29) with any row written before —
 * merged with the series' open bucket (open-bucket.ts) when the bucket holds it.
 *
 * Counts stay exact under retries: a write adds the counts of the points that
 * were new to the history only (chunk-writes.ts and the group statement know
 * them exactly), so a retried batch adds nothing and nothing is recounted (mlflow#24577).
 * @module
 */
import type { Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

/**
 * log2 of the bucket widths: 256, 4,096 and 65,536 steps. A range of up to ~65,536 steps per wanted point
 * (100M steps for 1,000 points) is served from a few thousand summary rows; shorter ranges from the history.
 */
export const BUCKET_LEVELS = [8, 12, 16] as const;
const WIDTHS = BUCKET_LEVELS.map((k) => 2 ** k);

/** A bucket's count and its minimum and maximum points (NaN counts but is never one; null: none yet). */
export interface Summary {
  cnt: number;
  minV: number | null;
  minS: number;
  minT: number;
  maxV: number | null;
  maxS: number;
  maxT: number;
}

export interface BucketAgg extends Summary {
  key: string;
  level: number;
  bucket: number;
}

/**
 * Folds one point into `s` (in place): it counts; a NaN value is never the minimum or maximum; on a tie the
 * point already there stays. Every summary of points is built by this fold, so all agree point for point.
 */
export function foldPoint(s: Summary, value: number, step: number, timestamp: number): void {
  s.cnt++;
  if (Number.isNaN(value)) return;
  if (s.minV === null || value < s.minV) {
    s.minV = value;
    s.minS = step;
    s.minT = timestamp;
  }
  if (s.maxV === null || value > s.maxV) {
    s.maxV = value;
    s.maxS = step;
    s.maxT = timestamp;
  }
}

/** First step of `bucket` at `level`. */
export const bucketStart = (level: number, bucket: number): number => bucket * 2 ** level;

export function aggregateBuckets(metrics: Metric[]): BucketAgg[] {
  // Grouped by key first, then by bucket number per level: no string keys per point. A key's points come
  // mostly in step order, so the bucket a level used last is tried before its map.
  const byKey = new Map<string, Array<Map<number, BucketAgg>>>();
  const lastAgg: Array<BucketAgg | undefined> = BUCKET_LEVELS.map(() => undefined);
  let lastKey: string | undefined;
  let levels: Array<Map<number, BucketAgg>> | undefined;
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    if (m.key !== lastKey || levels === undefined) {
      lastKey = m.key;
      levels = byKey.get(m.key);
      if (!levels) {
        levels = BUCKET_LEVELS.map(() => new Map<number, BucketAgg>());
        byKey.set(m.key, levels);
      }
      lastAgg.fill(undefined);
    }
    for (let l = 0; l < BUCKET_LEVELS.length; l++) {
      const bucket = Math.floor(m.step / WIDTHS[l]);
      let a = lastAgg[l];
      if (a === undefined || a.bucket !== bucket) {
        a = levels[l].get(bucket);
        if (!a) {
          a = { key: m.key, level: BUCKET_LEVELS[l], bucket, cnt: 0, minV: null, minS: 0, minT: 0, maxV: null, maxS: 0, maxT: 0 };
          levels[l].set(bucket, a);
        }
        lastAgg[l] = a;
      }
      foldPoint(a, m.value, m.step, m.timestamp);
    }
  }
  const out: BucketAgg[] = [];
  for (const levels of byKey.values()) for (const level of levels) for (const a of level.values()) out.push(a);
  // A fixed row order: concurrent transactions upserting the same buckets lock them in the same order (no deadlock).
  return out.sort((a, b) => a.level - b.level || a.bucket - b.bucket || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** metric_buckets' columns, in the order of the rows {@link upsertBucketRows} takes. */
export const BUCKET_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "level", pgType: "int2" },
  { name: "bucket", pgType: "int8" },
  { name: "cnt", pgType: "int8" },
  { name: "min_value", pgType: "float8" },
  { name: "min_step", pgType: "int8" },
  { name: "min_ts", pgType: "int8" },
  { name: "max_value", pgType: "float8" },
  { name: "max_step", pgType: "int8" },
  { name: "max_ts", pgType: "int8" },
];

const newMin = "excluded.min_value is not null and (metric_buckets.min_value is null or excluded.min_value < metric_buckets.min_value)";
const newMax = "excluded.max_value is not null and (metric_buckets.max_value is null or excluded.max_value > metric_buckets.max_value)";
const pick = (cond: string, col: string) => `${col} = case when ${cond} then excluded.${col} else metric_buckets.${col} end`;
export const BUCKET_UPSERT =
  "on conflict (run_id, key, level, bucket) do update set cnt = metric_buckets.cnt + excluded.cnt, " +
  [pick(newMin, "min_step"), pick(newMin, "min_ts"), pick(newMin, "min_value")].join(", ") +
  ", " +
  [pick(newMax, "max_step"), pick(newMax, "max_ts"), pick(newMax, "max_value")].join(", ");

/** Upserts summary rows (see BUCKET_COLUMNS) built from aggregateBuckets. */
export async function upsertBucketRows(db: Db, dialect: SqlDialect, rows: unknown[][]): Promise<void> {
  if (rows.length > 0) await dialect.bulkInsert(db, "metric_buckets", BUCKET_COLUMNS, rows, BUCKET_UPSERT);
}
