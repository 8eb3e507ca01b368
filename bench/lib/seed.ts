/**
 * Seeds benchmark data straight through the TrackingStore (before the server
 * starts), many writes in flight at once so SQLite's group commit and
 * PostgreSQL's pool are used as a busy server would use them; or, for the
 * 100,000-run search data, in bulk into the store's tables (seedRunsBulk).
 * @module
 */
import { randomUUID } from "node:crypto";
import type { TrackingStore } from "../../src/tracking/tracking-store.js";
import type { Metric } from "../../src/shared/tracking-types.js";
import type { BulkColumn, SqlConnection } from "../../src/store/sql/sql-dialect.js";
import { aggregateBuckets, BUCKET_COLUMNS } from "../../src/store/sql/tracking/metric-buckets.js";
import { POINT_COLUMNS } from "../../src/store/sql/tracking/metric-tail.js";

export interface RunShape {
  params: number;
  metrics: number;
  tags: number;
  /** Distinct values per param (params.p0 = 'v3' then matches 1/valuesPerParam of the runs). */
  valuesPerParam: number;
  /** Also the source tags the MLflow Python client sets on every run. */
  clientTags?: boolean;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function seedRuns(
  store: TrackingStore,
  experimentId: string,
  count: number,
  shape: RunShape,
  onProgress?: (done: number) => void,
): Promise<void> {
  const rand = rng(42 + count);
  const inFlight = 256;
  let next = 0;
  let done = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const run = await store.createRun({
        experimentId,
        userId: "bench",
        runName: `run-${i}`,
        startTime: t0 + i,
        tags: [
          { key: "mlflow.runName", value: `run-${i}` },
          { key: "mlflow.user", value: "bench" },
          ...(shape.clientTags
            ? [
                { key: "mlflow.source.name", value: "train.py" },
                { key: "mlflow.source.type", value: "LOCAL" },
              ]
            : []),
        ],
      });
      const metrics: Metric[] = [];
      for (let k = 0; k < shape.metrics; k++) metrics.push({ key: `m${k}`, value: rand(), timestamp: t0 + i, step: 0 });
      await store.logBatch(run.info.runId, {
        metrics,
        params: Array.from({ length: shape.params }, (_, k) => ({ key: `p${k}`, value: `v${Math.floor(rand() * shape.valuesPerParam)}` })),
        tags: Array.from({ length: shape.tags }, (_, k) => ({ key: `t${k}`, value: `tag-${Math.floor(rand() * 5)}` })),
      });
      if (++done % 5000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Logs `points` values of one metric to a run, 1000 per batch. */
export async function seedHistory(store: TrackingStore, runId: string, key: string, points: number): Promise<void> {
  const rand = rng(7);
  const batches: Metric[][] = [];
  for (let start = 0; start < points; start += 1000) {
    const batch: Metric[] = [];
    for (let i = start; i < Math.min(points, start + 1000); i++) {
      batch.push({ key, value: Math.exp(-i / 200_000) + rand() * 0.05, timestamp: 1_700_000_000_000 + i, step: i });
    }
    batches.push(batch);
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++];
      await store.logBatch(runId, { metrics: b, params: [], tags: [] });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const KV: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
];
const RUN_COLUMNS: BulkColumn[] = [
  { name: "run_uuid", pgType: "text" },
  { name: "experiment_id", pgType: "int4" },
  { name: "name", pgType: "text" },
  { name: "user_id", pgType: "text" },
  { name: "status", pgType: "text" },
  { name: "start_time", pgType: "int8" },
  { name: "artifact_uri", pgType: "text" },
  { name: "lifecycle_stage", pgType: "text" },
  { name: "deleted_with_experiment", pgType: "int4" },
];

/**
 * The runs {@link seedRuns} makes (same shape: tags, params, one step-0 point per metric), written straight into
 * the store's tables with big multi-row inserts, thousands of runs per statement — with the rows the store
 * derives on write (latest values, history summaries), so every read path sees what the store would have
 * written. Minutes become seconds for 100,000 wide runs.
 */
export async function seedRunsBulk(conn: SqlConnection, experimentId: string, count: number, shape: RunShape, onProgress?: (done: number) => void): Promise<void> {
  const rand = rng(42 + count);
  const db = conn.db;
  const exp = await db.selectFrom("experiments").select(["experiment_id", "artifact_location"]).where("experiment_id", "=", Number(experimentId)).executeTakeFirstOrThrow();
  const t0 = Date.now();
  const CHUNK = 2000;
  for (let from = 0; from < count; from += CHUNK) {
    const n = Math.min(CHUNK, count - from);
    const uuids = Array.from({ length: n }, () => randomUUID().replaceAll("-", ""));
    const root = exp.artifact_location.endsWith("/") ? exp.artifact_location : `${exp.artifact_location}/`;
    await conn.write(async (trx) => {
      await conn.dialect.bulkInsert(
        trx,
        "runs",
        RUN_COLUMNS,
        uuids.map((u, k) => [u, exp.experiment_id, `run-${from + k}`, "bench", "RUNNING", t0 + from + k, `${root}${u}/artifacts`, "active", 0]),
        "",
      );
      const ids = await trx.selectFrom("runs").select(["id", "run_uuid"]).where("run_uuid", "in", uuids).execute();
      const idOf = new Map(ids.map((r) => [r.run_uuid, r.id]));
      const tags: unknown[][] = [];
      const params: unknown[][] = [];
      const points: unknown[][] = [];
      const buckets: unknown[][] = [];
      uuids.forEach((u, k) => {
        const id = idOf.get(u)!;
        const i = from + k;
        tags.push([id, "mlflow.runName", `run-${i}`], [id, "mlflow.user", "bench"]);
        if (shape.clientTags) tags.push([id, "mlflow.source.name", "train.py"], [id, "mlflow.source.type", "LOCAL"]);
        const metrics: Metric[] = [];
        for (let m = 0; m < shape.metrics; m++) metrics.push({ key: `m${m}`, value: rand(), timestamp: t0 + i, step: 0 });
        for (let p = 0; p < shape.params; p++) params.push([id, `p${p}`, `v${Math.floor(rand() * shape.valuesPerParam)}`]);
        for (let t = 0; t < shape.tags; t++) tags.push([id, `t${t}`, `tag-${Math.floor(rand() * 5)}`]);
        for (const m of metrics) points.push([id, m.key, m.step, m.timestamp, m.value, 0]);
        for (const a of aggregateBuckets(metrics)) buckets.push([id, a.key, a.level, a.bucket, a.cnt, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
      });
      await conn.dialect.bulkInsert(trx, "tags", KV, tags, "");
      await conn.dialect.bulkInsert(trx, "params", KV, params, "");
      await conn.dialect.bulkInsert(trx, "metrics", POINT_COLUMNS, points, "");
      await conn.dialect.bulkInsert(trx, "latest_metrics", POINT_COLUMNS, points, "");
      await conn.dialect.bulkInsert(trx, "metric_buckets", BUCKET_COLUMNS, buckets, "");
    });
    if (Math.floor((from + n) / 10_000) > Math.floor(from / 10_000)) onProgress?.(from + n);
  }
}
