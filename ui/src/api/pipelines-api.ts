/** Pipeline runs, their logs, approvals and triggers (`/api/ciclo/v1/pipelines…`), as the pipeline pages read them. */
import type { WireApproval, WireLogLine, WirePipelineDefinition, WirePipelineRun } from "../../../src/shared/wire/pipelines-wire";
import { CICLO, getJson, postJson, request } from "./http";

export type { WireApproval, WireLogLine, WirePipelineDefinition, WirePipelineRun, WireStep } from "../../../src/shared/wire/pipelines-wire";

export interface WireTrigger {
  trigger_id: string;
  name: string;
  kind: string;
  project: string;
  pipeline: string;
  config: Record<string, unknown>;
  webhook_path?: string;
  next_fire_at?: number;
  created_by?: string;
}

export interface WireProject {
  name: string;
  source: string;
  created_at: number;
}

const seg = encodeURIComponent;

export const listPipelineRuns = async (query: { pipeline?: string; status?: string; max_results?: number } = {}, signal?: AbortSignal) =>
  (await getJson<{ pipeline_runs: WirePipelineRun[] }>(`${CICLO}/pipelines/runs`, query, signal)).pipeline_runs;

export const getPipelineRun = async (runId: string, signal?: AbortSignal) =>
  (await getJson<{ pipeline_run: WirePipelineRun }>(`${CICLO}/pipelines/runs/${seg(runId)}`, {}, signal)).pipeline_run;

export const pipelineRunLogs = (runId: string, step: string, afterSeq: number, signal?: AbortSignal) =>
  getJson<{ lines: WireLogLine[]; next_seq: number; run_status: string }>(`${CICLO}/pipelines/runs/${seg(runId)}/logs`, { step, after_seq: afterSeq, max_results: 2000 }, signal);

export const listApprovals = async (state: "pending" | "approved" | "rejected" | undefined, signal?: AbortSignal) =>
  (await getJson<{ approvals: WireApproval[] }>(`${CICLO}/pipelines/approvals`, { state, max_results: 200 }, signal)).approvals;

export const answerApproval = async (runId: string, stepId: string, approved: boolean, comment: string, by?: string) =>
  (await postJson<{ approval: WireApproval }>(`${CICLO}/pipelines/runs/${seg(runId)}/approvals/${seg(stepId)}`, { approved, ...(comment ? { comment } : {}), ...(by ? { by } : {}) })).approval;

export const listTriggers = async (signal?: AbortSignal) => (await getJson<{ triggers: WireTrigger[] }>(`${CICLO}/pipelines/triggers/list`, {}, signal)).triggers;

export const listProjects = async (signal?: AbortSignal) => (await getJson<{ projects: WireProject[] }>(`${CICLO}/pipelines/projects`, {}, signal)).projects;

export const projectPipelines = async (project: string, signal?: AbortSignal) =>
  (await getJson<{ pipelines: WirePipelineDefinition[] }>(`${CICLO}/pipelines/projects/${seg(project)}/pipelines`, {}, signal)).pipelines;

export const startPipelineRun = async (body: { project: string; pipeline: string; inputs?: Record<string, string | number | boolean> }) =>
  (await postJson<{ pipeline_run: WirePipelineRun }>(`${CICLO}/pipelines/runs`, body)).pipeline_run;

export const cancelPipelineRun = async (runId: string) => (await postJson<{ pipeline_run: WirePipelineRun }>(`${CICLO}/pipelines/runs/${seg(runId)}/cancel`, {})).pipeline_run;

export const createTrigger = (body: { name: string; kind: string; project: string; pipeline: string; config: Record<string, unknown> }) =>
  postJson<{ trigger: WireTrigger; secret?: string }>(`${CICLO}/pipelines/triggers/create`, body);

export const deleteTrigger = async (triggerId: string) => {
  await request(`${CICLO}/pipelines/triggers/delete`, { method: "DELETE", headers: { "content-type": "application/json" }, body: JSON.stringify({ trigger_id: triggerId }) });
};
