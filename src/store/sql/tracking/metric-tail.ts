/**
 * Derived metric rows — the latest value per key, its open summary bucket, and the closed summaries —
 * written once per transaction instead of once per request.
 *
 * On SQLite a group commit runs many log-metric/log-batch requests in one
 * transaction. Each request stages its points (chunk-writes.ts: METRIC_POINTS),
 * kept only if the request's savepoint is released; just before COMMIT the
 * group's points are written, merged per series, and what derives from the
 * new ones is written here. Where no group runs (PostgreSQL's per-write path),
 * both are written at once.
 *
 * A series' latest_metrics row holds its open bucket (open-bucket.ts), so each series touched is one upsert
 * ({@link SERIES_UPSERT}): the latest point if later, the open bucket merged, or replaced when a later bucket
 * opens — the part it replaces comes back in the row's `closed_*` columns (RETURNING gives only the new row) and
 * goes to the summaries (the finest level packed in metric_bucket_parts, bucket-parts.ts; the coarser ones
 * metric_buckets), with points older than the open bucket. PostgreSQL's one-statement group
 * (log-batch-statement.ts) runs the same upsert.
 * @module
 */
import type { Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import { aggregateBuckets, upsertBucketRows, type BucketAgg } from "./metric-buckets.js";
import { insertParts, PART_LEVEL, partRows, type PartEntry } from "./bucket-parts.js";
import { atEveryLevel, mergeSummary, OPEN_LEVEL, splitSeries, type Summary } from "./open-bucket.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

export interface MetricTailEntry {
  runPk: number;
  /** Points new to the history (chunk-writes.ts drops the stored ones), so their counts are added. */
  metrics: Metric[];
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
/** PostgreSQL: the write's first point, checked by the upsert ({@link seriesUpsertGuarded}); NULL: no check. */
const PG_SERIES_COLUMNS: BulkColumn[] = [...SERIES_COLUMNS, { name: "guard_step", pgType: "int8" }, { name: "guard_ts", pgType: "int8" }];

const was = "latest_metrics";
const bucketOf = (step: string) => `(${step} >> ${OPEN_LEVEL})`;
const opens = `${bucketOf("excluded.step")} > ${bucketOf(`${was}.step`)}`;
const same = `${bucketOf("excluded.step")} = ${bucketOf(`${was}.step`)}`;
// MLflow's order of points: later by step, then timestamp, then value (NaN, stored as NULL, smallest).
const later =
  `(excluded.step > ${was}.step or (excluded.step = ${was}.step and (excluded."timestamp" > ${was}."timestamp" or ` +
  `(excluded."timestamp" = ${was}."timestamp" and coalesce(excluded.value, -1e308) > coalesce(${was}.value, -1e308)))))`;
const lower = `(excluded.open_min_value is not null and (${was}.open_min_value is null or excluded.open_min_value < ${was}.open_min_value))`;
const higher = `(excluded.open_max_value is not null and (${was}.open_max_value is null or excluded.open_max_value > ${was}.open_max_value))`;
const pick = (cond: string, col: string) => `${col} = case when ${cond} then excluded.${col} else ${was}.${col} end`;
const older = `${bucketOf("excluded.step")} < ${bucketOf(`${was}.step`)}`;
const closed = (col: string, from: string) => `closed_${col} = case when ${opens} then ${was}.${from} when ${older} then excluded.${from} end`;
const SUMMARY_COLUMNS = ["cnt", "min_value", "min_step", "min_ts", "max_value", "max_step", "max_ts"];

/**
 * Upserts series rows inserted as (run_id, key, the latest point of the write: step, timestamp, value (NULL for
 * NaN), is_nan; the summary of its points in that point's finest bucket as the open_* columns), one per series:
 * the stored row keeps the later point; its open bucket is merged with the write's when they are the same,
 * replaced when the write's is later, and kept when the write's is older. What must go to metric_buckets instead
 * — the replaced open part, or the write's part older than the open bucket — comes back in closed_* with the
 * step it belongs at (NULL when neither). Returns run_id, key, the row's step and closed_*.
 */
const SERIES_SET = [
  pick(later, "step"),
  pick(later, '"timestamp"'),
  pick(later, "value"),
  pick(later, "is_nan"),
  `open_cnt = case when ${opens} then excluded.open_cnt when ${same} then ${was}.open_cnt + excluded.open_cnt else ${was}.open_cnt end`,
  ...["value", "step", "ts"].map((c) => pick(`${opens} or (${same} and ${lower})`, `open_min_${c}`)),
  ...["value", "step", "ts"].map((c) => pick(`${opens} or (${same} and ${higher})`, `open_max_${c}`)),
  closed("step", "step"),
  ...SUMMARY_COLUMNS.map((c) => closed(c, `open_${c}`)),
];
const SERIES_RETURNING = ` returning run_id, key, step, closed_step, ${SUMMARY_COLUMNS.map((c) => `closed_${c}`).join(", ")}`;

export const SERIES_UPSERT = "on conflict (run_id, key) do update set " + SERIES_SET.join(", ") + SERIES_RETURNING;

/**
 * PostgreSQL: {@link SERIES_UPSERT} whose inserted rows also carry `guard_step` and `guard_ts`, the write's first
 * point (its latest point, `step`, is its last step). The upsert locks the row and sees its newest committed
 * version: when that row's point is before the guard, no stored point can equal one of the write's. Otherwise
 * `metric_chunks_meet()` (migration 24) looks, for each of the write's chunks (`sent`: a relation of the group's
 * chunks with run_id, key, min_step, max_step and min_ts) that does not begin after that row's point, for a
 * committed chunk spanning one of its steps, with a snapshot taken now — after the lock, so it sees every writer
 * of the series that upserted the row before; one still to upsert it will check against this write in turn. If one
 * does, the upsert calls `metric_points_overlap()`, which fails the statement (SQLSTATE CM001) — it wrote nothing —
 * and the write runs the careful way (chunk-writes.ts). Groups of one series committing out of order (a later group
 * first) thus stay on the fast path, and so does a group merging writers far apart in one series (each chunk lies
 * in one step window: its own steps are checked, not every step between the writers). A NULL guard checks nothing.
 * For the group statement (log-batch-statement.ts), whose chunks go in with it.
 */
export const seriesUpsertGuarded = (sent: string): string =>
  guardedUpsert(
    `case when exists (select 1 from ${sent} c where c.run_id = ${was}.run_id and c.key = ${was}.key and (${was}.step, ${was}."timestamp") >= (c.min_step, c.min_ts) ` +
      `and metric_chunks_meet(${was}.run_id, ${was}.key, c.min_step, c.max_step)) then metric_points_overlap() end`,
  );

/**
 * The careful path's guard (chunk-writes.ts: a series that had no row to lock): any row at or after the guard
 * fails the statement, and the group runs again, locking the row this time. (Its own chunks, written before in
 * its transaction, would meet.)
 */
const SERIES_UPSERT_STRICT = guardedUpsert("metric_points_overlap()");

function guardedUpsert(whenLater: string): string {
  return (
    "on conflict (run_id, key) do update set " +
    [
      // NULL once checked: the row stays as narrow as without the guard.
      `guard_step = case when (${was}.step, ${was}."timestamp") >= (excluded.guard_step, excluded.guard_ts) then ${whenLater} end`,
      "guard_ts = null",
      ...SERIES_SET,
    ].join(", ") +
    SERIES_RETURNING
  );
}

/** A row {@link SERIES_UPSERT} returns: the series' key columns and the closed part of its open bucket. */
type SeriesReturned = Pick<Database["latest_metrics"], "run_id" | "key" | "step" | Extract<keyof Database["latest_metrics"], `closed_${string}`>>;

interface Series {
  runPk: number;
  key: string;
  points: Metric[];
}

/** Writes latest values and summaries for the given writes, merged per series. */
export async function writeDerived(db: Db, dialect: SqlDialect, entries: MetricTailEntry[], guards?: ReadonlyMap<string, { step: number; timestamp: number }>): Promise<void> {
  // By run, then key, the series a point joined last tried first: no string built per point.
  const byRun = new Map<number, Map<string, Series>>();
  const all: Series[] = [];
  for (const e of entries) {
    let keys = byRun.get(e.runPk);
    if (!keys) byRun.set(e.runPk, (keys = new Map()));
    let last: Series | undefined;
    for (const m of e.metrics) {
      if (last !== undefined && last.key === m.key) {
        last.points.push(m);
        continue;
      }
      last = keys.get(m.key);
      if (last) last.points.push(m);
      else {
        keys.set(m.key, (last = { runPk: e.runPk, key: m.key, points: [m] }));
        all.push(last);
      }
    }
  }
  if (all.length === 0) return;
  // Sorted so that concurrent transactions lock rows in one order (PostgreSQL).
  const series = all.sort((a, b) => a.runPk - b.runPk || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const writes = series.map((s) => splitSeries(s.points));
  const pg = dialect.name === "postgres";
  const rows = series.map((s, i) => {
    const t = writes[i].top;
    const row = [...pointRow(s.runPk, writes[i].latest), t.cnt, t.minV, t.minS, t.minT, t.maxV, t.maxS, t.maxT];
    if (pg) {
      const g = guards?.get(`${s.runPk}\u0000${s.key}`);
      row.push(g ? g.step : null, g ? g.timestamp : null);
    }
    return row;
  });
  const returned = pg
    ? await dialect.bulkInsertReturning<SeriesReturned>(db, "latest_metrics", PG_SERIES_COLUMNS, rows, SERIES_UPSERT_STRICT)
    : await dialect.bulkInsertReturning<SeriesReturned>(db, "latest_metrics", SERIES_COLUMNS, rows, SERIES_UPSERT);
  const now = new Map(returned.map((r) => [`${r.run_id}\u0000${r.key}`, r]));

  const stored = new Map<string, { runPk: number; agg: BucketAgg }>();
  for (const [i, s] of series.entries()) {
    const w = writes[i];
    const r = now.get(`${s.runPk}\u0000${s.key}`)!;
    const adds = aggregateBuckets(w.rest);
    // The open part a later bucket closed, or the write's top part when its bucket is older than the open one.
    if (Number(r.closed_cnt) > 0) adds.push(...atEveryLevel(s.key, Number(r.closed_step), closedSummary(r)));
    for (const a of adds) {
      // Parts of one bucket merge into one row: one upsert per row.
      const id = `${s.runPk}\u0000${a.level}\u0000${a.bucket}\u0000${a.key}`;
      const had = stored.get(id);
      if (had) mergeSummary(had.agg, a);
      else stored.set(id, { runPk: s.runPk, agg: { ...a } });
    }
  }
  // The finest level's buckets go to parts (bucket-parts.ts), one row per series and window; the others are upserted.
  const finest = new Map<string, { runPk: number; key: string; entries: PartEntry[] }>();
  for (const { runPk, agg } of stored.values()) {
    if (agg.level !== PART_LEVEL) continue;
    const id = `${runPk}\u0000${agg.key}`;
    const had = finest.get(id);
    if (had) had.entries.push(agg);
    else finest.set(id, { runPk, key: agg.key, entries: [agg] });
  }
  const parts: unknown[][] = [];
  for (const f of finest.values()) partRows(f.runPk, f.key, f.entries, parts, dialect.name === "sqlite");
  await insertParts(db, parts);
  const bucketRows = [...stored.values()]
    .filter((x) => x.agg.level !== PART_LEVEL)
    .sort((x, y) => x.runPk - y.runPk || x.agg.level - y.agg.level || x.agg.bucket - y.agg.bucket || (x.agg.key < y.agg.key ? -1 : x.agg.key > y.agg.key ? 1 : 0))
    .map(({ runPk, agg: a }) => [runPk, a.key, a.level, a.bucket, a.cnt, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
  await upsertBucketRows(db, dialect, bucketRows);
}

function pointRow(runPk: number, m: Metric): unknown[] {
  const nan = Number.isNaN(m.value);
  return [runPk, m.key, m.step, m.timestamp, nan ? null : m.value, nan ? 1 : 0];
}

function closedSummary(r: SeriesReturned): Summary {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    cnt: Number(r.closed_cnt),
    minV: n(r.closed_min_value),
    minS: Number(r.closed_min_step),
    minT: Number(r.closed_min_ts),
    maxV: n(r.closed_max_value),
    maxS: Number(r.closed_max_step),
    maxT: Number(r.closed_max_ts),
  };
}
