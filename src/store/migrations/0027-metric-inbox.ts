/**
 * Migration 0027: `metric_inbox`, where a group commit's plain metric points wait to be folded into the history
 * (store/sql/tracking/metric-inbox.ts). One row per group: `runs` names the runs its points refer to (int32
 * big-endian each, 0 for a run the write refused), `points` holds the points packed in binary, `cnt` counts them.
 * A write adds one row whatever runs and series it names; a fold moves many rows at once into chunks, latest
 * values and summaries, and deletes them in the same transaction.
 * @module
 */
import type { Kysely } from "kysely";
import { idColumn } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const blob = d === "postgres" ? "bytea" : "blob";
  await idColumn(db.schema.createTable("metric_inbox"), "id", d)
    .addColumn("cnt", "integer", (c) => c.notNull())
    .addColumn("runs", blob, (c) => c.notNull())
    .addColumn("points", blob, (c) => c.notNull())
    .execute();
}

export const metricInboxMigration: Migration = { version: 27, name: "metric_inbox", up };
