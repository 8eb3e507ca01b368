/**
 * Metric history reads: keyset-paged full history, and min/max-preserving
 * downsampling for charts (`get-history-bulk-interval`). The points come from
 * the series' chunks (chunk-reads.ts), their MLflow 3 links from `metrics`.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Metric, RunMetric } from "../../../shared/tracking-types.js";
import type { Page } from "../../../shared/types.js";
import type { BulkIntervalQuery, MetricHistoryQuery } from "../../../tracking/tracking-store.js";
import { decodePageToken, encodePageToken } from "../page-token.js";
import { BUCKET_LEVELS, bucketStart, type Summary } from "./metric-buckets.js";
import { mergePartSummary, PART_LEVEL, partOf, readPart } from "./bucket-parts.js";
import { firstStep, lastPointInRange, lastStep, MAX_STEP, MIN_STEP, pointsInRange } from "./chunk-reads.js";
import type { Point } from "./metric-chunks.js";
import { runNotFound } from "./run-queries.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;

interface PointRow {
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
  model_id?: string | null;
  dataset_name?: string | null;
  dataset_digest?: string | null;
}

function toMetric(key: string, r: PointRow): Metric {
  const m: Metric = {
    key,
    value: r.is_nan ? NaN : Number(r.value),
    timestamp: Number(r.timestamp),
    step: Number(r.step),
  };
  if (r.model_id) m.modelId = r.model_id;
  if (r.dataset_name) m.datasetName = r.dataset_name;
  if (r.dataset_digest) m.datasetDigest = r.dataset_digest;
  return m;
}

async function runPk(db: Db, runId: string): Promise<number> {
  const row = await db.selectFrom("runs").select("id").where("run_uuid", "=", runId).executeTakeFirst();
  if (!row) throw runNotFound(runId);
  return row.id;
}

/** Points in (step, timestamp, value, is_nan) order; the page token holds the last point's key. */
export async function getMetricHistory(db: Db, runId: string, key: string, q: MetricHistoryQuery): Promise<Page<Metric>> {
  const pk = await runPk(db, runId);
  let after: Point | undefined;
  if (q.pageToken) {
    const [s, t, v, n] = decodePageToken(q.pageToken, "metric-history", key, ["int64", "int64", "float", "int32"]);
    after = { step: Number(s), timestamp: Number(t), value: Number(n) ? NaN : Number(v) };
  }
  const limit = q.maxResults === undefined ? undefined : q.maxResults + 1;
  const points = await pointsInRange(db, pk, key, after ? after.step : MIN_STEP, MAX_STEP, { after, limit });
  const more = q.maxResults !== undefined && points.length > q.maxResults;
  const page = more ? points.slice(0, q.maxResults) : points;
  const items = page.map((p) => toMetric(key, { step: p.step, timestamp: p.timestamp, value: Number.isNaN(p.value) ? 0 : p.value, is_nan: Number.isNaN(p.value) ? 1 : 0 }));
  await addLinks(db, pk, key, items);
  const last = page[page.length - 1];
  return {
    items,
    nextPageToken: more
      ? encodePageToken("metric-history", key, [last.step, last.timestamp, Number.isNaN(last.value) ? 0 : last.value, Number.isNaN(last.value) ? 1 : 0])
      : undefined,
  };
}

/** MLflow 3's model and dataset links of the page's points (rows of `metrics`: rare, so one indexed read). */
async function addLinks(db: Db, pk: number, key: string, items: Metric[]): Promise<void> {
  if (items.length === 0) return;
  const rows = await db
    .selectFrom("metrics")
    .select(["step", "timestamp", "value", "is_nan", "model_id", "dataset_name", "dataset_digest"])
    .where("run_id", "=", pk)
    .where("key", "=", key)
    .where("step", ">=", items[0].step)
    .where("step", "<=", items[items.length - 1].step)
    .execute();
  if (rows.length === 0) return;
  const id = (step: number, ts: number, value: number) => `${step}:${ts}:${Number.isNaN(value) ? "nan" : value === 0 ? 0 : value}`;
  const links = new Map(rows.map((r) => [id(Number(r.step), Number(r.timestamp), Number(r.is_nan) ? NaN : Number(r.value)), r]));
  for (const m of items) {
    const r = links.get(id(m.step, m.timestamp, m.value));
    if (!r) continue;
    if (r.model_id) m.modelId = r.model_id;
    if (r.dataset_name) m.datasetName = r.dataset_name;
    if (r.dataset_digest) m.datasetDigest = r.dataset_digest;
  }
}

/**
 * For each run: all points when they fit in `maxResults`, otherwise the first
 * and last point of the range plus, per step bucket, the points holding the
 * bucket's minimum and maximum value — so spikes survive downsampling
 * (MLflow's step sampling drops them, and ignored max_results: mlflow#24169).
 */
