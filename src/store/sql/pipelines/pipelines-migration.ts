/**
 * Migration 0013, the pipelines module's tables: pipeline runs (keyed by
 * their MLflow run id), their steps, step log lines, approvals and the
 * projects registered with the server.
 * @module
 */
import type { Kysely } from "kysely";
import { idColumn, text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("pipeline_runs")
    .addColumn("run_id", text(d, "varchar(32)"), (c) => c.primaryKey())
    .addColumn("pipeline", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("project", text(d, "varchar(1000)"), (c) => c.notNull())
    .addColumn("project_dir", text(d, "varchar(1000)"), (c) => c.notNull())
    .addColumn("experiment_id", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("status", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("spec", text(d, "text"), (c) => c.notNull())
    .addColumn("inputs", text(d, "text"), (c) => c.notNull())
    .addColumn("trigger", text(d, "text"), (c) => c.notNull())
    .addColumn("no_cache", "integer", (c) => c.notNull())
    .addColumn("error", text(d, "text"))
    .addColumn("launch_key", text(d, "varchar(256)"), (c) => c.unique())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("finished_at", big)
    .execute();
  await db.schema.createIndex("pipeline_runs_created").on("pipeline_runs").columns(["created_at"]).execute();
  await db.schema.createIndex("pipeline_runs_status").on("pipeline_runs").columns(["status"]).execute();
  await db.schema
    .createTable("pipeline_steps")
    .addColumn("run_id", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("step_id", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("status", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("child_run_id", text(d, "varchar(32)"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("outputs", text(d, "text"), (c) => c.notNull())
    .addColumn("cache_key", text(d, "varchar(64)"))
    .addColumn("cached_from", text(d, "varchar(32)"))
    .addColumn("error", text(d, "text"))
    .addColumn("job_id", text(d, "varchar(64)"))
    .addColumn("started_at", big)
    .addColumn("finished_at", big)
    .addPrimaryKeyConstraint("pipeline_steps_pk", ["run_id", "step_id"])
    .execute();
  await db.schema.createIndex("pipeline_steps_cache").on("pipeline_steps").columns(["cache_key", "status"]).execute();
  await idColumn(db.schema.createTable("pipeline_step_logs"), "seq", d)
    .addColumn("run_id", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("step_id", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("time", big, (c) => c.notNull())
    .addColumn("stream", text(d, "varchar(8)"), (c) => c.notNull())
    .addColumn("line", text(d, "text"), (c) => c.notNull())
    .execute();
  await db.schema.createIndex("pipeline_step_logs_run").on("pipeline_step_logs").columns(["run_id", "seq"]).execute();
  await db.schema
    .createTable("pipeline_approvals")
    .addColumn("run_id", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("step_id", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("pipeline", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("state", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("approvers", text(d, "text"), (c) => c.notNull())
    .addColumn("message", text(d, "text"))
    .addColumn("requested_at", big, (c) => c.notNull())
    .addColumn("answered_by", text(d, "varchar(256)"))
    .addColumn("answered_at", big)
    .addColumn("comment", text(d, "text"))
    .addPrimaryKeyConstraint("pipeline_approvals_pk", ["run_id", "step_id"])
    .execute();
  await db.schema.createIndex("pipeline_approvals_state").on("pipeline_approvals").columns(["state", "requested_at"]).execute();
  await db.schema
    .createTable("pipeline_projects")
    .addColumn("name", text(d, "varchar(64)"), (c) => c.primaryKey())
    .addColumn("source", text(d, "varchar(1000)"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();
}

export const pipelinesMigration: Migration = { version: 13, name: "pipelines", up };
