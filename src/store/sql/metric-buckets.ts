/**
 * Multi-resolution summaries of metric history, kept on write, so that a
 * chart of a million points is drawn from ~1,000 summary rows instead of a
 * scan of the history (MLflow's charts froze at 100k points: mlflow#5779).
 *
 * For every (run, key) and each level k in {@link BUCKET_LEVELS}, the steps
 * are cut into buckets of 2^k steps; a bucket row holds the point count and the
 * points (step, timestamp) with the minimum and the maximum value. NaN points
 * count but never become a minimum or maximum.
 *
 * Counts stay exact under retries: a batch whose points were all new adds its
 * counts; a batch with duplicates (a retry) recounts only the buckets it
 * touched — the finest level from the history (at most 256 steps each), the
 * coarser ones from the level below — never the whole history (mlflow#24577).
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Metric } from "../../tracking/types.js";
import type { Database } from "./schema.js";
import type { BulkColumn, SqlDialect } from "./sql-dialect.js";

type Db = Kysely<Database>;

/** log2 of the bucket widths: 256, 4,096, 65,536 and 1,048,576 steps. */
export const BUCKET_LEVELS = [8, 12, 16, 20] as const;
const FINEST = BUCKET_LEVELS[0];
const FAN_OUT = 2 ** (BUCKET_LEVELS[1] - BUCKET_LEVELS[0]);

export interface BucketAgg {
  key: string;
  level: number;
  bucket: number;
  cnt: number;
  minV: number | null;
  minS: number;
  minT: number;
  maxV: number | null;
  maxS: number;
  maxT: number;
}

/** First step of `bucket` at `level`. */
export const bucketStart = (level: number, bucket: number): number => bucket * 2 ** level;
export const bucketOf = (level: number, step: number): number => Math.floor(step / 2 ** level);

export function aggregateBuckets(metrics: Metric[]): BucketAgg[] {
  const aggs = new Map<string, BucketAgg>();
  for (const m of metrics) {
    const nan = Number.isNaN(m.value);
    for (const level of BUCKET_LEVELS) {
      const bucket = bucketOf(level, m.step);
      const id = `${level}:${bucket}:${m.key}`;
      let a = aggs.get(id);
      if (!a) {
        a = { key: m.key, level, bucket, cnt: 0, minV: null, minS: 0, minT: 0, maxV: null, maxS: 0, maxT: 0 };
        aggs.set(id, a);
      }
      a.cnt++;
      if (nan) continue;
      if (a.minV === null || m.value < a.minV) [a.minV, a.minS, a.minT] = [m.value, m.step, m.timestamp];
      if (a.maxV === null || m.value > a.maxV) [a.maxV, a.maxS, a.maxT] = [m.value, m.step, m.timestamp];
    }
  }
  // A fixed row order: concurrent transactions upserting the same buckets lock them in the same order (no deadlock).
  return [...aggs.values()].sort((a, b) => a.level - b.level || a.bucket - b.bucket || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const COLUMNS: BulkColumn[] = [
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
const UPSERT =
  "on conflict (run_id, key, level, bucket) do update set cnt = metric_buckets.cnt + excluded.cnt, " +
  [pick(newMin, "min_step"), pick(newMin, "min_ts"), pick(newMin, "min_value")].join(", ") +
  ", " +
  [pick(newMax, "max_step"), pick(newMax, "max_ts"), pick(newMax, "max_value")].join(", ");

/**
 * Folds a written batch into the summaries. `allNew`: every point of the batch
 * was inserted (none was a duplicate), so counts can simply be added.
 */
export async function writeBuckets(db: Db, dialect: SqlDialect, runPk: number, metrics: Metric[], allNew: boolean): Promise<void> {
  const aggs = aggregateBuckets(metrics);
  const rows = aggs.map((a) => [runPk, a.key, a.level, a.bucket, allNew ? a.cnt : 0, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
  await dialect.bulkInsert(db, "metric_buckets", COLUMNS, rows, UPSERT);
  if (!allNew) await recount(db, runPk, aggs);
}

/** Exact counts for the touched buckets, finest level first. */
async function recount(db: Db, runPk: number, aggs: BucketAgg[]): Promise<void> {
  for (const level of BUCKET_LEVELS) {
    for (const a of aggs) {
      if (a.level !== level) continue;
      const from = bucketStart(level, a.bucket);
      const count =
        level === FINEST
          ? sql<number>`(select count(*) from metrics where run_id = ${runPk} and ${sql.ref("key")} = ${a.key} and step >= ${from} and step < ${from + 2 ** level})`
          : sql<number>`(select coalesce(sum(c.cnt), 0) from metric_buckets c where c.run_id = ${runPk} and c.${sql.ref("key")} = ${a.key}
              and c.level = ${level - (BUCKET_LEVELS[1] - BUCKET_LEVELS[0])} and c.bucket >= ${a.bucket * FAN_OUT} and c.bucket < ${(a.bucket + 1) * FAN_OUT})`;
      await db
        .updateTable("metric_buckets")
        .set({ cnt: count })
        .where("run_id", "=", runPk)
        .where("key", "=", a.key)
        .where("level", "=", level)
        .where("bucket", "=", a.bucket)
        .execute();
    }
  }
}
