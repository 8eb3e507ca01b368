/**
 * Migration 0014, the pipeline triggers' tables: the triggers (what starts
 * which pipeline of which project: a git push webhook, a cron schedule or a
 * registry event) and their firings, one row per delivery, tick or event a
 * trigger acted on. A firing's key is unique per trigger, which is how a
 * replayed webhook delivery or a redelivered event is refused.
 * @module
 */
import type { Kysely } from "kysely";
import { clusteredByKey, text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("pipeline_triggers")
    .addColumn("trigger_id", text(d, "varchar(64)"), (c) => c.primaryKey())
    .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull().unique())
    .addColumn("kind", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("project", text(d, "varchar(2048)"), (c) => c.notNull())
    .addColumn("pipeline", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("config", text(d, "text"), (c) => c.notNull())
    .addColumn("inputs", text(d, "text"), (c) => c.notNull())
    .addColumn("secret_name", text(d, "varchar(128)"))
    .addColumn("next_fire_at", big)
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("created_by", text(d, "varchar(256)"))
    .execute();
  await db.schema.createIndex("pipeline_triggers_kind").on("pipeline_triggers").columns(["kind", "next_fire_at"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("pipeline_trigger_firings")
      .addColumn("trigger_id", text(d, "varchar(64)"), (c) => c.notNull().references("pipeline_triggers.trigger_id").onDelete("cascade"))
      .addColumn("firing_key", text(d, "varchar(256)"), (c) => c.notNull())
      .addColumn("fired_at", big, (c) => c.notNull())
      .addColumn("outcome", text(d, "varchar(16)"), (c) => c.notNull())
      .addColumn("reason", text(d, "text"))
      .addColumn("detail", text(d, "text"), (c) => c.notNull())
      .addColumn("run_id", text(d, "varchar(64)"))
      .addPrimaryKeyConstraint("pipeline_trigger_firings_pk", ["trigger_id", "firing_key"]),
    d,
  ).execute();
  await db.schema.createIndex("pipeline_trigger_firings_time").on("pipeline_trigger_firings").columns(["trigger_id", "fired_at"]).execute();
}

export const pipelineTriggersMigration: Migration = { version: 14, name: "pipeline-triggers", up };
