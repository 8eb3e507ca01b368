/**
 * Migration 0028: what a pipeline run's duration needs once it was resumed.
 * `resumed_at` is when the last resume started it again; `earlier_run_ms` is
 * the time it spent running before that (each stretch from its start to its
 * end, summed), so the time it sat failed or cancelled is not counted.
 * @module
 */
import type { Kysely } from "kysely";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("pipeline_runs").addColumn("resumed_at", big).execute();
  await db.schema.alterTable("pipeline_runs").addColumn("earlier_run_ms", big, (c) => c.notNull().defaultTo(0)).execute();
}

export const pipelineResumeMigration: Migration = { version: 28, name: "pipeline_resume", up };