export async function getMetricHistoryBulkInterval(db: Db, q: BulkIntervalQuery): Promise<RunMetric[]> {
  const out: RunMetric[] = [];
  for (const [i, runId] of q.runIds.entries()) {
    // SQLite answers synchronously: a 25-run request over long histories would hold the event loop for
    // ~300 ms, so other requests (a coarser pass, the UI's scripts, a response still being flushed)
    // get their turn between runs.
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    q.signal?.throwIfAborted();
    const pk = await runPk(db, runId);
    for (const m of await sampleRun(db, pk, q)) out.push({ ...m, runId });
  }
  return out;
}

type SummaryRow = Omit<Database["metric_buckets"], "run_id" | "key" | "level">;

/**
 * The summaries of buckets `first`..`last` at `level`: metric_buckets' rows, at the finest level the packed parts
 * (bucket-parts.ts) merged per bucket, and the series' open bucket (open-bucket.ts) as a row of its own when it
 * falls in the range — read in one statement, so one snapshot, as the open part may move to metric_buckets or a
 * part meanwhile. A bucket may come twice (its closed and its open part).
 */
async function summaries(db: Db, pk: number, key: string, level: number, first: number, last: number): Promise<SummaryRow[]> {
  const parts =
    level === PART_LEVEL
      ? // First, so that PostgreSQL types the union's last column by it (bytea), not by a NULL (text).
        sql`select 2 as is_open, grp as bucket, 0 as cnt, null as min_value, 0 as min_step, 0 as min_ts, null as max_value, 0 as max_step, 0 as max_ts, data
      from metric_bucket_parts where run_id = ${pk} and ${sql.ref("key")} = ${key} and grp >= ${partOf(first)} and grp <= ${partOf(last)} union all`
      : sql``;
  const res = await sql<SummaryRow & { is_open: number; data: Uint8Array | null }>`
    ${parts}
    select 0 as is_open, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts, null as data from metric_buckets
      where run_id = ${pk} and ${sql.ref("key")} = ${key} and level = ${level} and bucket >= ${first} and bucket <= ${last}
    union all
    select 1 as is_open, step, open_cnt, open_min_value, open_min_step, open_min_ts, open_max_value, open_max_step, open_max_ts, null
      from latest_metrics where run_id = ${pk} and ${sql.ref("key")} = ${key} and open_cnt > 0`.execute(db);
  const out: SummaryRow[] = [];
  let open: SummaryRow | undefined;
  // Finest level: every closed part of a bucket merged into one summary, given in bucket order as metric_buckets' rows were.
  const merged = level === PART_LEVEL ? new Map<number, Summary>() : undefined;
  const mergeIn = (bucket: number, s: Summary) => {
    const had = merged!.get(bucket);
    if (had) mergePartSummary(had, s);
    else merged!.set(bucket, { ...s });
  };
  for (const r of res.rows) {
    const kind = Number(r.is_open);
    if (kind === 1) {
      const bucket = Math.floor(Number(r.bucket) / 2 ** level);
      if (bucket >= first && bucket <= last) open = { ...r, bucket };
    } else if (kind === 2) {
      readPart(r.data!, (e) => {
        if (e.bucket >= first && e.bucket <= last) mergeIn(e.bucket, e);
      });
    } else if (merged) {
      mergeIn(Number(r.bucket), {
        cnt: Number(r.cnt),
        minV: r.min_value === null ? null : Number(r.min_value),
        minS: Number(r.min_step),
        minT: Number(r.min_ts),
        maxV: r.max_value === null ? null : Number(r.max_value),
        maxS: Number(r.max_step),
        maxT: Number(r.max_ts),
      });
    } else out.push(r);
  }
  if (merged) {
    for (const [bucket, s] of [...merged].sort((a, b) => a[0] - b[0])) {
      out.push({ bucket, cnt: s.cnt, min_value: s.minV, min_step: s.minS, min_ts: s.minT, max_value: s.maxV, max_step: s.maxS, max_ts: s.maxT });
    }
  }
  if (open) out.push(open);
  return out;
}
/** Above this many points in a short range (many points per step), each target bucket is read on its own instead. */
const MAX_SCAN_ROWS = 200_000;

interface Extreme {
  v: number;
  s: number;
  t: number;
}

const asRow = (p: Point): PointRow => ({ step: p.step, timestamp: p.timestamp, value: Number.isNaN(p.value) ? 0 : p.value, is_nan: Number.isNaN(p.value) ? 1 : 0 });

/** The count and the extreme points of a range's points. */
function extremesOf(points: readonly Point[]): { n: number; min?: Extreme; max?: Extreme } {
  let min: Extreme | undefined;
  let max: Extreme | undefined;
  for (const p of points) {
    if (Number.isNaN(p.value)) continue;
    // Ties go to the first point in order (the smallest step), as the summaries keep them.
    if (!min || p.value < min.v) min = { v: p.value, s: p.step, t: p.timestamp };
    if (!max || p.value > max.v) max = { v: p.value, s: p.step, t: p.timestamp };
  }
  return { n: points.length, min, max };
}

