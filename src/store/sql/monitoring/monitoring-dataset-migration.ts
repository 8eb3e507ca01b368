/**
 * Migration 0016: inference segments may belong to a named dataset — rows a
 * batch scoring run logged (`ciclo models predict --log-to-monitor <name>`),
 * which a monitor watches by that name. Existing segments belong to none ('').
 * @module
 */
import type { Kysely } from "kysely";
import { text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  await db.schema
    .alterTable("monitoring_segments")
    .addColumn("dataset", text(d, "varchar(256)"), (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema.createIndex("monitoring_segments_dataset").on("monitoring_segments").columns(["dataset", "start_time"]).execute();
}

export const monitoringDatasetMigration: Migration = { version: 16, name: "monitoring-datasets", up };
