/**
 * Metric history reads: keyset-paged full history, and min/max-preserving
 * downsampling for charts (`get-history-bulk-interval`).
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Metric, Page, RunMetric } from "../../tracking/types.js";
import type { BulkIntervalQuery, MetricHistoryQuery } from "../tracking-store.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { runNotFound } from "./run-queries.js";
import type { Database } from "./schema.js";

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
    const [s, t, v, n] = decodePageToken(q.pageToken, "metric-history", key, 4);
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
export async function getMetricHistoryBulkInterval(db: Db, q: BulkIntervalQuery): Promise<RunMetric[]> {
  const out: RunMetric[] = [];
  for (const runId of q.runIds) {
    const pk = await runPk(db, runId);
    for (const m of await sampleRun(db, pk, q)) out.push({ ...m, runId });
  }
  return out;
}

async function sampleRun(db: Db, pk: number, q: BulkIntervalQuery): Promise<Metric[]> {
  const base = () => db.selectFrom("metrics").where("run_id", "=", pk).where("key", "=", q.metricKey);
  const stats = await base()
    .select((eb) => [eb.fn.min("step").as("lo"), eb.fn.max("step").as("hi"), eb.fn.countAll().as("n")])
    .$if(q.startStep !== undefined, (b) => b.where("step", ">=", q.startStep!).where("step", "<=", q.endStep!))
    .executeTakeFirst();
  const n = Number(stats?.n ?? 0);
  if (n === 0) return [];
  const lo = Number(stats!.lo);
  const hi = Number(stats!.hi);
  const cols = ["step", "timestamp", "value", "is_nan"] as const;
  const ordered = (b: ReturnType<typeof base>) =>
    b.select(cols).orderBy("step").orderBy("timestamp").orderBy("value");
  if (n <= q.maxResults) {
    const rows = await ordered(base().where("step", ">=", lo).where("step", "<=", hi)).execute();
    return rows.map((r) => toMetric(q.metricKey, r));
  }

  const picked = new Map<string, PointRow>();
  const keep = (r: PointRow | undefined) => {
    if (r) picked.set(`${r.step}:${r.timestamp}:${r.value}:${r.is_nan}`, r);
  };
  keep(await ordered(base().where("step", ">=", lo)).limit(1).executeTakeFirst());
  keep(
    await base()
      .select(cols)
      .where("step", "<=", hi)
      .orderBy("step", "desc")
      .orderBy("timestamp", "desc")
      .orderBy("value", "desc")
      .limit(1)
      .executeTakeFirst(),
  );
  const buckets = Math.max(1, Math.floor((q.maxResults - 2) / 2));
  const width = (hi - lo + 1) / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = lo + Math.floor(b * width);
    const to = b === buckets - 1 ? hi + 1 : lo + Math.floor((b + 1) * width);
    if (to <= from) continue;
    const inBucket = () => base().select(cols).where("step", ">=", from).where("step", "<", to).where("is_nan", "=", 0);
    keep(await inBucket().orderBy("value", "asc").orderBy("step").limit(1).executeTakeFirst());
    keep(await inBucket().orderBy("value", "desc").orderBy("step").limit(1).executeTakeFirst());
  }
  return [...picked.values()]
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp || a.value - b.value)
    .map((r) => toMetric(q.metricKey, r));
}
