/**
 * The open summary bucket of a series: the points of its newest finest-level bucket, summarised in the
 * series' `latest_metrics` row instead of `metric_buckets` (migration 20).
 *
 * The open bucket is the finest-level bucket holding the series' latest step. A write into it — the usual case:
 * steps grow — changes that one row, which the latest value changes anyway, instead of a summary row at every
 * level; a group over 32 runs writes 32 derived rows, not 128. When a point opens a later bucket, the open part
 * moves to `metric_buckets` at every level (once per 256 steps of a series); a point for an older bucket goes
 * to `metric_buckets` at once.
 *
 * A bucket's summary at any level is then what `metric_buckets` holds for it, merged with the open part when
 * the bucket contains the open one. `metric_buckets` on its own stays consistent across levels (every part
 * reaches all three levels at once), and it holds nothing of the open bucket except rows written before
 * migration 20 (then the open part starts empty). Both halves only add points, so merging them is exact.
 * @module
 */
import type { Metric } from "../../../shared/tracking-types.js";
import { BUCKET_LEVELS, foldPoint, type BucketAgg, type Summary } from "./metric-buckets.js";
import { isLaterPoint } from "./metric-order.js";

/** log2 of the open bucket's width: the finest level. */
export const OPEN_LEVEL = BUCKET_LEVELS[0];

/** The open bucket of a series whose latest step is `step`. */
export const openBucketOf = (step: number): number => Math.floor(step / 2 ** OPEN_LEVEL);

export type { Summary };

export const emptySummary = (): Summary => ({ cnt: 0, minV: null, minS: 0, minT: 0, maxV: null, maxS: 0, maxT: 0 });

/** Adds `b` to `a` (in place). On a tie the point already in `a` stays, as metric_buckets' upsert does. */
export function mergeSummary(a: Summary, b: Summary): Summary {
  a.cnt += b.cnt;
  if (b.minV !== null && (a.minV === null || b.minV < a.minV)) {
    a.minV = b.minV;
    a.minS = b.minS;
    a.minT = b.minT;
  }
  if (b.maxV !== null && (a.maxV === null || b.maxV > a.maxV)) {
    a.maxV = b.maxV;
    a.maxS = b.maxS;
    a.maxT = b.maxT;
  }
  return a;
}

/** The summary of `points`, folded in order (no object per point). */
export function summarise(points: readonly Metric[]): Summary {
  const s = emptySummary();
  for (let i = 0; i < points.length; i++) foldPoint(s, points[i].value, points[i].step, points[i].timestamp);
  return s;
}

/** One series' points of a write: its latest point, the summary of its points in that point's bucket, the others. */
export interface SeriesWrite {
  latest: Metric;
  top: Summary;
  rest: Metric[];
}

/** Splits one series' points (at least one) as {@link SeriesWrite} says. */
export function splitSeries(points: readonly Metric[]): SeriesWrite {
  let latest = points[0];
  for (const m of points) if (isLaterPoint(m, latest)) latest = m;
  const open = openBucketOf(latest.step);
  const inTop: Metric[] = [];
  const rest: Metric[] = [];
  for (const m of points) (openBucketOf(m.step) === open ? inTop : rest).push(m);
  return { latest, top: summarise(inTop), rest };
}

/** A summary of the open bucket of a series whose latest step is `step`, as a row at each level. */
export function atEveryLevel(key: string, step: number, s: Summary): BucketAgg[] {
  return BUCKET_LEVELS.map((level) => ({ key, level, bucket: Math.floor(step / 2 ** level), ...s }));
}
