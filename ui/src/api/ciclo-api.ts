/** ciclo's own views (`/api/ciclo/v1/...`): aggregates computed on the server so the UI never loads every run. */
import { CICLO, getJson, postJson, queryString } from "./http";
import type { ViewType } from "./tracking-api";

export interface ExperimentSummary {
  experiment_id: string;
  active_run_count: number;
  deleted_run_count: number;
  last_activity?: number;
}

export async function experimentSummaries(ids: string[], signal?: AbortSignal): Promise<Map<string, ExperimentSummary>> {
  if (ids.length === 0) return new Map();
  const res = await getJson<{ experiments: ExperimentSummary[] }>(`${CICLO}/experiments/summary`, { experiment_ids: ids }, signal);
  return new Map(res.experiments.map((e) => [e.experiment_id, e]));
}

export interface RunScope {
  experiment_ids: string[];
  filter?: string;
  run_view_type?: ViewType;
}

export interface RunKeys {
  params: string[];
  metrics: string[];
  tags: string[];
  truncated: boolean;
}

export const runKeys = (scope: RunScope, signal?: AbortSignal) => postJson<RunKeys>(`${CICLO}/runs/keys`, scope, signal);

export async function countRuns(scope: RunScope, signal?: AbortSignal): Promise<number> {
  return (await postJson<{ count: number }>(`${CICLO}/runs/count`, scope, signal)).count;
}

export interface RunGroup {
  value: string | null;
  run_count: number;
  metrics: Array<{ key: string; mean: number; min: number; max: number; count: number }>;
}

export const groupRuns = (req: RunScope & { group_by: string; metric_keys: string[]; max_groups?: number }, signal?: AbortSignal) =>
  postJson<{ groups: RunGroup[]; truncated: boolean }>(`${CICLO}/runs/group`, req, signal);

/** The streamed CSV export's URL (a plain link: the browser downloads it without holding it in memory). */
export function exportCsvUrl(scope: RunScope & { order_by?: string[]; columns: string[] }): string {
  return `${CICLO}/runs/export-csv${queryString({
    experiment_ids: scope.experiment_ids,
    filter: scope.filter || undefined,
    run_view_type: scope.run_view_type,
    order_by: scope.order_by,
    columns: scope.columns,
  })}`;
}

export interface RunModelVersion {
  run_id: string;
  name: string;
  version: string;
  current_stage: string;
  status: string;
  aliases: string[];
}

export interface RunLoggedModel {
  run_id: string;
  model_id: string;
  name: string;
  status: string;
  experiment_id: string;
}

export interface RunModels {
  versions: RunModelVersion[];
  loggedModels: RunLoggedModel[];
}

/**
 * The models runs produced — registered versions whose `run_id` is the run,
 * MLflow 3.x logged models whose `source_run_id` is — by run id, for a page
 * of runs in one call (`/api/ciclo/v1/runs/models`).
 */
export async function runModels(runIds: string[], signal?: AbortSignal): Promise<Map<string, RunModels>> {
  const out = new Map<string, RunModels>(runIds.map((id) => [id, { versions: [], loggedModels: [] }]));
  if (runIds.length === 0) return out;
  const res = await postJson<{ model_versions: RunModelVersion[]; logged_models: RunLoggedModel[] }>(`${CICLO}/runs/models`, { run_ids: runIds }, signal);
  for (const v of res.model_versions) out.get(v.run_id)?.versions.push(v);
  for (const m of res.logged_models) out.get(m.run_id)?.loggedModels.push(m);
  return out;
}