/** Downsamples one run's series; see getMetricHistoryBulkInterval. */
async function sampleRun(db: Db, pk: number, q: BulkIntervalQuery): Promise<Metric[]> {
  const key = q.metricKey;
  const inRange = (from: number, to: number, limit?: number) => pointsInRange(db, pk, key, from, to, { limit });
  const toPoint = (p: Point) => toMetric(key, asRow(p));

  // The range: as asked, or the series' first and last step.
  let lo: number;
  let hi: number;
  if (q.startStep !== undefined && q.endStep !== undefined) {
    [lo, hi] = [q.startStep, q.endStep];
  } else {
    const first = await firstStep(db, pk, key);
    const last = await lastStep(db, pk, key);
    if (first === undefined || last === undefined) return [];
    [lo, hi] = [first, last];
  }

  const nb = Math.max(1, Math.floor((q.maxResults - 2) / 2));
  const width = (hi - lo + 1) / nb;
  const level = [...BUCKET_LEVELS].reverse().find((k) => 2 ** k <= width);

  // Target buckets: [lo + floor(t*width), lo + floor((t+1)*width)).
  const mins: Array<Extreme | undefined> = new Array(nb);
  const maxs: Array<Extreme | undefined> = new Array(nb);
  const targetOf = (step: number) => Math.min(nb - 1, Math.max(0, Math.floor((step - lo) / width)));
  const merge = (min: Extreme | undefined, max: Extreme | undefined, at: number) => {
    const t = targetOf(at);
    if (min && (!mins[t] || min.v < mins[t]!.v)) mins[t] = min;
    if (max && (!maxs[t] || max.v > maxs[t]!.v)) maxs[t] = max;
  };

  let ends: PointRow[] | undefined;
  if (level === undefined) {
    // A short range: its points decoded once, the extremes picked here. Many points per step (a range far
    // denser than its steps) fall back to reading each target bucket on its own.
    const points = await inRange(lo, hi, MAX_SCAN_ROWS + 1);
    if (points.length <= q.maxResults) return points.map(toPoint);
    if (points.length <= MAX_SCAN_ROWS) {
      for (const p of points) {
        if (Number.isNaN(p.value)) continue;
        const e = { v: p.value, s: p.step, t: p.timestamp };
        merge(e, e, e.s);
      }
      ends = [asRow(points[0]), asRow(points[points.length - 1])];
    } else for (let t = 0; t < nb; t++) {
      const from = lo + Math.floor(t * width);
      const to = t === nb - 1 ? hi : lo + Math.floor((t + 1) * width) - 1;
      if (to < from) continue;
      const e = extremesOf(await inRange(from, to));
      merge(e.min, e.max, from);
    }
  } else {
    // Summary buckets fully inside [lo, hi]; the partial ones at the edges are read from the history.
    const size = 2 ** level;
    const firstFull = Math.ceil(lo / size);
    const lastFull = Math.floor((hi + 1) / size) - 1;
    const rows = lastFull >= firstFull ? await summaries(db, pk, key, level, firstFull, lastFull) : [];
    const edges: Array<[number, number]> = [];
    if (lastFull < firstFull) edges.push([lo, hi]);
    else {
      if (lo < firstFull * size) edges.push([lo, firstFull * size - 1]);
      if (hi >= (lastFull + 1) * size) edges.push([(lastFull + 1) * size, hi]);
    }
    const edgeExtremes = [];
    for (const [a, b] of edges) edgeExtremes.push({ at: a, ...extremesOf(await inRange(a, b)) });
    let n = rows.reduce((acc, r) => acc + Number(r.cnt), 0);
    for (const e of edgeExtremes) n += e.n;
    if (n <= q.maxResults) return (await inRange(lo, hi)).map(toPoint);
    for (const r of rows) {
      const min = r.min_value === null ? undefined : { v: Number(r.min_value), s: Number(r.min_step), t: Number(r.min_ts) };
      const max = r.max_value === null ? undefined : { v: Number(r.max_value), s: Number(r.max_step), t: Number(r.max_ts) };
      merge(min, max, bucketStart(level, Number(r.bucket)));
    }
    for (const e of edgeExtremes) merge(e.min, e.max, e.at);
  }

  const picked = new Map<string, PointRow>();
  const keep = (r: PointRow | undefined) => {
    if (r) picked.set(`${r.step}:${r.timestamp}:${r.value}:${r.is_nan}`, r);
  };
  if (ends) ends.forEach(keep);
  else {
    const [first] = await inRange(lo, hi, 1);
    const last = await lastPointInRange(db, pk, key, lo, hi);
    keep(first && asRow(first));
    keep(last && asRow(last));
  }
  for (const e of [...mins, ...maxs]) if (e) keep({ step: e.s, timestamp: e.t, value: e.v, is_nan: 0 });
  return [...picked.values()]
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp || a.value - b.value)
    .map(toPoint);
}
