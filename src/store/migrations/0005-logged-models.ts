/**
 * MLflow 3.x logged models: the models, their params and tags, the runs that
 * produced them (`runs/outputs`) or used them (`runs/log-inputs` models), and
 * an index to find the metric points logged with a `model_id`.
 */
import { sql, type Kysely } from "kysely";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("logged_models")
    .addColumn("model_id", text(d, "varchar(64)"), (c) => c.primaryKey())
    .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.experiment_id"))
    .addColumn("name", text(d, "varchar(500)"), (c) => c.notNull())
    .addColumn("model_type", text(d, "varchar(500)"))
    .addColumn("source_run_id", text(d, "varchar(32)"))
    .addColumn("status", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("status_message", text(d, "text"))
    .addColumn("artifact_uri", text(d, "text"), (c) => c.notNull())
    .addColumn("creator", text(d, "varchar(256)"))
    .addColumn("lifecycle_stage", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("creation_timestamp_ms", big, (c) => c.notNull())
    .addColumn("last_updated_timestamp_ms", big, (c) => c.notNull())
    .execute();
  // Search: one experiment's models, newest first (MLflow's default order).
  await db.schema
    .createIndex("logged_models_experiment_created")
    .on("logged_models")
    .columns(["experiment_id", "creation_timestamp_ms", "model_id"])
    .execute();
  for (const table of ["logged_model_params", "logged_model_tags"]) {
    await clusteredByKey(
      db.schema
        .createTable(table)
        .addColumn("model_id", text(d, "varchar(64)"), (c) => c.notNull().references("logged_models.model_id").onDelete("cascade"))
        .addColumn("key", text(d, "varchar(255)"), (c) => c.notNull())
        // Values are unbounded text in MLflow; ciclo's service bounds them. No (key, value) index:
        // a PostgreSQL btree entry cannot exceed ~2.7 KB, and filters probe by model instead.
        .addColumn("value", text(d, "text"), (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["model_id", "key"]),
      d,
    ).execute();
    await db.schema.createIndex(`${table}_key`).on(table).columns(["key", "model_id"]).execute();
  }
  await db.schema
    .createTable("run_outputs")
    .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("model_id", text(d, "varchar(64)"), (c) => c.notNull().references("logged_models.model_id").onDelete("cascade"))
    .addColumn("step", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("run_outputs_pk", ["run_id", "model_id", "step"])
    .execute();
  await db.schema.createIndex("run_outputs_model").on("run_outputs").columns(["model_id"]).execute();
  await db.schema
    .createTable("run_model_inputs")
    .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("model_id", text(d, "varchar(64)"), (c) => c.notNull().references("logged_models.model_id").onDelete("cascade"))
    .addPrimaryKeyConstraint("run_model_inputs_pk", ["run_id", "model_id"])
    .execute();
  await db.schema.createIndex("run_model_inputs_model").on("run_model_inputs").columns(["model_id"]).execute();
  // A logged model's metrics are the points logged with its model_id (metrics.model_id, migration 2).
  // Partial: most points carry no model_id and cost the index nothing.
  await db.schema
    .createIndex("metrics_model_id")
    .on("metrics")
    .columns(["model_id", "key"])
    .where(sql.ref("model_id"), "is not", null)
    .execute();
}

export const loggedModelsMigration: Migration = { version: 5, name: "logged_models", up };
