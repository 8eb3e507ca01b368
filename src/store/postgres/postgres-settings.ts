/**
 * What a PostgreSQL server's settings mean for ciclo, said once at startup. Every tracking write rewrites its
 * series' `latest_metrics` row (and summary rows): with autovacuum off those tables and their indexes keep every old
 * row version until someone runs VACUUM, and writes slow down as they grow. ciclo does not change the server's
 * settings (they are the DBA's); it says what it found and what to do.
 * @module
 */
import { sql, type Kysely } from "kysely";

export interface PostgresSettings {
  autovacuum: string;
  trackCounts: string;
}

/** Warnings for settings that hurt ciclo (empty when none), each saying what to do. */
export function settingsWarnings(s: PostgresSettings): string[] {
  const warnings: string[] = [];
  if (s.autovacuum !== "on" || s.trackCounts !== "on") {
    warnings.push(
      `PostgreSQL's autovacuum is not running (autovacuum=${s.autovacuum}, track_counts=${s.trackCounts}): ciclo's tracking tables ` +
        "(latest_metrics, metric_buckets) get a new row version on every write and will bloat until VACUUM runs. " +
        "Turn it on (ALTER SYSTEM SET autovacuum = on; ALTER SYSTEM SET track_counts = on; SELECT pg_reload_conf();) or schedule VACUUM.",
    );
  }
  return warnings;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readSettings(db: Kysely<any>): Promise<PostgresSettings> {
  const r = await sql<{ autovacuum: string; track_counts: string }>`select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts`.execute(db);
  return { autovacuum: r.rows[0].autovacuum, trackCounts: r.rows[0].track_counts };
}
