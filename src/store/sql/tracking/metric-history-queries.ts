/**
 * Metric history reads: keyset-paged full history, and min/max-preserving
 * downsampling for charts (`get-history-bulk-interval`).
 * @module
 */
import { sql, type CompiledQuery, type Kysely } from "kysely";
import type { Metric, RunMetric } from "../../../shared/tracking-types.js";
import type { Page } from "../../../shared/types.js";
import type { BulkIntervalQuery, MetricHistoryQuery } from "../../../tracking/tracking-store.js";
import { decodePageToken, encodePageToken } from "../page-token.js";
import { BUCKET_LEVELS, bucketStart } from "./metric-buckets.js";
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

/** Points in (step, timestamp, value) order; the page token holds the last point's key. */
export async function getMetricHistory(db: Db, runId: string, key: string, q: MetricHistoryQuery): Promise<Page<Metric>> {
  const pk = await runPk(db, runId);
  let query = db
    .selectFrom("metrics")
    .select(["step", "timestamp", "value", "is_nan", "model_id", "dataset_name", "dataset_digest"])
    .where("run_id", "=", pk)
    .where("key", "=", key);
  if (q.pageToken) {
    const [s, t, v, n] = decodePageToken(q.pageToken, "metric-history", key, ["int64", "int64", "float", "int32"]);
    query = query.where(sql<boolean>`(step, "timestamp", value, is_nan) > (${s}, ${t}, ${v}, ${n})`);
  }
  query = query.orderBy("step").orderBy("timestamp").orderBy("value").orderBy("is_nan");
  if (q.maxResults !== undefined) query = query.limit(q.maxResults + 1);
  const rows = await query.execute();
  const more = q.maxResults !== undefined && rows.length > q.maxResults;
  const page = more ? rows.slice(0, q.maxResults) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map((r) => toMetric(key, r)),
    nextPageToken: more
      ? encodePageToken("metric-history", key, [Number(last.step), Number(last.timestamp), Number(last.value), Number(last.is_nan)])
      : undefined,
  };
}

/**
 * For each run: all points when they fit in `maxResults`, otherwise the first
 * and last point of the range plus, per step bucket, the points holding the
 * bucket's minimum and maximum value — so spikes survive downsampling
 * (MLflow's step sampling drops them, and ignored max_results: mlflow#24169).
 */
export async function getMetricHistoryBulkInterval(db: Db, q: BulkIntervalQuery, readRows?: ReadRows): Promise<RunMetric[]> {
  const out: RunMetric[] = [];
  for (const [i, runId] of q.runIds.entries()) {
    // SQLite answers synchronously: a 25-run request over long histories would hold the event loop for
    // ~300 ms, so other requests (a coarser pass, the UI's scripts, a response still being flushed)
    // get their turn between runs.
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    q.signal?.throwIfAborted();
    const pk = await runPk(db, runId);
    for (const m of await sampleRun(db, pk, q, readRows)) out.push({ ...m, runId });
  }
  return out;
}

const POINT_COLS = ["step", "timestamp", "value", "is_nan"] as const;

type SummaryRow = Omit<Database["metric_buckets"], "run_id" | "key" | "level">;

/**
 * The summaries of buckets `first`..`last` at `level`: metric_buckets' rows, and the series' open bucket
 * (open-bucket.ts) as a row of its own when it falls in the range — read in one statement, so one snapshot, as
 * the open part may move to metric_buckets meanwhile. A bucket may come twice (its closed and its open part).
 */
async function summaries(db: Db, pk: number, key: string, level: number, first: number, last: number): Promise<SummaryRow[]> {
  const res = await sql<SummaryRow & { is_open: number }>`
    select 0 as is_open, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts from metric_buckets
      where run_id = ${pk} and ${sql.ref("key")} = ${key} and level = ${level} and bucket >= ${first} and bucket <= ${last}
    union all
    select 1 as is_open, step, open_cnt, open_min_value, open_min_step, open_min_ts, open_max_value, open_max_step, open_max_ts
      from latest_metrics where run_id = ${pk} and ${sql.ref("key")} = ${key} and open_cnt > 0`.execute(db);
  const out: SummaryRow[] = [];
  for (const r of res.rows) {
    if (Number(r.is_open)) {
      const bucket = Math.floor(Number(r.bucket) / 2 ** level);
      if (bucket < first || bucket > last) continue;
      out.push({ ...r, bucket });
    } else out.push(r);
  }
  return out;
}
/** Above this many points in a short range (many points per step), buckets are read one query each instead of scanned. */
const MAX_SCAN_ROWS = 200_000;

interface Extreme {
  v: number;
  s: number;
  t: number;
}

/** SqlDialect.readRows: rows as arrays, no object per row (a 10,000-point scan costs half as much). */
type ReadRows = (query: CompiledQuery) => Promise<unknown[][]>;

