/**
 * Migration 0026: a job may be pinned to one worker (`jobs.pinned_to`), and
 * workers announce that they are alive (`job_workers`, one row per worker,
 * renewed while it runs). Several `ciclo server`s share one database and each
 * supervises its own model servers: a restart of one of them is work only its
 * server can do. A pinned job is leased only by its worker; once that worker
 * stops announcing itself, other workers fail its pinned jobs (docs/jobs.md).
 * @module
 */
import type { Kysely } from "kysely";
import { clusteredByKey, text } from "./ddl-helpers.js";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("jobs").addColumn("pinned_to", text(d, "varchar(200)")).execute();
  // The orphan check looks for queued jobs pinned to someone: few rows, found without a scan of the backlog.
  await db.schema.createIndex("jobs_pinned").on("jobs").columns(["pinned_to", "state"]).execute();
  await clusteredByKey(
    db.schema
      .createTable("job_workers")
      .addColumn("worker", text(d, "varchar(200)"), (c) => c.primaryKey())
      .addColumn("seen_until", big, (c) => c.notNull())
      .addColumn("started_at", big, (c) => c.notNull()),
    d,
  ).execute();
}

export const jobPinsMigration: Migration = { version: 26, name: "job_pins", up };
