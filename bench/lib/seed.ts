/**
 * Seeds benchmark data straight through the TrackingStore (before the server
 * starts), many writes in flight at once so SQLite's group commit and
 * PostgreSQL's pool are used as a busy server would use them.
 * @module
 */
import type { TrackingStore } from "../../src/tracking/tracking-store.js";
import type { Metric } from "../../src/shared/tracking-types.js";

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
