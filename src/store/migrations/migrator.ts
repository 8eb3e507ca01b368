/**
 * Applies pending migrations under a database-wide lock, so that several
 * processes starting against one fresh database never race (the failure
 * MLflow users hit as `duplicate column name`, hydraflow#245).
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";
import { initialMigration } from "./0001-initial.js";
import { metricModelLinksMigration } from "./0002-metric-model-links.js";
import { metricBucketsMigration } from "./0003-metric-buckets.js";
import { valuePrefixIndexesMigration } from "./0006-value-prefix-indexes.js";
import { modelRegistryMigration } from "./0004-model-registry.js";
import { loggedModelsMigration } from "./0005-logged-models.js";
import { sqliteValueIndexesMigration } from "./0007-sqlite-value-indexes.js";
import { loggedModelSourceRunMigration } from "./0008-logged-model-source-run.js";
import { jobsMigration } from "./0009-jobs.js";
import { metricRunLocksMigration } from "./0019-metric-run-locks.js";
import { openMetricBucketsMigration } from "./0020-open-metric-buckets.js";
import { runTagLocksMigration } from "./0021-run-tag-locks.js";
import { tracesMigration } from "./0023-traces.js";
import { metricChunksMigration } from "./0024-metric-chunks.js";
import { traceAssessmentsMigration } from "./0025-trace-assessments.js";
import { jobPinsMigration } from "./0026-job-pins.js";
import { metricInboxMigration } from "./0027-metric-inbox.js";
import { metricBucketPartsMigration } from "./0029-metric-bucket-parts.js";

/** Every migration, in order. Append only; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  initialMigration,
  metricModelLinksMigration,
  metricBucketsMigration,
  modelRegistryMigration,
  loggedModelsMigration,
  valuePrefixIndexesMigration,
  sqliteValueIndexesMigration,
  loggedModelSourceRunMigration,
  jobsMigration,
  metricRunLocksMigration,
  openMetricBucketsMigration,
  runTagLocksMigration,
  tracesMigration,
  metricChunksMigration,
  traceAssessmentsMigration,
  jobPinsMigration,
  metricInboxMigration,
  metricBucketPartsMigration,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

/**
 * One ordered sequence: the store's own migrations (0001–0009, written
 * before modules existed: the tracking, registry, logged-model and job
 * tables, which their SQL joins; 0019 and 0021, the foreign keys PostgreSQL's
 * write path replaces with locks of its own; 0020, the open summary bucket of
 * each series; 0023 and 0025, MLflow 3's traces with their assessments and
 * run links, which gc's SQL purges with their experiment; 0024, metric
 * history in chunks; 0026, jobs pinned
 * to a worker and the workers' presence; 0027, the metric inbox; 0029, the finest summaries packed)
 * merged with what each module declares. Version numbers are
 * global: a duplicate is refused.
 */
export function migrationSequence(modules: ReadonlyArray<{ id: string; migrations?: readonly Migration[] }>): Migration[] {
  const all = [...MIGRATIONS];
  const owner = new Map<number, string>(MIGRATIONS.map((m) => [m.version, "store"]));
  for (const mod of modules) {
    for (const m of mod.migrations ?? []) {
      const had = owner.get(m.version);
      if (had) throw new Error(`Migration ${m.version} of module '${mod.id}' reuses a version of '${had}'.`);
      owner.set(m.version, mod.id);
      all.push(m);
    }
  }
  return all.sort((a, b) => a.version - b.version);
}

export async function migrateToLatest(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  dialect: SqlDialectName,
  target?: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const latest = migrations[migrations.length - 1].version;
  target ??= latest;
  await db.transaction().execute(async (trx) => {
    if (dialect === "postgres") await sql`select pg_advisory_xact_lock(727172)`.execute(trx);
    await trx.schema
      .createTable("schema_migrations")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("name", "varchar(200)", (c) => c.notNull())
      .addColumn("applied_at", dialect === "postgres" ? "bigint" : "integer", (c) => c.notNull())
      .execute();
  });

  const from = await currentVersion(db);
  // Refuse before applying anything: a newer ciclo may have squashed its history into
  // one baseline version, and re-running our migrations over its schema would fail obscurely.
  if (from > latest) {
    throw new Error(
      `The database schema is at version ${from}, newer than this ciclo understands ` +
        `(${latest}). Upgrade ciclo.`,
    );
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version > target) break;
    const done = await db.transaction().execute(async (trx) => {
      // SQLite: the driver begins every transaction IMMEDIATE, which takes the write lock.
      if (dialect === "postgres") await sql`select pg_advisory_xact_lock(727172)`.execute(trx);
      // Re-check inside the lock: another process may have applied it meanwhile.
      const row = await trx
        .selectFrom("schema_migrations")
        .select("version")
        .where("version", "=", m.version)
        .executeTakeFirst();
      if (row) return false;
      await m.up(trx, dialect);
      await trx
        .insertInto("schema_migrations")
        .values({ version: m.version, name: m.name, applied_at: Date.now() })
        .execute();
      return true;
    });
    if (done) applied.push(`${String(m.version).padStart(4, "0")}-${m.name}`);
  }
  return { from, to: await currentVersion(db), applied };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function currentVersion(db: Kysely<any>): Promise<number> {
  const row = await db
    .selectFrom("schema_migrations")
    .select((eb) => eb.fn.max("version").as("v"))
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}
