/**
 * Calls to the pipelines API (`/api/ciclo/v1/pipelines…`): register a
 * project, list its pipelines, start a run, read and follow it, cancel,
 * resume, and answer approvals. What `ciclo pipelines` runs. Objects are
 * the API's own (snake_case, as `ciclo pipelines … --json` prints them).
 * @module
 */
import type { Static } from "typebox";
import type {
  ApprovalResponse,
  DefinitionsResponse,
  ListApprovalsResponse,
  ListProjectsResponse,
  ListRunsResponse,
  LogsResponse,
  ProjectResponse,
  RunResponse,
  WireApproval,
  WireLogLine,
  WirePipelineDefinition,
  WirePipelineRun,
} from "../shared/wire/pipelines-wire.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const BASE = "/api/ciclo/v1/pipelines";

export type PipelineRun = WirePipelineRun;
export type PipelineApproval = WireApproval;
export type PipelineDefinition = WirePipelineDefinition;
export type PipelineLogLine = WireLogLine;

export interface StartPipelineRun {
  /** A registered project's name, an absolute folder on the server's disk, or a git URI. */
  project: string;
  pipeline: string;
  inputs?: Record<string, string | number | boolean>;
  noCache?: boolean;
  /** Who starts it (recorded; with authentication on, the server uses the signed-in user). */
  actor?: string;
}

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const runPath = (runId: string) => `${BASE}/runs/${encodeURIComponent(runId)}`;

export class PipelinesClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  async registerProject(name: string, source: string): Promise<Static<typeof ProjectResponse>> {
    return this.http.post<Static<typeof ProjectResponse>>(`${BASE}/projects`, { name, source });
  }

  async projects(): Promise<Static<typeof ListProjectsResponse>["projects"]> {
    return (await this.http.get<Static<typeof ListProjectsResponse>>(`${BASE}/projects`)).projects;
  }

  async definitions(project: string): Promise<PipelineDefinition[]> {
    return (await this.http.get<Static<typeof DefinitionsResponse>>(`${BASE}/projects/${encodeURIComponent(project)}/pipelines`)).pipelines;
  }

  /** Starts a run; resolves once it is recorded and its first steps are queued. */
  async start(req: StartPipelineRun): Promise<PipelineRun> {
    const body = { project: req.project, pipeline: req.pipeline, ...(req.inputs && { inputs: req.inputs }), ...(req.noCache && { no_cache: true }), ...(req.actor && { actor: req.actor }) };
    return (await this.http.post<Static<typeof RunResponse>>(`${BASE}/runs`, body, { idempotent: false })).pipeline_run;
  }

  async get(runId: string): Promise<PipelineRun> {
    return (await this.http.get<Static<typeof RunResponse>>(runPath(runId))).pipeline_run;
  }

  async list(opts: { pipeline?: string; status?: string; maxResults?: number } = {}): Promise<PipelineRun[]> {
    return (await this.http.get<Static<typeof ListRunsResponse>>(`${BASE}/runs`, { pipeline: opts.pipeline, status: opts.status, max_results: opts.maxResults })).pipeline_runs;
  }

  /** Log lines after `afterSeq` (of one step, or all); with `waitMs` the server holds the call until a line comes or the run ends. */
  async logs(runId: string, opts: { step?: string; afterSeq?: number; maxResults?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<Static<typeof LogsResponse>> {
    return this.http.get<Static<typeof LogsResponse>>(`${runPath(runId)}/logs`, { step: opts.step, after_seq: opts.afterSeq, max_results: opts.maxResults, wait_ms: opts.waitMs }, { signal: opts.signal });
  }

  /** Every line until the run has finished and none is left, as they are written. */
  async *follow(runId: string, opts: { step?: string; afterSeq?: number; waitMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<PipelineLogLine> {
    let after = opts.afterSeq ?? 0;
    for (;;) {
      const page = await this.logs(runId, { step: opts.step, afterSeq: after, waitMs: opts.waitMs ?? 10_000, signal: opts.signal });
      yield* page.lines;
      after = page.next_seq;
      if (FINISHED.has(page.run_status) && page.lines.length === 0) return;
    }
  }

  async cancel(runId: string): Promise<PipelineRun> {
    return (await this.http.post<Static<typeof RunResponse>>(`${runPath(runId)}/cancel`, {})).pipeline_run;
  }

  async resume(runId: string, opts: { noCache?: boolean } = {}): Promise<PipelineRun> {
    return (await this.http.post<Static<typeof RunResponse>>(`${runPath(runId)}/resume`, opts.noCache ? { no_cache: true } : {}, { idempotent: false })).pipeline_run;
  }

  async approvals(opts: { state?: "pending" | "approved" | "rejected"; maxResults?: number } = {}): Promise<PipelineApproval[]> {
    return (await this.http.get<Static<typeof ListApprovalsResponse>>(`${BASE}/approvals`, { state: opts.state, max_results: opts.maxResults })).approvals;
  }

  /** Approves or rejects a waiting approve step. `by` counts only on a server without authentication. */
  async answer(runId: string, stepId: string, answer: { approved: boolean; comment?: string; by?: string }): Promise<PipelineApproval> {
    const body = { approved: answer.approved, ...(answer.comment !== undefined && { comment: answer.comment }), ...(answer.by !== undefined && { by: answer.by }) };
    return (await this.http.post<Static<typeof ApprovalResponse>>(`${runPath(runId)}/approvals/${encodeURIComponent(stepId)}`, body, { idempotent: false })).approval;
  }

  /** Polls until the run has finished (or `signal` aborts); `onChange` sees each new state. */
  async wait(runId: string, opts: { intervalMs?: number; signal?: AbortSignal; onChange?(run: PipelineRun): void } = {}): Promise<PipelineRun> {
    let last = "";
    for (;;) {
      const run = await this.get(runId);
      const key = `${run.status}|${run.steps.map((s) => s.status).join(",")}`;
      if (key !== last) opts.onChange?.(run);
      last = key;
      if (FINISHED.has(run.status)) return run;
      await new Promise((r, reject) => {
        const t = setTimeout(r, opts.intervalMs ?? 1000);
        opts.signal?.addEventListener("abort", () => (clearTimeout(t), reject(opts.signal!.reason)), { once: true });
      });
    }
  }
}
