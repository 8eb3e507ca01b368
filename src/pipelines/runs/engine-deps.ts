/**
 * What the pipelines engine is given (dependencies passed in, never built
 * here): its store, the tracking store for the runs, the job scheduler, the
 * server's own URL for the steps' processes, and the in-server step kinds'
 * seams (deploy, notify).
 * @module
 */
import type { TrackingStore } from "../../tracking/index.js";
import type { PipelineStore } from "./pipeline-store.js";
import type { RemoteSteps } from "./step-executor.js";

export const DEPLOY_STRATEGIES = ["rollout", "canary", "blue-green", "direct"] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];
import type { StepSecretSource } from "./step-secrets.js";

export interface DeployRequest {
  endpoint: string;
  deployment: string;
  model: string;
  replicas?: number;
  /**
   * `rollout` (the endpoint's strategy, canary by default), `canary` or `blue-green` (a rollout of that kind, the
   * endpoint's steps and analysis otherwise), `direct` (all traffic at once); default: rollout when the endpoint
   * already serves traffic, else direct.
   */
  strategy?: DeployStrategy;
  /** A value, or a server secret's name (resolved by the deployment when its model servers start). */
  env?: Record<string, string | { secret: string }>;
}

export interface EngineLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PipelineEngineDeps {
  store: PipelineStore;
  tracking: TrackingStore;
  enqueue(input: { type: string; payload: unknown; runAfter?: number; maxAttempts?: number; idempotencyKey?: string }): Promise<{ jobId: string }>;
  /** The server's URL, for the steps' processes (they are clients of its API). */
  trackingUri(): Promise<string>;
  /** How to run ciclo: `[node, bin/ciclo.js]`. */
  cli: readonly string[];
  /** Environment of step processes (the step's own env is set over it). */
  baseEnv: NodeJS.ProcessEnv;
  /** `runs-on: kubernetes` steps' executor; undefined when the server has no Kubernetes namespace. */
  remote?: RemoteSteps;
  /** Where git checkouts and step scratch files go. */
  workDir: string;
  /** The `deploy` step; undefined when the server runs no deployments module. */
  deploy?(req: DeployRequest, actor: string | null): Promise<Record<string, unknown>>;
  /** The `notify` step: POSTs JSON (the SSRF-safe outbound policy applies), signed with HMAC-SHA256 when a key is given. */
  notify(url: string, body: unknown, signal: AbortSignal, signingKey?: string): Promise<{ status: number }>;
  /** The server's secrets, for `${{ secrets.NAME }}` (undefined: a step that reads one fails). */
  secrets?: StepSecretSource;
  /** Writes a step's log into its run's artifacts (`artifactUri` is the run's root); undefined: logs stay in the database only. */
  saveArtifact?(artifactUri: string, path: string, text: string): Promise<void>;
  logger?: EngineLogger;
  /** How often a running step checks for a cancel of its run, ms (default 500). */
  cancelPollMs?: number;
}

/** The job types the engine runs. `pipelines.run` is the one monitoring's retraining action enqueues. */
export const JOB_TYPES = { run: "pipelines.run", step: "pipelines.step" } as const;
