/**
 * Derived metric rows — the latest value per key, its open summary bucket, and the closed summaries —
 * written once per transaction instead of once per request.
 *
 * On SQLite a group commit runs many log-metric/log-batch requests in one
 * transaction. Each request inserts its own points; what is derived from them
 * is staged here, kept only if the request's savepoint is released, merged
 * across the group and written just before COMMIT. Where no tail is attached
 * (PostgreSQL outside a group), the derived rows are written at once.
 *
 * A series' latest_metrics row holds its open bucket (open-bucket.ts), so the tail reads the rows of the series
 * it touches (locking them on PostgreSQL), works out each one's next state and what moves to metric_buckets,
 * and writes one row per series — plus summary rows only when a bucket closes or points land in an older one.
 * PostgreSQL's one-statement group (log-batch-statement.ts) does the same in SQL.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import { recount, upsertBucketRows, type BucketAgg } from "./metric-buckets.js";
import { applySeriesWrite, mergeSummary, splitSeries, type SeriesState } from "./open-bucket.js";
import type { Database } from "../schema.js";
import type { CommitHook } from "../group-commit-queue.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

export interface MetricTailEntry {
  runPk: number;
  metrics: Metric[];
  /** No point of the write was a duplicate, so bucket counts can be added. */
  allNew: boolean;
}

/** The same leading columns as the history's: run_id, key, step, timestamp, value, is_nan. */
export const POINT_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "step", pgType: "int8" },
  { name: "timestamp", pgType: "int8" },
  { name: "value", pgType: "float8" },
  { name: "is_nan", pgType: "int2" },
];

/** latest_metrics' open bucket columns (migration 20), in a Summary's order. */
export const OPEN_COLUMNS: BulkColumn[] = [
  { name: "open_cnt", pgType: "int8" },
  { name: "open_min_value", pgType: "float8" },
  { name: "open_min_step", pgType: "int8" },
  { name: "open_min_ts", pgType: "int8" },
  { name: "open_max_value", pgType: "float8" },
  { name: "open_max_step", pgType: "int8" },
  { name: "open_max_ts", pgType: "int8" },
];

const SERIES_COLUMNS = [...POINT_COLUMNS, ...OPEN_COLUMNS];
/** The whole row as worked out here (the row is locked, or SQLite's one writer holds the database). */
const SERIES_REPLACE =
  "on conflict (run_id, key) do update set " +
  SERIES_COLUMNS.slice(2)
    .map((c) => `"${c.name}" = excluded."${c.name}"`)
    .join(", ");

/** Series read per statement (two bound values each). */
const READ_CHUNK = 400;

interface Series {
  runPk: number;
  key: string;
  points: Metric[];
  allNew: boolean;
}

