/**
 * What the importer reads from an MLflow tracking store, whatever the store
 * is: MLflow's SQL schema (SQLite, PostgreSQL, MySQL/MariaDB) or a file store
 * (`mlruns/`). Ids and values are MLflow's, unchanged; the importer decides
 * what they become in ciclo.
 * @module
 */
import type { Tag } from "../shared/types.js";

export interface SourceExperiment {
  experimentId: string;
  name: string;
  /** MLflow allows NULL in its SQL schema. */
  artifactLocation: string | null;
  lifecycleStage: "active" | "deleted";
  /** Absent before MLflow 2.2's schema (and in some file stores). */
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: Tag[];
}

export interface SourceDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface SourceRun {
  runId: string;
  experimentId: string;
  name: string | null;
  userId: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string | null;
  lifecycleStage: "active" | "deleted";
  deletedTime: number | null;
  params: Tag[];
  tags: Tag[];
  datasetInputs: Array<{ dataset: SourceDataset; tags: Tag[] }>;
  /** MLflow 3.x: logged models the run used. */
  modelInputs: string[];
  /** MLflow 3.x: logged models the run produced (`runs/outputs`), at a step. */
  modelOutputs: Array<{ modelId: string; step: number }>;
}

/** One point of a run's metric history; NaN and infinities as numbers. */
export interface SourceMetricPoint {
  runId: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** File stores keep a point's dataset (MLflow 3.x) on its line. */
  datasetName?: string | null;
  datasetDigest?: string | null;
}

/** A metric point logged with a model id (MLflow 3.x keeps these in a table of their own). */
export interface SourceModelMetric extends SourceMetricPoint {
  modelId: string;
}

export interface SourceLoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  status: "LOGGED_MODEL_PENDING" | "LOGGED_MODEL_READY" | "LOGGED_MODEL_UPLOAD_FAILED";
  statusMessage: string | null;
  modelType: string | null;
  sourceRunId: string | null;
  lifecycleStage: "active" | "deleted";
  params: Tag[];
  tags: Tag[];
  metrics: SourceModelMetric[];
}

export interface SourceModelVersion {
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
  tags: Tag[];
}

export interface SourceRegisteredModel {
  name: string;
  creationTime: number;
  lastUpdatedTime: number;
  description: string | null;
  tags: Tag[];
  /** Alias → version. */
  aliases: Array<{ alias: string; version: number }>;
  /** Live versions only (MLflow keeps deleted ones as `Deleted_Internal`; they are counted in `deletedVersions`). */
  versions: SourceModelVersion[];
  /** The highest version number ever given, deleted ones included: ciclo never hands it out again. */
  maxVersion: number;
  deletedVersions: number;
}

export interface MlflowSource {
  /** For messages: the URI without credentials, or the folder. */
  readonly description: string;
  /** `sql` (with the alembic revision it found) or `file` (a file store). */
  readonly kind: "sql" | "file";
  readonly revision: string | null;
  /** Experiments in every lifecycle stage, with their tags, in id order. */
  experiments(): Promise<SourceExperiment[]>;
  /** The ids of the experiments' runs (collision checks, the progress bar). */
  runIds(experimentIds: string[]): Promise<string[]>;
  /**
   * Runs of the experiments, a page at a time, in (experiment, run id) order,
   * with params, tags and inputs; metric histories come from {@link metricPoints}.
   */
  runPages(experimentIds: string[], pageSize: number): AsyncIterable<SourceRun[]>;
  /** Every metric point of these runs (read by runPages before), in chunks of at most `chunk` points, each run's points together. */
  metricPoints(runIds: string[], chunk: number): AsyncIterable<SourceMetricPoint[]>;
  /** MLflow 3.x logged models of the experiments (none before 3.0), with params, tags and metric points. */
  loggedModels(experimentIds: string[]): Promise<SourceLoggedModel[]>;
  /** The model registry, whole. */
  registeredModels(): Promise<SourceRegisteredModel[]>;
  close(): Promise<void>;
}
