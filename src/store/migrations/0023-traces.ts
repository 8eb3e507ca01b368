/**
 * MLflow 3 traces (migration 0023): trace infos, their tags and their
 * request metadata. Spans are not here: they are `traces.json` in the
 * artifact store. Tags and metadata go with their trace (on delete cascade);
 * a trace goes with its experiment's purge (gc, whose SQL deletes them:
 * hence one of the store's own migrations, not the traces module's).
 * @module
 */
import { sql, type Kysely } from "kysely";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("trace_info")
    .addColumn("request_id", text(d, "varchar(64)"), (c) => c.primaryKey())
    .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.experiment_id"))
    .addColumn("timestamp_ms", big, (c) => c.notNull())
    .addColumn("execution_time_ms", big)
    .addColumn("status", text(d, "varchar(50)"), (c) => c.notNull())
    .addColumn("client_request_id", text(d, "varchar(250)"))
    .addColumn("request_preview", text(d, "text"))
    .addColumn("response_preview", text(d, "text"))
    .execute();
  // Search and delete-by-time: one experiment's traces by start time. MLflow's default order is newest first, then
  // the id; searches sort NULLs last, which PostgreSQL walks an index for only when the index says so (else it sorts
  // every trace of the experiment). SQLite's index definitions have no NULLS clause; its planner walks this one.
  if (d === "postgres") {
    await sql`create index trace_info_experiment_time on trace_info (experiment_id, timestamp_ms desc nulls last, request_id)`.execute(db);
  } else {
    await db.schema.createIndex("trace_info_experiment_time").on("trace_info").columns(["experiment_id", "timestamp_ms", "request_id"]).execute();
  }
  for (const table of ["trace_tags", "trace_request_metadata"]) {
    await clusteredByKey(
      db.schema
        .createTable(table)
        .addColumn("request_id", text(d, "varchar(64)"), (c) => c.notNull().references("trace_info.request_id").onDelete("cascade"))
        .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
        .addColumn("value", text(d, "text"), (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["request_id", "key"]),
      d,
    ).execute();
    // Filters on a key (`tags.topic = 'x'`, `request_metadata.mlflow.sourceRun = '...'`) probe by key, then trace.
    await db.schema.createIndex(`${table}_key`).on(table).columns(["key", "request_id"]).execute();
  }
}

export const tracesMigration: Migration = { version: 23, name: "traces", up };
