/**
 * What the pipelines engine keeps: pipeline runs (one per MLflow parent
 * run), their steps' states and outputs, step log lines, approvals, and the
 * registered projects whose pipelines the server may run. The interface
 * lives here; the SQL is in `store/sql/pipelines/`.
 * @module
 */
import type { PipelineSpec } from "../definition/pipeline-spec.js";
import type { PipelineTrigger } from "./pipeline-launcher.js";

/** queued → running ⇄ waiting (an approval) → succeeded | failed | cancelled. */
export type PipelineRunStatus = "running" | "waiting" | "succeeded" | "failed" | "cancelled";
/**
 * pending → queued (a job is enqueued) → running → succeeded | failed;
 * cached (an earlier identical step's result), skipped (its if: was false,
 * or a need failed), waiting (an approval), cancelled.
 */
export type StepStatus = "pending" | "queued" | "running" | "waiting" | "succeeded" | "cached" | "failed" | "skipped" | "cancelled";
export const FINISHED_STEP: ReadonlySet<StepStatus> = new Set<StepStatus>(["succeeded", "cached", "failed", "skipped", "cancelled"]);
export const FINISHED_RUN: ReadonlySet<PipelineRunStatus> = new Set<PipelineRunStatus>(["succeeded", "failed", "cancelled"]);

export interface PipelineRun {
  runId: string;
  pipeline: string;
  /** As the launcher was given it (a folder or a git URI). */
  project: string;
  /** The folder the steps run in (a checkout for git URIs). */
  projectDir: string;
  experimentId: string;
  status: PipelineRunStatus;
  spec: PipelineSpec;
  inputs: Record<string, unknown>;
  trigger: PipelineTrigger;
  noCache: boolean;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** When the last resume started the run again (null: never resumed). */
  resumedAt: number | null;
  /** Time spent running before the last resume, ms (0 when never resumed). */
  earlierRunMs: number;
}

export interface PipelineStep {
  runId: string;
  stepId: string;
  status: StepStatus;
  /** The step's child run (created when the step starts, or is cached). */
  childRunId: string | null;
  /** Attempts started (retries count; a resume starts again at 0). */
  attempt: number;
  outputs: Record<string, unknown>;
  cacheKey: string | null;
  /** The child run whose result a cached step reused. */
  cachedFrom: string | null;
  error: string | null;
  jobId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface StepLogLine {
  seq: number;
  stepId: string;
  attempt: number;
  time: number;
  stream: "stdout" | "stderr" | "ciclo";
  line: string;
}

export type ApprovalState = "pending" | "approved" | "rejected";

export interface Approval {
  runId: string;
  stepId: string;
  pipeline: string;
  state: ApprovalState;
  /** Users who may answer (empty: anyone who may use pipelines). */
  approvers: string[];
  message: string | null;
  requestedAt: number;
  answeredBy: string | null;
  answeredAt: number | null;
  comment: string | null;
}

export interface RegisteredProject {
  name: string;
  source: string;
  createdAt: number;
}

export interface RunQuery {
  pipeline?: string;
  status?: PipelineRunStatus;
  limit: number;
}

export interface PipelineStore {
  /** Creates the run and its steps (all pending) in one transaction. */
  createRun(run: Omit<PipelineRun, "createdAt" | "updatedAt" | "finishedAt" | "error" | "resumedAt" | "earlierRunMs">, launchKey?: string): Promise<void>;
  /** The run an earlier launch with this key created (a job delivered twice). */
  runByLaunchKey(key: string): Promise<string | undefined>;
  getRun(runId: string): Promise<PipelineRun | undefined>;
  listRuns(q: RunQuery): Promise<PipelineRun[]>;
  /** Runs not finished (to pick up after a restart). */
  activeRuns(): Promise<string[]>;
  /** Sets the status; `from` makes it conditional (returns false when the run was in another state). */
  setRunStatus(runId: string, status: PipelineRunStatus, error?: string | null, from?: PipelineRunStatus[]): Promise<boolean>;
  /**
   * Starts a finished run again (running, no error) when its status is one of `from`; the stretch that
   * ended is added to the time spent running and the new one starts now. Returns whether it did.
   */
  resumeRun(runId: string, from: PipelineRunStatus[]): Promise<boolean>;
  /** Changes whether the run's steps may be served from the cache (a resume with --no-cache). */
  setNoCache(runId: string, noCache: boolean): Promise<void>;
  steps(runId: string): Promise<PipelineStep[]>;
  getStep(runId: string, stepId: string): Promise<PipelineStep | undefined>;
  /** Updates a step; with `from`, only when its status is one of them (returns whether it did). */
  updateStep(runId: string, stepId: string, patch: Partial<Omit<PipelineStep, "runId" | "stepId">>, from?: StepStatus[]): Promise<boolean>;
  /** The newest succeeded step with this cache key, in any run. */
  findCached(cacheKey: string): Promise<PipelineStep | undefined>;
  appendLogs(runId: string, lines: Array<Omit<StepLogLine, "seq">>): Promise<void>;
  logs(runId: string, q: { stepId?: string; afterSeq?: number; limit: number }): Promise<StepLogLine[]>;
  /** Creates the pending approval of a step (again pending after a resume). */
  requestApproval(a: Omit<Approval, "state" | "answeredBy" | "answeredAt" | "comment">): Promise<void>;
  getApproval(runId: string, stepId: string): Promise<Approval | undefined>;
  /** Answers a pending approval; false when it was not pending. */
  answerApproval(runId: string, stepId: string, state: "approved" | "rejected", by: string | null, comment: string | null): Promise<boolean>;
  listApprovals(q: { state?: ApprovalState; limit: number }): Promise<Approval[]>;
  registerProject(name: string, source: string): Promise<RegisteredProject>;
  listProjects(): Promise<RegisteredProject[]>;
  getProject(name: string): Promise<RegisteredProject | undefined>;
}