/** Writes latest values and summaries for the given writes, merged per series. */
export async function writeDerived(db: Db, dialect: SqlDialect, entries: MetricTailEntry[]): Promise<void> {
  const byId = new Map<string, Series>();
  for (const e of entries) {
    for (const m of e.metrics) {
      const id = `${e.runPk}\u0000${m.key}`;
      const s = byId.get(id);
      if (s) {
        s.points.push(m);
        s.allNew &&= e.allNew;
      } else byId.set(id, { runPk: e.runPk, key: m.key, points: [m], allNew: e.allNew });
    }
  }
  if (byId.size === 0) return;
  // Sorted so that concurrent transactions lock rows in one order (PostgreSQL).
  const series = [...byId.values()].sort((a, b) => a.runPk - b.runPk || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const writes = series.map((s) => splitSeries(s.points));
  if (dialect.name === "postgres") {
    // Rows for new series first (empty open part), so that every series' row can be locked below; a concurrent
    // transaction adding the same series makes this wait for it and skip the row.
    const fresh = writes.map((w, i) => pointRow(series[i].runPk, w.latest));
    await dialect.bulkInsert(db, "latest_metrics", POINT_COLUMNS, fresh, "on conflict do nothing");
  }
  const current = await readSeries(db, dialect, series);

  const rows: unknown[][] = [];
  const stored = new Map<string, { runPk: number; agg: BucketAgg }>();
  const openSteps = new Map<string, number>();
  for (const [i, s] of series.entries()) {
    const { next, stored: adds } = applySeriesWrite(current.get(`${s.runPk}\u0000${s.key}`), s.key, writes[i]);
    const o = next.open;
    rows.push([...pointRow(s.runPk, next.latest), o.cnt, o.minV, o.minS, o.minT, o.maxV, o.maxS, o.maxT]);
    openSteps.set(`${s.runPk}\u0000${s.key}`, next.latest.step);
    for (const a of adds) {
      // Parts of one bucket (the open part leaving, older points) merge into one row: one upsert per row.
      const id = `${s.runPk}\u0000${a.level}\u0000${a.bucket}\u0000${a.key}`;
      const had = stored.get(id);
      if (had) mergeSummary(had.agg, a);
      else stored.set(id, { runPk: s.runPk, agg: { ...a } });
    }
  }
  await dialect.bulkInsert(db, "latest_metrics", SERIES_COLUMNS, rows, SERIES_REPLACE);
  const bucketRows = [...stored.values()]
    .sort((x, y) => x.runPk - y.runPk || x.agg.level - y.agg.level || x.agg.bucket - y.agg.bucket || (x.agg.key < y.agg.key ? -1 : x.agg.key > y.agg.key ? 1 : 0))
    .map(({ runPk, agg: a }) => [runPk, a.key, a.level, a.bucket, a.cnt, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
  await upsertBucketRows(db, dialect, bucketRows);
  // A write with duplicates (a retry) added counts for points stored before: recount what it touched.
  for (const s of series) if (!s.allNew) await recount(db, s.runPk, s.key, s.points, openSteps.get(`${s.runPk}\u0000${s.key}`)!);
}

function pointRow(runPk: number, m: Metric): unknown[] {
  const nan = Number.isNaN(m.value);
  return [runPk, m.key, m.step, m.timestamp, nan ? null : m.value, nan ? 1 : 0];
}

/** The stored state of `series` (locked on PostgreSQL), by `${runPk}\0${key}`. */
async function readSeries(db: Db, dialect: SqlDialect, series: readonly Series[]): Promise<Map<string, SeriesState>> {
  const out = new Map<string, SeriesState>();
  for (let i = 0; i < series.length; i += READ_CHUNK) {
    const chunk = series.slice(i, i + READ_CHUNK);
    const pairs = sql.join(chunk.map((s) => sql`(cast(${s.runPk} as integer), ${s.key})`));
    const query = db
      .selectFrom("latest_metrics")
      .selectAll()
      .where(sql<boolean>`(run_id, ${sql.ref("key")}) in (values ${pairs})`)
      .orderBy("run_id")
      .orderBy("key");
    const rows = await (dialect.name === "postgres" ? query.forUpdate() : query).execute();
    for (const r of rows) {
      out.set(`${r.run_id}\u0000${r.key}`, {
        latest: { key: r.key, step: Number(r.step), timestamp: Number(r.timestamp), value: r.is_nan ? NaN : Number(r.value) },
        open: {
          cnt: Number(r.open_cnt),
          minV: r.open_min_value === null ? null : Number(r.open_min_value),
          minS: Number(r.open_min_step),
          minT: Number(r.open_min_ts),
          maxV: r.open_max_value === null ? null : Number(r.open_max_value),
          maxS: Number(r.open_max_step),
          maxT: Number(r.open_max_ts),
        },
      });
    }
  }
  return out;
}

/** Latest values and bucket summaries of the metrics a group logged, written once per group commit. */
export const METRIC_TAIL: CommitHook<MetricTailEntry> = {
  name: "tracking.metric-tail",
  flush: (trx, entries, dialect) => writeDerived(trx, dialect, entries),
};
