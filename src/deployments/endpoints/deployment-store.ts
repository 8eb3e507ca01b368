/**
 * Where endpoints, deployments, rollouts and their history are kept. Each
 * method is one transaction: a change and its history entry commit together.
 * @module
 */
import type { Actor, Deployment, Endpoint, HistoryEntry, Rollout } from "./endpoint-types.js";

export interface HistoryInput {
  endpoint: string;
  deployment?: string;
  action: string;
  actor: Actor;
  reason?: string;
  detail?: unknown;
}

export type EndpointPatch = Partial<Pick<Endpoint, "description" | "traffic" | "mirror" | "strategy" | "stickyHeader">>;

/** A model-server process the local target started (so a restarted ciclo finds what it left behind). */
export interface ReplicaRecord {
  endpoint: string;
  deployment: string;
  index: number;
  /** The ciclo server that started it (targets/replica-owner.ts); several may share the database. */
  owner: string;
  pid: number;
  url?: string;
  startedAt: number;
}

export interface DeploymentStore {
  /** Throws ResourceAlreadyExistsError when the name is taken. */
  createEndpoint(e: Endpoint, h: HistoryInput): Promise<void>;
  getEndpoint(name: string): Promise<Endpoint | undefined>;
  listEndpoints(): Promise<Endpoint[]>;
  updateEndpoint(name: string, patch: EndpointPatch, now: number, h: HistoryInput): Promise<void>;
  /** Removes the endpoint, its deployments and rollouts; the history stays. */
  deleteEndpoint(name: string, h: HistoryInput): Promise<void>;

  listDeployments(endpoint?: string): Promise<Deployment[]>;
  getDeployment(endpoint: string, name: string): Promise<Deployment | undefined>;
  /** Throws ResourceAlreadyExistsError when the name is taken in the endpoint. */
  createDeployment(d: Deployment, h: HistoryInput): Promise<void>;
  updateDeployment(d: Deployment, h: HistoryInput): Promise<void>;
  /** Removes the deployment and its weights from the endpoint's traffic. */
  deleteDeployment(endpoint: string, name: string, traffic: Record<string, number>, mirror: Record<string, number>, now: number, h: HistoryInput): Promise<void>;

  history(endpoint: string, limit: number): Promise<HistoryEntry[]>;
  addHistory(h: HistoryInput, now: number): Promise<void>;

  /** Resolves with the new rollout's id. */
  createRollout(r: Omit<Rollout, "id">, h: HistoryInput): Promise<string>;
  getRollout(id: string): Promise<Rollout | undefined>;
  listRollouts(endpoint: string): Promise<Rollout[]>;
  /** Writes the rollout's new state, optionally the endpoint's traffic, and a history entry, together. */
  updateRollout(r: Rollout, traffic: { traffic: Record<string, number>; mirror: Record<string, number> } | undefined, h: HistoryInput): Promise<void>;

  recordReplica(r: ReplicaRecord): Promise<void>;
  forgetReplica(endpoint: string, deployment: string, index: number, owner: string): Promise<void>;
  listReplicas(): Promise<ReplicaRecord[]>;
}
