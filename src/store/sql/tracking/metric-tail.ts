/**
 * Derived metric rows — the latest value per key and the history summaries —
 * written once per transaction instead of once per request.
 *
 * On SQLite a group commit runs many log-metric/log-batch requests in one
 * transaction. Each request inserts its own points; what is derived from them
 * is staged here, kept only if the request's savepoint is released, merged
 * across the group and written just before COMMIT (one statement per table
 * instead of one per request). Where no tail is attached (PostgreSQL), the
 * derived rows are written at once.
 * @module
 */
import type { Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import { recount, upsertBucketRows, aggregateBuckets } from "./metric-buckets.js";
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

// A point replaces the latest one when it is later by (step, timestamp, value),
// MLflow's rule; NaN (NULL here) counts as the smallest value.
export const LATEST_UPSERT =
  'on conflict (run_id, key) do update set step = excluded.step, "timestamp" = excluded."timestamp", ' +
  "value = excluded.value, is_nan = excluded.is_nan where excluded.step > latest_metrics.step or " +
  '(excluded.step = latest_metrics.step and (excluded."timestamp" > latest_metrics."timestamp" or ' +
  '(excluded."timestamp" = latest_metrics."timestamp" and coalesce(excluded.value, -1e308) > coalesce(latest_metrics.value, -1e308))))';

/** MLflow's order of a key's points: later by step, then timestamp, then value (NaN smallest). */
export function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? -Infinity : a.value;
  const bv = Number.isNaN(b.value) ? -Infinity : b.value;
  return av > bv;
}

/** Writes latest values and summaries for the given writes, merged (one statement per table). */
export async function writeDerived(db: Db, dialect: SqlDialect, entries: MetricTailEntry[]): Promise<void> {
  const latest = new Map<string, { runPk: number; m: Metric }>();
  const byRun = new Map<number, { metrics: Metric[]; allNew: boolean }>();
  for (const e of entries) {
    for (const m of e.metrics) {
      const id = `${e.runPk}\u0000${m.key}`;
      const cur = latest.get(id);
      if (!cur || isLater(m, cur.m)) latest.set(id, { runPk: e.runPk, m });
    }
    const run = byRun.get(e.runPk);
    if (run) {
      run.metrics = run.metrics.concat(e.metrics);
      run.allNew &&= e.allNew;
    } else byRun.set(e.runPk, { metrics: e.metrics, allNew: e.allNew });
  }
  // Sorted so that concurrent transactions lock rows in one order (PostgreSQL).
  const latestRows = [...latest.values()]
    .sort((a, b) => a.runPk - b.runPk || (a.m.key < b.m.key ? -1 : a.m.key > b.m.key ? 1 : 0))
    .map(({ runPk, m }) => {
      const nan = Number.isNaN(m.value);
      return [runPk, m.key, m.step, m.timestamp, nan ? null : m.value, nan ? 1 : 0];
    });
  await dialect.bulkInsert(db, "latest_metrics", POINT_COLUMNS, latestRows, LATEST_UPSERT);

  const bucketRows: unknown[][] = [];
  const recounts: Array<[number, ReturnType<typeof aggregateBuckets>]> = [];
  for (const [runPk, run] of [...byRun].sort((a, b) => a[0] - b[0])) {
    const aggs = aggregateBuckets(run.metrics);
    for (const a of aggs) bucketRows.push([runPk, a.key, a.level, a.bucket, run.allNew ? a.cnt : 0, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
    if (!run.allNew) recounts.push([runPk, aggs]);
  }
  await upsertBucketRows(db, dialect, bucketRows);
  for (const [runPk, aggs] of recounts) await recount(db, runPk, aggs);
}

/** Latest values and bucket summaries of the metrics a group logged, written once per group commit. */
export const METRIC_TAIL: CommitHook<MetricTailEntry> = {
  name: "tracking.metric-tail",
  flush: (trx, entries, dialect) => writeDerived(trx, dialect, entries),
};
