/**
 * PostgreSQL: `runs` loses its foreign key to `experiments`, and `tags` its foreign key to `runs`.
 *
 * A new run costs three foreign-key checks on PostgreSQL (its experiment, and the run for each of its two default
 * tags): a trigger per inserted row that runs a lookup and locks the parent row `FOR KEY SHARE`, every group of
 * runs locking the same experiment row over and over. In a profile of the create-run group statement those checks
 * were about a quarter of the backend's CPU. As migration 19 did for the metric tables, the writers take the lock
 * themselves, once per statement, where they read the parent:
 * - a new run: its experiment `FOR KEY SHARE` (create-run-group.ts, run-queries.ts `createRun`), so a purge of the
 *   experiment waits for the insert, then sees the run and refuses; an experiment purged first is not found;
 * - a tag: its run `FOR KEY SHARE` (log-batch-statement.ts, log-batch.ts), or the run is the one the same statement
 *   inserted (create run), or the run's own row is updated first (a rename in run-queries.ts `updateRun`);
 * - an imported run: its experiments checked and locked before the insert (import-run-writer.ts).
 * Purging never relied on cascades (gc-queries.ts deletes every child table first). The other foreign keys to runs
 * and experiments (params, inputs, datasets, logged models) stay: their writes are rare. SQLite keeps every foreign
 * key (dropping one means rebuilding the table, and its checks cost far less than a PostgreSQL trigger).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  if (d !== "postgres") return;
  // The two foreign keys, whatever PostgreSQL named them.
  const fks = await sql<{ table: string; name: string }>`
    select conrelid::regclass::text as table, conname as name from pg_constraint
    where contype = 'f' and (
      (conrelid = 'runs'::regclass and confrelid = 'experiments'::regclass) or
      (conrelid = 'tags'::regclass and confrelid = 'runs'::regclass))`.execute(db);
  for (const fk of fks.rows) await sql`alter table ${sql.table(fk.table)} drop constraint ${sql.ref(fk.name)}`.execute(db);
}

export const runTagLocksMigration: Migration = { version: 21, name: "run_tag_locks", up };
