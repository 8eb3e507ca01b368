/** The first schema: experiments, runs, params, tags, metrics, datasets. */
import type { Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";
import { clusteredByKey, idColumn, text } from "./ddl-helpers.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  const dbl = d === "postgres" ? "double precision" : "real";

  await idColumn(db.schema.createTable("experiments"), "experiment_id", d)
    .addColumn("name", text(d, "varchar(500)"), (c) => c.notNull().unique())
    .addColumn("artifact_location", text(d, "text"), (c) => c.notNull())
    .addColumn("lifecycle_stage", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("creation_time", big, (c) => c.notNull())
    .addColumn("last_update_time", big, (c) => c.notNull())
    .addColumn("deleted_time", big)
    .execute();
  await db.schema.createIndex("experiments_creation_time").on("experiments").columns(["creation_time"]).execute();

  await db.schema
    .createTable("experiment_tags")
    .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.experiment_id").onDelete("cascade"))
    .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
    .addColumn("value", text(d, "text"), (c) => c.notNull())
    .addPrimaryKeyConstraint("experiment_tags_pk", ["experiment_id", "key"])
    .execute();

  await idColumn(db.schema.createTable("runs"), "id", d)
    .addColumn("run_uuid", text(d, "varchar(32)"), (c) => c.notNull().unique())
    .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.experiment_id"))
    .addColumn("name", text(d, "varchar(250)"), (c) => c.notNull())
    .addColumn("user_id", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("status", text(d, "varchar(20)"), (c) => c.notNull())
    .addColumn("start_time", big)
    .addColumn("end_time", big)
    .addColumn("artifact_uri", text(d, "text"), (c) => c.notNull())
    .addColumn("lifecycle_stage", text(d, "varchar(20)"), (c) => c.notNull())
    .addColumn("deleted_time", big)
    .addColumn("deleted_with_experiment", "smallint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("runs_experiment_start").on("runs").columns(["experiment_id", "start_time", "run_uuid"]).execute();

  for (const table of ["params", "tags"]) {
    await clusteredByKey(
      db.schema
        .createTable(table)
        .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
        .addColumn("value", text(d, table === "params" ? "varchar(8000)" : "text"), (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["run_id", "key"]),
      d,
    ).execute();
    await db.schema.createIndex(`${table}_key_value`).on(table).columns(["key", "value", "run_id"]).execute();
  }

  await clusteredByKey(
    db.schema
      .createTable("metrics")
      .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
      .addColumn("step", big, (c) => c.notNull())
      .addColumn("timestamp", big, (c) => c.notNull())
      .addColumn("value", dbl, (c) => c.notNull())
      .addColumn("is_nan", "smallint", (c) => c.notNull())
      .addPrimaryKeyConstraint("metrics_pk", ["run_id", "key", "step", "timestamp", "value", "is_nan"]),
    d,
  ).execute();

  await clusteredByKey(
    db.schema
      .createTable("latest_metrics")
      .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
      .addColumn("step", big, (c) => c.notNull())
      .addColumn("timestamp", big, (c) => c.notNull())
      .addColumn("value", dbl)
      .addColumn("is_nan", "smallint", (c) => c.notNull())
      .addPrimaryKeyConstraint("latest_metrics_pk", ["run_id", "key"]),
    d,
  ).execute();
  await db.schema.createIndex("latest_metrics_key_value").on("latest_metrics").columns(["key", "value", "run_id"]).execute();

  await idColumn(db.schema.createTable("datasets"), "id", d)
    .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.experiment_id").onDelete("cascade"))
    .addColumn("name", text(d, "varchar(500)"), (c) => c.notNull())
    .addColumn("digest", text(d, "varchar(36)"), (c) => c.notNull())
    .addColumn("source_type", text(d, "varchar(36)"), (c) => c.notNull())
    .addColumn("source", text(d, "text"), (c) => c.notNull())
    .addColumn("schema", text(d, "text"))
    .addColumn("profile", text(d, "text"))
    .addUniqueConstraint("datasets_identity", ["experiment_id", "name", "digest"])
    .execute();

  await db.schema
    .createTable("run_inputs")
    .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("dataset_id", "integer", (c) => c.notNull().references("datasets.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("run_inputs_pk", ["run_id", "dataset_id"])
    .execute();
  await db.schema.createIndex("run_inputs_dataset").on("run_inputs").columns(["dataset_id"]).execute();

  await db.schema
    .createTable("input_tags")
    .addColumn("run_id", "integer", (c) => c.notNull())
    .addColumn("dataset_id", "integer", (c) => c.notNull())
    .addColumn("key", text(d, "varchar(255)"), (c) => c.notNull())
    .addColumn("value", text(d, "varchar(500)"), (c) => c.notNull())
    .addPrimaryKeyConstraint("input_tags_pk", ["run_id", "dataset_id", "key"])
    .addForeignKeyConstraint("input_tags_input", ["run_id", "dataset_id"], "run_inputs", ["run_id", "dataset_id"], (c) =>
      c.onDelete("cascade"),
    )
    .execute();
}

export const initialMigration: Migration = { version: 1, name: "initial", up };