/** Downsamples one run's series; see getMetricHistoryBulkInterval. */
async function sampleRun(db: Db, pk: number, q: BulkIntervalQuery, readRows?: ReadRows): Promise<Metric[]> {
  const base = () => db.selectFrom("metrics").where("run_id", "=", pk).where("key", "=", q.metricKey);
  const inRange = (from: number, to: number) => base().where("step", ">=", from).where("step", "<=", to);
  const toPoint = (r: PointRow) => toMetric(q.metricKey, r);
  const ordered = (b: ReturnType<typeof base>) => b.select(POINT_COLS).orderBy("step").orderBy("timestamp").orderBy("value");

  // The range: as asked, or the series' first and last step (two index seeks).
  let lo: number;
  let hi: number;
  if (q.startStep !== undefined && q.endStep !== undefined) {
    [lo, hi] = [q.startStep, q.endStep];
  } else {
    const first = await base().select("step").orderBy("step").limit(1).executeTakeFirst();
    if (!first) return [];
    const last = await base().select("step").orderBy("step", "desc").limit(1).executeTakeFirstOrThrow();
    [lo, hi] = [Number(first.step), Number(last.step)];
  }
  const countRaw = async (from: number, to: number) =>
    Number((await inRange(from, to).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  const extremeRaw = async (from: number, to: number, dir: "asc" | "desc"): Promise<Extreme | undefined> => {
    const r = await inRange(from, to).select(POINT_COLS).where("is_nan", "=", 0).orderBy("value", dir).orderBy("step").limit(1).executeTakeFirst();
    return r && { v: Number(r.value), s: Number(r.step), t: Number(r.timestamp) };
  };

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
    // A short range: one ordered scan of the history (arrays, no object per row), the extremes picked here —
    // two queries per bucket cost ~40 µs each, so a 100-run compare chart spent seconds in query overhead.
    // Many points per step (a range far denser than its steps) fall back to a query per bucket.
    const scan = ordered(inRange(lo, hi)).limit(MAX_SCAN_ROWS + 1);
    const rows = readRows ? await readRows(scan.compile()) : (await scan.execute()).map((r) => [r.step, r.timestamp, r.value, r.is_nan]);
    const row = (r: unknown[]): PointRow => ({ step: Number(r[0]), timestamp: Number(r[1]), value: Number(r[2]), is_nan: Number(r[3]) });
    if (rows.length <= q.maxResults) return rows.map((r) => toPoint(row(r)));
    if (rows.length <= MAX_SCAN_ROWS) {
      for (const r of rows) {
        if (Number(r[3])) continue;
        const e = { v: Number(r[2]), s: Number(r[0]), t: Number(r[1]) };
        merge(e, e, e.s);
      }
      ends = [row(rows[0]), row(rows[rows.length - 1])];
    } else for (let t = 0; t < nb; t++) {
      const from = lo + Math.floor(t * width);
      const to = t === nb - 1 ? hi : lo + Math.floor((t + 1) * width) - 1;
      if (to < from) continue;
      merge(await extremeRaw(from, to, "asc"), await extremeRaw(from, to, "desc"), from);
    }
  } else {
    // Summary buckets fully inside [lo, hi]; the partial ones at the edges are read from the history.
    const size = 2 ** level;
    const firstFull = Math.ceil(lo / size);
    const lastFull = Math.floor((hi + 1) / size) - 1;
    const rows = lastFull >= firstFull ? await summaries(db, pk, q.metricKey, level, firstFull, lastFull) : [];
    const edges: Array<[number, number]> = [];
    if (lastFull < firstFull) edges.push([lo, hi]);
    else {
      if (lo < firstFull * size) edges.push([lo, firstFull * size - 1]);
      if (hi >= (lastFull + 1) * size) edges.push([(lastFull + 1) * size, hi]);
    }
    let n = rows.reduce((acc, r) => acc + Number(r.cnt), 0);
    for (const [a, b] of edges) n += await countRaw(a, b);
    if (n <= q.maxResults) return (await ordered(inRange(lo, hi)).execute()).map(toPoint);
    for (const r of rows) {
      const min = r.min_value === null ? undefined : { v: Number(r.min_value), s: Number(r.min_step), t: Number(r.min_ts) };
      const max = r.max_value === null ? undefined : { v: Number(r.max_value), s: Number(r.max_step), t: Number(r.max_ts) };
      merge(min, max, bucketStart(level, Number(r.bucket)));
    }
    for (const [a, b] of edges) merge(await extremeRaw(a, b, "asc"), await extremeRaw(a, b, "desc"), a);
  }

  const picked = new Map<string, PointRow>();
  const keep = (r: PointRow | undefined) => {
    if (r) picked.set(`${r.step}:${r.timestamp}:${r.value}:${r.is_nan}`, r);
  };
  if (ends) ends.forEach(keep);
  else {
    keep(await ordered(inRange(lo, hi)).limit(1).executeTakeFirst());
    keep(
      await inRange(lo, hi)
        .select(POINT_COLS)
        .orderBy("step", "desc")
        .orderBy("timestamp", "desc")
        .orderBy("value", "desc")
        .limit(1)
        .executeTakeFirst(),
    );
  }
  for (const e of [...mins, ...maxs]) if (e) keep({ step: e.s, timestamp: e.t, value: e.v, is_nan: 0 });
  return [...picked.values()]
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp || a.value - b.value)
    .map(toPoint);
}
