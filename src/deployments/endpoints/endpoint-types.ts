/**
 * Managed endpoints: a stable name clients call, deployments under it (a
 * model version run by a target with replicas and env), live traffic weights
 * and mirrored shares, the rollout strategy, and the audit history of every
 * change.
 * @module
 */

export interface Analysis {
  maxErrorRate: number;
  maxP99Ms: number;
  maxDivergence: number;
  minRequests: number;
}

export interface Strategy {
  kind: "canary" | "blue-green";
  steps: number[];
  stepSeconds: number;
  analysis: Analysis;
}

export interface Endpoint {
  name: string;
  description: string;
  traffic: Record<string, number>;
  mirror: Record<string, number>;
  strategy: Strategy;
  stickyHeader?: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A deployment's env entry that names a secret of the server's store instead
 * of holding a value (`{API_KEY: {secret: "payments-key"}}`): the value is
 * read only when a model server starts, never stored with the deployment.
 */
export interface SecretRef {
  secret: string;
}
export type EnvValue = string | SecretRef;

export const isSecretRef = (v: EnvValue): v is SecretRef => typeof v === "object" && v !== null;

export interface Deployment {
  endpoint: string;
  name: string;
  modelUri: string;
  modelName: string;
  modelVersion: string;
  followAlias?: string;
  target: string;
  replicas: number;
  env: Record<string, EnvValue>;
  createdAt: number;
  updatedAt: number;
}

export interface HistoryEntry {
  id: string;
  endpoint: string;
  deployment?: string;
  action: string;
  actor: string | null;
  reason?: string;
  detail: unknown;
  time: number;
}

export type RolloutState = "running" | "paused" | "succeeded" | "rolled_back" | "aborted";

export interface Rollout {
  id: string;
  endpoint: string;
  stable: string;
  candidate: string;
  strategy: Strategy;
  step: number;
  state: RolloutState;
  reason?: string;
  lastAnalysis?: unknown;
  startedAt: number;
  updatedAt: number;
}

/** Who made a change (the user the request claims, null when none; `ciclo` for automation). */
export type Actor = string | null;
