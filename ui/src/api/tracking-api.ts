/** MLflow's tracking RPCs the UI calls (`/ajax-api/2.0/mlflow/...`), typed with the server's wire types. */
import type { WireExperiment, WireKeyValue, WireRun, WireRunInfo } from "../../../src/shared/wire/tracking-wire";
import { getJson, MLFLOW, postJson } from "./http";

export type { WireExperiment, WireKeyValue, WireRun, WireRunInfo };
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

export interface SearchExperimentsRequest {
  filter?: string;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
  view_type?: ViewType;
}

export function searchExperiments(req: SearchExperimentsRequest, signal?: AbortSignal) {
  return postJson<{ experiments?: WireExperiment[]; next_page_token?: string }>(`${MLFLOW}/experiments/search`, req, signal);
}

export async function getExperiment(id: string, signal?: AbortSignal): Promise<WireExperiment> {
  return (await getJson<{ experiment: WireExperiment }>(`${MLFLOW}/experiments/get`, { experiment_id: id }, signal)).experiment;
}

export async function createExperiment(name: string): Promise<string> {
  return (await postJson<{ experiment_id: string }>(`${MLFLOW}/experiments/create`, { name })).experiment_id;
}

export const renameExperiment = (id: string, newName: string) =>
  postJson(`${MLFLOW}/experiments/update`, { experiment_id: id, new_name: newName });
export const deleteExperiment = (id: string) => postJson(`${MLFLOW}/experiments/delete`, { experiment_id: id });
export const restoreExperiment = (id: string) => postJson(`${MLFLOW}/experiments/restore`, { experiment_id: id });

export interface SearchRunsRequest {
  experiment_ids: string[];
  filter?: string;
  run_view_type?: ViewType;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

export function searchRuns(req: SearchRunsRequest, signal?: AbortSignal) {
  return postJson<{ runs?: WireRun[]; next_page_token?: string }>(`${MLFLOW}/runs/search`, req, signal);
}

export async function getRun(runId: string, signal?: AbortSignal): Promise<WireRun> {
  return (await getJson<{ run: WireRun }>(`${MLFLOW}/runs/get`, { run_id: runId }, signal)).run;
}

export const deleteRun = (runId: string) => postJson(`${MLFLOW}/runs/delete`, { run_id: runId });
export const restoreRun = (runId: string) => postJson(`${MLFLOW}/runs/restore`, { run_id: runId });
export const setRunTag = (runId: string, key: string, value: string) => postJson(`${MLFLOW}/runs/set-tag`, { run_id: runId, key, value });
export const deleteRunTag = (runId: string, key: string) => postJson(`${MLFLOW}/runs/delete-tag`, { run_id: runId, key });

export interface SampledPoint {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id: string;
}

/**
 * A metric's history, downsampled on the server (min/max preserving) to about
 * `maxResults` points per run: the browser never receives raw histories.
 */
export async function getHistorySampled(runIds: string[], metricKey: string, maxResults: number, signal?: AbortSignal): Promise<SampledPoint[]> {
  const res = await getJson<{ metrics?: SampledPoint[] }>(
    `${MLFLOW}/metrics/get-history-bulk-interval`,
    { run_ids: runIds, metric_key: metricKey, max_results: maxResults },
    signal,
  );
  return res.metrics ?? [];
}

/** MLflow's JSON doubles: numbers, or "NaN" / "Infinity" / "-Infinity". */
export function wireDouble(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return Number(v);
}
