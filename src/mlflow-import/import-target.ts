/**
 * Where `ciclo import-mlflow` writes: ciclo's metadata store, written with
 * MLflow's ids kept (experiment ids, run ids, model names and versions,
 * logged-model ids) and MLflow's times — which the ordinary store methods,
 * made for new entities, would assign afresh. One SQL implementation serves
 * SQLite and PostgreSQL (store/sql/mlflow-import/).
 *
 * Every write also records what it imported in the store's import progress
 * table, in the same transaction: an entity is either there with its record
 * or not at all, which is what makes a second import skip it and an
 * interrupted one resume after the last whole write.
 * @module
 */
import type { Tag } from "../shared/types.js";
import type { SourceDataset } from "./mlflow-source.js";

/** What progress records are kept of (`mlflow_import_items.kind`). */
export type ImportKind = "experiment" | "run" | "logged_model" | "registered_model" | "run_artifacts" | "logged_model_artifacts";

/** source id → target id, per kind, for one source. */
export type ImportState = Record<ImportKind, Map<string, string>>;

export interface ImportExperiment {
  sourceId: string;
  experimentId: number;
  name: string;
  artifactLocation: string;
  lifecycleStage: "active" | "deleted";
  creationTime: number;
  lastUpdateTime: number;
  deletedTime: number | null;
  tags: Tag[];
}

export interface ImportRun {
  runId: string;
  experimentId: number;
  name: string;
  userId: string;
  status: string;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: "active" | "deleted";
  deletedTime: number | null;
  /** Deleted with its (deleted) experiment: restoring the experiment restores it. */
  deletedWithExperiment: boolean;
  params: Tag[];
  tags: Tag[];
  datasetInputs: Array<{ dataset: SourceDataset; tags: Tag[] }>;
  modelInputs: string[];
  modelOutputs: Array<{ modelId: string; step: number }>;
}

export interface ImportMetricPoint {
  runId: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export interface ImportLoggedModel {
  modelId: string;
  experimentId: number;
  name: string;
  artifactUri: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  status: string;
  statusMessage: string | null;
  modelType: string | null;
  sourceRunId: string | null;
  lifecycleStage: "active" | "deleted";
  params: Tag[];
  tags: Tag[];
}

export interface ImportModelVersion {
  version: number;
  creationTime: number;
  lastUpdatedTime: number;
  description: string | null;
  userId: string | null;
  currentStage: string;
  source: string;
  storageLocation: string | null;
  runId: string | null;
  runLink: string | null;
  status: string;
  statusMessage: string | null;
  modelId: string | null;
  tags: Tag[];
}

export interface ImportRegisteredModel {
  name: string;
  creationTime: number;
  lastUpdatedTime: number;
  description: string | null;
  tags: Tag[];
  aliases: Array<{ alias: string; version: number }>;
  versions: ImportModelVersion[];
  /** The number ciclo gives the next version created (MLflow's highest ever + 1). */
  nextVersion: number;
}

/** What the target holds already that an import would collide with. */
export interface TargetContents {
  /** Experiments by id: name, and whether it is the untouched Default experiment of a new store. */
  experiments: Map<number, { name: string; pristineDefault: boolean }>;
  experimentNames: Map<string, number>;
  runIds: Set<string>;
  registeredModels: Set<string>;
  loggedModels: Set<string>;
  /** The highest experiment id in use (new ids for file-store experiments come after it). */
  maxExperimentId: number;
}

export interface ImportTarget {
  /** What this source already imported; creates the progress table when missing unless `readOnly`. */
  loadState(source: string, readOnly?: boolean): Promise<ImportState>;
  /** What of the given ids and names exists in the target (whoever wrote it). */
  contents(query: { experimentIds: number[]; experimentNames: string[]; runIds: string[]; modelNames: string[]; loggedModelIds: string[] }): Promise<TargetContents>;
  /** Inserts experiments with their ids and tags; an untouched Default experiment with the same id is replaced. */
  writeExperiments(source: string, experiments: ImportExperiment[]): Promise<void>;
  writeLoggedModels(source: string, models: ImportLoggedModel[]): Promise<void>;
  /**
   * Inserts runs with params, tags, inputs, outputs and every metric point
   * (with the derived latest values and history summaries), in one transaction.
   * `points` yields the runs' points in chunks; resolves with how many were written.
   */
  writeRuns(source: string, runs: ImportRun[], points: AsyncIterable<ImportMetricPoint[]>): Promise<number>;
  writeRegisteredModel(source: string, model: ImportRegisteredModel): Promise<void>;
  /** Records that these entities' artifacts are all copied. */
  markArtifactsCopied(source: string, roots: Array<{ kind: "run_artifacts" | "logged_model_artifacts"; id: string }>): Promise<void>;
  /** Moves the id sequences past the imported ids. */
  finish(source: string): Promise<void>;
  close(): Promise<void>;
}
