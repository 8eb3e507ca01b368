/**
 * The open summary bucket of each series, kept in its `latest_metrics` row (metric-buckets.ts).
 *
 * A group commit used to upsert, for every (run, key) it touched, the latest value and one summary row at each of
 * the three levels: four rows per series, so writes spread over 32 runs cost four times the derived rows of writes
 * into one run. Now the points of a series' newest finest bucket (the one holding its latest step) are summarised
 * in its latest-value row — one row per series per group — and reach `metric_buckets` when a later bucket opens.
 *
 * The `closed_*` columns hold what the row's last write sent to `metric_buckets` instead — the part a later bucket
 * closed, or the write's points older than the open bucket — with its step (NULL when none): the upsert returns
 * them (RETURNING gives only the new row) and the same statement or transaction adds them to `metric_buckets`.
 * Nothing else reads them.
 *
 * Existing databases need no rewrite: the new columns start empty (count 0), and a bucket's summary is what
 * `metric_buckets` holds plus the open part when the bucket contains it, so summaries written before stay exact
 * where they are.
 */
import type { Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  const dbl = d === "postgres" ? "double precision" : "real";
  const columns: Array<[string, string, boolean]> = [
    ["open_cnt", big, true],
    ["open_min_value", dbl, false],
    ["open_min_step", big, true],
    ["open_min_ts", big, true],
    ["open_max_value", dbl, false],
    ["open_max_step", big, true],
    ["open_max_ts", big, true],
    ["closed_step", big, false],
    ["closed_cnt", big, false],
    ["closed_min_value", dbl, false],
    ["closed_min_step", big, false],
    ["closed_min_ts", big, false],
    ["closed_max_value", dbl, false],
    ["closed_max_step", big, false],
    ["closed_max_ts", big, false],
  ];
  // One column per statement: SQLite's ALTER TABLE adds one at a time. Both backends add them without a rewrite.
  for (const [name, type, counted] of columns) {
    await db.schema
      .alterTable("latest_metrics")
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      .addColumn(name, type as any, (c) => (counted ? c.notNull().defaultTo(0) : c))
      .execute();
  }
}

export const openMetricBucketsMigration: Migration = { version: 20, name: "open_metric_buckets", up };
