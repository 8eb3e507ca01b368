/**
 * MLflow 3 assessments and trace–run links (migration 0025), and indexes for
 * trace tag and metadata equality filters.
 *
 * - `assessments`: the feedback and expectations logged on a trace (MLflow's
 *   table of the same name); values, errors and metadata as JSON text.
 * - `trace_run_links`: `link_traces_to_run` (MLflow's entity associations of a
 *   trace with a run); searched by run, deleted with the trace.
 * - `trace_tags` / `trace_request_metadata` were indexed on (key, trace) only,
 *   so `tags.k = 'v'` read every trace with the key; now on the value too —
 *   the whole value on SQLite, its first 256 characters on PostgreSQL (a
 *   B-tree entry is limited to ~2.7 KB; values may be 8,000 characters), as
 *   params and tags are (migrations 0006–0007).
 *
 * One of the store's own migrations (like 0023): gc's SQL purges these rows
 * with their experiment.
 * @module
 */
import { sql, type Kysely } from "kysely";
import { VALUE_PREFIX_LENGTH, type SqlDialectName } from "../sql/sql-dialect.js";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("assessments")
    .addColumn("assessment_id", text(d, "varchar(50)"), (c) => c.primaryKey())
    .addColumn("trace_id", text(d, "varchar(64)"), (c) => c.notNull().references("trace_info.request_id").onDelete("cascade"))
    .addColumn("name", text(d, "varchar(250)"), (c) => c.notNull())
    .addColumn("assessment_type", text(d, "varchar(20)"), (c) => c.notNull())
    .addColumn("value", text(d, "text"), (c) => c.notNull())
    .addColumn("error", text(d, "text"))
    .addColumn("created_timestamp", big, (c) => c.notNull())
    .addColumn("last_updated_timestamp", big, (c) => c.notNull())
    .addColumn("source_type", text(d, "varchar(50)"), (c) => c.notNull())
    .addColumn("source_id", text(d, "varchar(250)"))
    .addColumn("run_id", text(d, "varchar(32)"))
    .addColumn("span_id", text(d, "varchar(50)"))
    .addColumn("rationale", text(d, "text"))
    .addColumn("overrides", text(d, "varchar(50)"))
    .addColumn("valid", "integer", (c) => c.notNull())
    .addColumn("assessment_metadata", text(d, "text"))
    .execute();
  // A trace's assessments are read with it, oldest first.
  await db.schema.createIndex("assessments_trace_created").on("assessments").columns(["trace_id", "created_timestamp", "assessment_id"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("trace_run_links")
      .addColumn("run_id", text(d, "varchar(32)"), (c) => c.notNull())
      .addColumn("request_id", text(d, "varchar(64)"), (c) => c.notNull().references("trace_info.request_id").onDelete("cascade"))
      .addColumn("created_time", big, (c) => c.notNull())
      .addPrimaryKeyConstraint("trace_run_links_pk", ["run_id", "request_id"]),
    d,
  ).execute();
  await db.schema.createIndex("trace_run_links_trace").on("trace_run_links").columns(["request_id"]).execute();

  for (const table of ["trace_tags", "trace_request_metadata"]) {
    await db.schema.dropIndex(`${table}_key`).execute();
    if (d === "postgres") {
      await db.schema
        .createIndex(`${table}_key_value_prefix`)
        .on(table)
        .expression(sql`${sql.ref("key")}, substr(${sql.ref("value")}, 1, ${sql.lit(VALUE_PREFIX_LENGTH)}), request_id`)
        .execute();
    } else {
      await db.schema.createIndex(`${table}_key_value`).on(table).columns(["key", "value", "request_id"]).execute();
    }
  }
}

export const traceAssessmentsMigration: Migration = { version: 25, name: "trace_assessments", up };
