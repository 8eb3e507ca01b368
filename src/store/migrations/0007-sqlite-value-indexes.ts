/**
 * SQLite only: params and tags indexed on the whole value again. Migration
 * 0006 indexed the first 256 characters for PostgreSQL's ~2.7 KB limit on
 * B-tree entries, and SQLite followed — but SQLite re-reads the row to check an
 * expression-index term, so `params.p0 = 'v3'` over 10,000 matching runs took
 * 9.8 ms instead of 0.25 ms. SQLite has no entry-size limit (long values go to
 * overflow pages), so it indexes the value itself and filters compare it
 * directly; PostgreSQL keeps the prefix index.
 */
import type { Kysely } from "kysely";
import type { Migration } from "./migration.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<void> {
  if (dialect !== "sqlite") return;
  for (const table of ["params", "tags"]) {
    await db.schema.dropIndex(`${table}_key_value_prefix`).execute();
    await db.schema.createIndex(`${table}_key_value`).on(table).columns(["key", "value", "run_id"]).execute();
  }
}

export const sqliteValueIndexesMigration: Migration = { version: 7, name: "sqlite_value_indexes", up };
