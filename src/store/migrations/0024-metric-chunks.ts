/**
 * Metric history in chunks (store/sql/tracking/metric-chunks.ts): `metric_chunks` holds a series' plain points
 * packed in binary, one row per series and write, instead of one indexed row per point in `metrics`.
 *
 * - One B-tree index, (run_id, key, min_step, max_step): a one-point write costs a heap row and one index
 *   entry, as a `metrics` row did. MLflow's duplicate rule is kept by the writers (chunk-writes.ts), which
 *   decide from the series' latest_metrics row whether a write can meet stored points at all.
 * - PostgreSQL: latest_metrics gains `guard_step` and `guard_ts` — the first point of the write that upserts the
 *   row — and the functions `metric_chunks_meet()` (whether committed chunks span steps of a write, read with a
 *   snapshot taken after the caller locked the series' row) and `metric_points_overlap()`, which the upsert
 *   calls (failing the statement with SQLSTATE CM001) when the write may meet points it did not see
 *   (metric-tail.ts: seriesUpsertGuarded): a write that took the fast path rolls back and runs the careful way. The bytes are stored uncompressed
 *   (`STORAGE EXTERNAL`: pglz on every chunk costs CPU and gains little on float64s) and inline up to the
 *   largest tuple a page holds (`toast_tuple_target`), so a chunk of ~340 points is one heap tuple.
 * - The existing points move into chunks, series by series, in pages of at most {@link PAGE} rows cut between
 *   two steps. The rows with a model or dataset link stay in `metrics` too (the logged-model readers use them);
 *   the others are deleted.
 */
import { CompiledQuery, sql, type Kysely } from "kysely";
import type { Migration } from "./migration.js";
import type { SqlDialectName } from "../sql/sql-dialect.js";
import { insertChunks, type ChunkRow } from "../sql/tracking/chunk-writes.js";
import { buildChunks, OVERLAP_SQLSTATE, WINDOW_BITS, type Point } from "../sql/tracking/metric-chunks.js";
import { text } from "./ddl-helpers.js";

/** Rows read at once while moving points. */
const PAGE = 50_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("metric_chunks")
    .addColumn("run_id", "integer", (c) => (d === "sqlite" ? c.notNull().references("runs.id").onDelete("cascade") : c.notNull()))
    .addColumn("key", text(d, "varchar(250)"), (c) => c.notNull())
    .addColumn("min_step", big, (c) => c.notNull())
    .addColumn("max_step", big, (c) => c.notNull())
    .addColumn("min_ts", big, (c) => c.notNull())
    .addColumn("max_ts", big, (c) => c.notNull())
    .addColumn("cnt", "integer", (c) => c.notNull())
    .addColumn("points", d === "postgres" ? "bytea" : "blob", (c) => c.notNull())
    .addCheckConstraint("metric_chunks_size", sql`cnt > 0 and length(points) = cnt * 24`)
    .execute();
  // The one index: reads by step range (max_step filters chunks without reading them) and the writers' lookup.
  await db.schema.createIndex("metric_chunks_steps").on("metric_chunks").columns(["run_id", "key", "min_step", "max_step"]).execute();
  if (d === "postgres") {
    await sql`alter table metric_chunks alter column points set storage external`.execute(db);
    await sql`alter table metric_chunks set (toast_tuple_target = 8160)`.execute(db);
    await sql`alter table latest_metrics add column guard_step bigint, add column guard_ts bigint`.execute(db);
    await sql.raw(`create or replace function metric_points_overlap() returns bigint language plpgsql as $$
      begin raise exception 'metric points may meet stored ones' using errcode = '${OVERLAP_SQLSTATE}'; end $$`).execute(db);
    // Volatile: its query takes a snapshot of its own, so it sees what committed while the caller waited for a
    // row lock. The caller's own chunks (this transaction's) are not "stored" ones.
    await sql.raw(`create or replace function metric_chunks_meet(run integer, series text, lo bigint, hi bigint) returns boolean
      language plpgsql volatile as $$ begin return exists (select 1 from metric_chunks c where c.run_id = run and c.key = series
        and c.min_step >= ((lo >> ${WINDOW_BITS}) << ${WINDOW_BITS}) and c.min_step <= hi and c.max_step >= lo
        and c.xmin <> pg_current_xact_id()::xid); end $$`).execute(db);
  }
  await movePoints(db, d);
}

/** Moves every series' points from `metrics` into chunks (see the module's comment). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function movePoints(db: Kysely<any>, d: SqlDialectName): Promise<void> {
  const series = await sql<{ run_id: number; key: string }>`select distinct run_id, ${sql.ref("key")} from metrics order by run_id, ${sql.ref("key")}`.execute(db);
  for (const { run_id: runPk, key } of series.rows) {
    let from: number | undefined;
    for (;;) {
      const after = from === undefined ? sql`` : sql`and step >= ${from}`;
      const page = await sql<{ step: number; timestamp: number; value: number; is_nan: number }>`
        select step, ${sql.ref("timestamp")}, value, is_nan from metrics where run_id = ${runPk} and ${sql.ref("key")} = ${key} ${after}
        order by step, ${sql.ref("timestamp")}, value, is_nan limit ${PAGE}`.execute(db);
      let points: Point[] = page.rows.map((r) => ({ step: Number(r.step), timestamp: Number(r.timestamp), value: Number(r.is_nan) ? NaN : Number(r.value) }));
      const full = points.length === PAGE;
      if (full) {
        // The page's last step may go on in the next page: it starts there (a step is never cut).
        const last = points[points.length - 1].step;
        const kept = points.filter((p) => p.step !== last);
        if (kept.length === 0) {
          const whole = await sql<{ step: number; timestamp: number; value: number; is_nan: number }>`
            select step, ${sql.ref("timestamp")}, value, is_nan from metrics where run_id = ${runPk} and ${sql.ref("key")} = ${key} and step = ${last}
            order by ${sql.ref("timestamp")}, value, is_nan`.execute(db);
          points = whole.rows.map((r) => ({ step: Number(r.step), timestamp: Number(r.timestamp), value: Number(r.is_nan) ? NaN : Number(r.value) }));
          from = last + 1;
        } else {
          points = kept;
          from = last;
        }
      }
      const rows: ChunkRow[] = buildChunks(points).map((chunk) => ({ runPk: Number(runPk), key, chunk }));
      await insertChunks(db, { name: d, runPrepared: runRaw }, rows);
      if (!full) break;
    }
  }
  await sql`delete from metrics where model_id is null and dataset_name is null and dataset_digest is null`.execute(db);
}

/** The dialects' prepared statements belong to an open connection's pool; a migration sends the text as is. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runRaw<R>(db: Kysely<any>, text: string, values: readonly unknown[]): Promise<R[]> {
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...values]))).rows as R[];
}

export const metricChunksMigration: Migration = { version: 24, name: "metric_chunks", up };
