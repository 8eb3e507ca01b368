/**
 * Multi-resolution metric summaries for fast downsampled charts
 * (store/sql/metric-buckets.ts), backfilled from existing history.
 */
import { sql, type Kysely } from "kysely";
import { aggregateBuckets } from "../sql/tracking/metric-buckets.js";
import type { Metric } from "../../shared/tracking-types.js";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

const PAGE = 20_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  const dbl = d === "postgres" ? "double precision" : "real";
  await clusteredByKey(
    db.schema
      .createTable("metric_buckets")
      .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
      .addColumn("level", "smallint", (c) => c.notNull())
      .addColumn("bucket", big, (c) => c.notNull())
      .addColumn("cnt", big, (c) => c.notNull())
      .addColumn("min_value", dbl)
      .addColumn("min_step", big, (c) => c.notNull())
      .addColumn("min_ts", big, (c) => c.notNull())
      .addColumn("max_value", dbl)
      .addColumn("max_step", big, (c) => c.notNull())
      .addColumn("max_ts", big, (c) => c.notNull())
      .addPrimaryKeyConstraint("metric_buckets_pk", ["run_id", "key", "level", "bucket"]),
    d,
  ).execute();

  // Backfill: read each (run, key) history once, in key order, and write its buckets.
  const series = await db.selectFrom("metrics").select(["run_id", "key"]).distinct().execute();
  for (const { run_id, key } of series as Array<{ run_id: number; key: string }>) {
    const points: Metric[] = [];
    let after: [number, number, number, number] | undefined;
    for (;;) {
      let q = db
        .selectFrom("metrics")
        .select(["step", "timestamp", "value", "is_nan"])
        .where("run_id", "=", run_id)
        .where("key", "=", key);
      if (after) q = q.where(sql<boolean>`(step, "timestamp", value, is_nan) > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]})`);
      const page = (await q.orderBy("step").orderBy("timestamp").orderBy("value").orderBy("is_nan").limit(PAGE).execute()) as Array<{
        step: number;
        timestamp: number;
        value: number;
        is_nan: number;
      }>;
      for (const p of page) points.push({ key, step: Number(p.step), timestamp: Number(p.timestamp), value: p.is_nan ? NaN : Number(p.value) });
      if (page.length < PAGE) break;
      const last = page[page.length - 1];
      after = [Number(last.step), Number(last.timestamp), Number(last.value), Number(last.is_nan)];
    }
    const rows = aggregateBuckets(points).map((a) => ({
      run_id,
      key,
      level: a.level,
      bucket: a.bucket,
      cnt: a.cnt,
      min_value: a.minV,
      min_step: a.minS,
      min_ts: a.minT,
      max_value: a.maxV,
      max_step: a.maxS,
      max_ts: a.maxT,
    }));
    for (let i = 0; i < rows.length; i += 500) await db.insertInto("metric_buckets").values(rows.slice(i, i + 500)).execute();
  }
}

export const metricBucketsMigration: Migration = { version: 3, name: "metric_buckets", up };
