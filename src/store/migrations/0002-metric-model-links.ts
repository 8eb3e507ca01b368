/**
 * MLflow 3.x links metric points to a logged model and a dataset
 * (`model_id`, `dataset_name`, `dataset_digest`).
 */
import type { Kysely } from "kysely";
import { text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  await db.schema.alterTable("metrics").addColumn("model_id", text(d, "varchar(64)")).execute();
  await db.schema.alterTable("metrics").addColumn("dataset_name", text(d, "varchar(500)")).execute();
  await db.schema.alterTable("metrics").addColumn("dataset_digest", text(d, "varchar(36)")).execute();
}

export const metricModelLinksMigration: Migration = { version: 2, name: "metric_model_links", up };
