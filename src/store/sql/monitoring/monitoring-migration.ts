/**
 * Migration 0012, the monitoring module's tables: the index of inference
 * segments (Parquet files in the artifact store), ground-truth labels by
 * request id and row, monitors, their results as time series, and alerts.
 * @module
 */
import type { Kysely } from "kysely";
import { clusteredByKey, idColumn, text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  const float = d === "postgres" ? "double precision" : "real";

  await idColumn(db.schema.createTable("monitoring_segments"), "id", d)
    .addColumn("model_name", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("model_version", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("endpoint", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("deployment", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("start_time", big, (c) => c.notNull())
    .addColumn("end_time", big, (c) => c.notNull())
    .addColumn("rows", "integer", (c) => c.notNull())
    .addColumn("requests", "integer", (c) => c.notNull())
    .addColumn("errors", "integer", (c) => c.notNull())
    .addColumn("sample_rate", float, (c) => c.notNull())
    .addColumn("path", text(d, "varchar(1024)"), (c) => c.notNull())
    .addColumn("bytes", big, (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("monitoring_segments_model").on("monitoring_segments").columns(["model_name", "model_version", "start_time"]).execute();
  await db.schema.createIndex("monitoring_segments_endpoint").on("monitoring_segments").columns(["endpoint", "deployment", "start_time"]).execute();
  await db.schema.createIndex("monitoring_segments_end").on("monitoring_segments").columns(["end_time"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("monitoring_labels")
      .addColumn("request_id", text(d, "varchar(256)"), (c) => c.notNull())
      .addColumn("row_index", "integer", (c) => c.notNull())
      .addColumn("value", text(d, "text"), (c) => c.notNull())
      .addColumn("time", big, (c) => c.notNull())
      .addPrimaryKeyConstraint("monitoring_labels_pk", ["request_id", "row_index"]),
    d,
  ).execute();
  await db.schema.createIndex("monitoring_labels_time").on("monitoring_labels").columns(["time"]).execute();

  await idColumn(db.schema.createTable("monitors"), "id", d)
    .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull().unique())
    .addColumn("spec", text(d, "text"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("last_window_end", big)
    .addColumn("next_run_at", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("monitors_next_run").on("monitors").columns(["next_run_at"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("monitor_points")
      .addColumn("monitor_id", "integer", (c) => c.notNull().references("monitors.id").onDelete("cascade"))
      .addColumn("window_end", big, (c) => c.notNull())
      .addColumn("metric", text(d, "varchar(512)"), (c) => c.notNull())
      .addColumn("window_start", big, (c) => c.notNull())
      .addColumn("value", float)
      .addColumn("flagged", "integer", (c) => c.notNull())
      .addColumn("detail", text(d, "text"))
      .addPrimaryKeyConstraint("monitor_points_pk", ["monitor_id", "window_end", "metric"]),
    d,
  ).execute();

  await idColumn(db.schema.createTable("monitor_alerts"), "id", d)
    .addColumn("monitor_id", "integer", (c) => c.notNull().references("monitors.id").onDelete("cascade"))
    .addColumn("rule", text(d, "varchar(128)"), (c) => c.notNull())
    .addColumn("state", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("opened_at", big, (c) => c.notNull())
    .addColumn("last_seen_at", big, (c) => c.notNull())
    .addColumn("closed_at", big)
    .addColumn("window_start", big, (c) => c.notNull())
    .addColumn("window_end", big, (c) => c.notNull())
    .addColumn("message", text(d, "text"), (c) => c.notNull())
    .addColumn("delivery", text(d, "text"))
    .addColumn("action_job_id", text(d, "varchar(64)"))
    .execute();
  await db.schema.createIndex("monitor_alerts_rule").on("monitor_alerts").columns(["monitor_id", "rule", "id"]).execute();
}

export const monitoringMigration: Migration = { version: 12, name: "monitoring", up };
