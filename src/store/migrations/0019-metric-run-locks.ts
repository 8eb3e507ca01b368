/**
 * PostgreSQL: the metric tables (history, latest values, summaries) lose their foreign keys to `runs`.
 *
 * A foreign key is checked per inserted row: a trigger runs a lookup of the run and locks its row
 * `FOR KEY SHARE`, once for every point. In a 1,000-point log-batch those checks took ~40 % of the group
 * statement's time, and a group's points mostly name one or a few runs. The write path now locks each run
 * it writes to once per statement instead (`FOR KEY SHARE` where it reads the run), which is what the
 * checks guaranteed: a run cannot be purged while points for it are being written, and points are written
 * only for a run that exists and is active. Purging deletes the metric rows itself (gc-queries.ts names every
 * child table; it never relied on the cascade). SQLite keeps its foreign keys (dropping one means rebuilding
 * the table, and its checks cost far less than a PostgreSQL trigger).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  if (d !== "postgres") return;
  // The run_id → runs foreign keys of these tables, whatever PostgreSQL named them.
  const fks = await sql<{ table: string; name: string }>`
    select conrelid::regclass::text as table, conname as name from pg_constraint
    where contype = 'f' and confrelid = 'runs'::regclass
      and conrelid in ('metrics'::regclass, 'latest_metrics'::regclass, 'metric_buckets'::regclass)`.execute(db);
  for (const fk of fks.rows) await sql`alter table ${sql.table(fk.table)} drop constraint ${sql.ref(fk.name)}`.execute(db);
}

export const metricRunLocksMigration: Migration = { version: 19, name: "metric_run_locks", up };
