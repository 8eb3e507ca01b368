/**
 * The model registry: registered models, model versions (with MLflow 3.x's
 * `model_id`), their tags, aliases, and the append-only `registry_events`
 * audit history.
 *
 * Versions and tags hang off surrogate ids, not names, so a rename touches one
 * row. `next_version` is a per-model counter: a deleted version's number is
 * never handed out again (MLflow keeps deleted rows for the same reason).
 * Audit rows carry no foreign key, so they outlive what they describe.
 */
import type { Kysely } from "kysely";
import { clusteredByKey, idColumn, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await idColumn(db.schema.createTable("registered_models"), "id", d)
    .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull().unique())
    .addColumn("creation_time", big, (c) => c.notNull())
    .addColumn("last_updated_time", big, (c) => c.notNull())
    .addColumn("description", text(d, "text"))
    .addColumn("next_version", "integer", (c) => c.notNull().defaultTo(1))
    .execute();

  await idColumn(db.schema.createTable("model_versions"), "id", d)
    .addColumn("registered_model_id", "integer", (c) => c.notNull().references("registered_models.id").onDelete("cascade"))
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("creation_time", big, (c) => c.notNull())
    .addColumn("last_updated_time", big, (c) => c.notNull())
    .addColumn("description", text(d, "text"))
    .addColumn("user_id", text(d, "varchar(256)"))
    .addColumn("current_stage", text(d, "varchar(20)"), (c) => c.notNull())
    .addColumn("source", text(d, "text"), (c) => c.notNull())
    .addColumn("storage_location", text(d, "text"))
    .addColumn("run_id", text(d, "varchar(32)"))
    .addColumn("run_link", text(d, "text"))
    .addColumn("status", text(d, "varchar(20)"), (c) => c.notNull())
    .addColumn("status_message", text(d, "text"))
    .addColumn("model_id", text(d, "varchar(64)"))
    .addUniqueConstraint("model_versions_number", ["registered_model_id", "version"])
    .execute();
  await db.schema.createIndex("model_versions_run_id").on("model_versions").columns(["run_id"]).execute();
  await db.schema.createIndex("model_versions_updated").on("model_versions").columns(["last_updated_time"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("registered_model_tags")
      .addColumn("registered_model_id", "integer", (c) => c.notNull().references("registered_models.id").onDelete("cascade"))
      .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
      .addColumn("value", text(d, "text"), (c) => c.notNull())
      .addPrimaryKeyConstraint("registered_model_tags_pk", ["registered_model_id", "key"]),
    d,
  ).execute();
  await db.schema
    .createIndex("registered_model_tags_key_value")
    .on("registered_model_tags")
    .columns(["key", "value", "registered_model_id"])
    .execute();

  await clusteredByKey(
    db.schema
      .createTable("model_version_tags")
      .addColumn("model_version_id", "integer", (c) => c.notNull().references("model_versions.id").onDelete("cascade"))
      .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
      .addColumn("value", text(d, "text"), (c) => c.notNull())
      .addPrimaryKeyConstraint("model_version_tags_pk", ["model_version_id", "key"]),
    d,
  ).execute();
  await db.schema
    .createIndex("model_version_tags_key_value")
    .on("model_version_tags")
    .columns(["key", "value", "model_version_id"])
    .execute();

  await clusteredByKey(
    db.schema
      .createTable("registered_model_aliases")
      .addColumn("registered_model_id", "integer", (c) => c.notNull().references("registered_models.id").onDelete("cascade"))
      .addColumn("alias", text(d, "varchar(256)"), (c) => c.notNull())
      .addColumn("model_version_id", "integer", (c) => c.notNull().references("model_versions.id").onDelete("cascade"))
      .addPrimaryKeyConstraint("registered_model_aliases_pk", ["registered_model_id", "alias"]),
    d,
  ).execute();
  await db.schema.createIndex("registered_model_aliases_version").on("registered_model_aliases").columns(["model_version_id"]).execute();

  await idColumn(db.schema.createTable("registry_events"), "id", d)
    .addColumn("time", big, (c) => c.notNull())
    .addColumn("actor", text(d, "varchar(256)"))
    .addColumn("registered_model_id", "integer", (c) => c.notNull())
    .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("version", "integer")
    .addColumn("entity", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("action", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("key", text(d, "varchar(256)"))
    .addColumn("from_value", text(d, "text"))
    .addColumn("to_value", text(d, "text"))
    .execute();
  await db.schema.createIndex("registry_events_model").on("registry_events").columns(["registered_model_id", "id"]).execute();
  await db.schema.createIndex("registry_events_name").on("registry_events").columns(["name", "id"]).execute();
}

export const modelRegistryMigration: Migration = { version: 4, name: "model_registry", up };
