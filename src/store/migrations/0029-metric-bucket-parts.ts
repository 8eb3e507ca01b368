/**
 * Migration 0029: `metric_bucket_parts`, the finest level's closed summaries (256 steps) packed: one row per
 * series, write and window of 16 such buckets (`grp` = bucket >> 4), its `data` the summaries of the buckets the
 * write closed there, 64 bytes each (store/sql/tracking/bucket-parts.ts). A write inserts it and reads nothing:
 * no `ON CONFLICT` and one row where metric_buckets took one per bucket. Readers merge a bucket's parts.
 *
 * Existing databases need no rewrite: finest-level rows written before stay in metric_buckets, and readers merge
 * them with the parts (both halves only add points, so the merge is exact); the coarser levels stay there.
 * @module
 */
import type { Kysely } from "kysely";
import { text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  await db.schema
    .createTable("metric_bucket_parts")
    // PostgreSQL: no foreign key, as for the other metric tables (migration 19): purge deletes the rows itself.
    .addColumn("run_id", "integer", (c) => (d === "sqlite" ? c.notNull().references("runs.id").onDelete("cascade") : c.notNull()))
    .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
    .addColumn("grp", d === "postgres" ? "bigint" : "integer", (c) => c.notNull())
    .addColumn("data", d === "postgres" ? "bytea" : "blob", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("metric_bucket_parts_grp").on("metric_bucket_parts").columns(["run_id", "key", "grp"]).execute();
}

export const metricBucketPartsMigration: Migration = { version: 29, name: "metric_bucket_parts", up };
