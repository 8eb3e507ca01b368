/**
 * Seeds a live server through its REST API for UI tests, screenshots and the
 * UI benchmark: experiments, runs with params/metrics/tags/histories, and
 * artifacts uploaded through the proxied artifact API.
 * @module
 */
export type Api = <T = any>(path: string, body?: unknown) => Promise<T>;

export interface SeedRun {
  name: string;
  params?: Record<string, string>;
  /** Latest values (logged at step 0), or whole histories. */
  metrics?: Record<string, number | number[]>;
  tags?: Record<string, string>;
  status?: "FINISHED" | "FAILED" | "KILLED" | "RUNNING";
  startTime?: number;
  durationMs?: number;
}

const kv = (o: Record<string, string> | undefined) => Object.entries(o ?? {}).map(([key, value]) => ({ key, value }));

export async function createExperiment(api: Api, name: string): Promise<string> {
  return (await api("/experiments/create", { name })).experiment_id;
}

/** Creates a run with everything in `spec`; returns its id. Histories go in batches of 1,000 points. */
export async function seedRun(api: Api, experimentId: string, spec: SeedRun): Promise<string> {
  const start = spec.startTime ?? Date.now();
  const runId: string = (await api("/runs/create", { experiment_id: experimentId, run_name: spec.name, start_time: start })).run.info.run_id;
  const points: Array<{ key: string; value: number; timestamp: number; step: number }> = [];
  for (const [key, v] of Object.entries(spec.metrics ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    values.forEach((value, step) => points.push({ key, value, timestamp: start + step * 1000, step }));
  }
  const params = kv(spec.params);
  const tags = kv(spec.tags);
  // MLflow's limit is 1,000 items per batch, params and tags included.
  if (params.length + tags.length > 0) await api("/runs/log-batch", { run_id: runId, metrics: [], params, tags });
  for (let i = 0; i < points.length; i += 1000) {
    await api("/runs/log-batch", { run_id: runId, metrics: points.slice(i, i + 1000), params: [], tags: [] });
  }
  if (spec.status && spec.status !== "RUNNING") {
    await api("/runs/update", { run_id: runId, status: spec.status, end_time: start + (spec.durationMs ?? 60_000) });
  }
  return runId;
}

/** Uploads one artifact file of a run (proxied artifact root `mlflow-artifacts:/<exp>/<run>/artifacts`). */
export async function uploadArtifact(baseUrl: string, experimentId: string, runId: string, path: string, body: string | Uint8Array): Promise<void> {
  const res = await fetch(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/${path}`, { method: "PUT", body });
  if (!res.ok) throw new Error(`upload ${path}: ${res.status} ${await res.text()}`);
}

/** A decreasing, noisy loss curve (deterministic: no Math.random, so screenshots are stable). */
export function lossCurve(steps: number, seed: number, floor = 0.05): number[] {
  const out: number[] = [];
  let x = seed * 9301 + 49297;
  for (let s = 0; s < steps; s++) {
    x = (x * 9301 + 49297) % 233280;
    const noise = (x / 233280 - 0.5) * 0.06;
    out.push(floor + (2.2 / (1 + seed * 0.15)) * Math.exp(-s / (steps / 5)) + noise * Math.exp(-s / steps));
  }
  return out;
}

/** A tiny valid PNG (8×8, one color) for image previews. */
export function tinyPng(): Uint8Array {
  return Uint8Array.from(
    Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGPQj76MFTEMLQkA7rdXQVp6bxQAAAAASUVORK5CYII=",
      "base64",
    ),
  );
}
