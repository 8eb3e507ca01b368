/**
 * The durable job runner and the event stream (src/jobs/): jobs with their
 * leases, log lines and cron schedules; a generic event outbox beside
 * `registry_events`; and one durable cursor per subscriber and source.
 *
 * Both outboxes get a `tx` column. On PostgreSQL it is the writing
 * transaction's id (`pg_current_xact_id()`), because identity values are
 * handed out at INSERT, not at COMMIT: a reader that trusted `id` alone could
 * move past an id whose transaction commits later and lose that event. A
 * reader takes only rows whose transaction is older than every one still
 * running (`pg_snapshot_xmin`) and orders by (tx, id) — no later row can sort
 * before what it has read. SQLite has one writer at a time, so ids are already
 * in commit order and `tx` stays 0.
 */
import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  const pg = d === "postgres";

  let jobs = db.schema.createTable("jobs");
  jobs = pg
    ? jobs.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : jobs.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await jobs
    .addColumn("type", text(d, "varchar(200)"), (c) => c.notNull())
    .addColumn("payload", text(d, "text"), (c) => c.notNull())
    .addColumn("state", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("run_after", big, (c) => c.notNull())
    .addColumn("idempotency_key", text(d, "varchar(256)"))
    .addColumn("schedule", text(d, "varchar(200)"))
    .addColumn("lease_owner", text(d, "varchar(200)"))
    .addColumn("lease_until", big)
    .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("progress", pg ? "double precision" : "real")
    .addColumn("progress_message", text(d, "text"))
    .addColumn("result", text(d, "text"))
    .addColumn("error", text(d, "text"))
    .addColumn("log_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("started_at", big)
    .addColumn("finished_at", big)
    .execute();
  // Leasing walks queued jobs in the order it takes them (priority first, highest first), so the first due
  // rows end the scan instead of a sort of the whole backlog; expired leases are found under 'running'.
  await db.schema.createIndex("jobs_ready").on("jobs").columns(["state", "priority desc", "run_after", "id"]).execute();
  await db.schema.createIndex("jobs_lease_expiry").on("jobs").columns(["state", "lease_until"]).execute();
  await db.schema.createIndex("jobs_type").on("jobs").columns(["type", "id"]).execute();
  // NULL keys never collide (both engines), so only keyed jobs are deduplicated.
  await db.schema.createIndex("jobs_idempotency_key").unique().on("jobs").column("idempotency_key").execute();

  await clusteredByKey(
    db.schema
      .createTable("job_logs")
      .addColumn("job_id", big, (c) => c.notNull().references("jobs.id").onDelete("cascade"))
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("time", big, (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("level", text(d, "varchar(8)"), (c) => c.notNull())
      .addColumn("message", text(d, "text"), (c) => c.notNull())
      .addPrimaryKeyConstraint("job_logs_pk", ["job_id", "seq"]),
    d,
  ).execute();

  await db.schema
    .createTable("job_schedules")
    .addColumn("name", text(d, "varchar(200)"), (c) => c.primaryKey())
    .addColumn("type", text(d, "varchar(200)"), (c) => c.notNull())
    .addColumn("cron", text(d, "varchar(200)"), (c) => c.notNull())
    .addColumn("timezone", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("payload", text(d, "text"), (c) => c.notNull())
    .addColumn("next_run_at", big, (c) => c.notNull())
    .addColumn("last_run_at", big)
    .addColumn("last_job_id", big)
    .addColumn("updated_at", big, (c) => c.notNull())
    .execute();

  let events = db.schema.createTable("stream_events");
  events = pg
    ? events.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : events.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await txColumn(events, d)
    .addColumn("time", big, (c) => c.notNull())
    .addColumn("type", text(d, "varchar(200)"), (c) => c.notNull())
    .addColumn("subject", text(d, "varchar(500)"))
    .addColumn("payload", text(d, "text"), (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable("registry_events")
    .addColumn("tx", pg ? sql`xid8` : "integer", (c) => c.notNull().defaultTo(pg ? sql`pg_current_xact_id()` : 0))
    .execute();
  if (pg) {
    await db.schema.createIndex("stream_events_tx").on("stream_events").columns(["tx", "id"]).execute();
    await db.schema.createIndex("registry_events_tx").on("registry_events").columns(["tx", "id"]).execute();
  }

  await db.schema
    .createTable("event_cursors")
    .addColumn("subscriber", text(d, "varchar(200)"), (c) => c.notNull())
    .addColumn("source", text(d, "varchar(64)"), (c) => c.notNull())
    // PostgreSQL: an xid8 in text form; SQLite: "0".
    .addColumn("cursor_tx", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("cursor_id", big, (c) => c.notNull())
    .addColumn("lease_owner", text(d, "varchar(200)"))
    .addColumn("lease_until", big)
    .addColumn("updated_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("event_cursors_pk", ["subscriber", "source"])
    .execute();
}

/** The writing transaction's id (PostgreSQL) or 0 (SQLite): see the module comment. */
function txColumn<T extends string, C extends string>(b: CreateTableBuilder<T, C>, d: SqlDialectName): CreateTableBuilder<T, C | "tx"> {
  return d === "postgres"
    ? b.addColumn("tx", sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
    : b.addColumn("tx", "integer", (c) => c.notNull().defaultTo(0));
}

export const jobsMigration: Migration = { version: 9, name: "jobs", up };
