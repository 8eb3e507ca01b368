/**
 * Domain types of the tracking station (camelCase; the wire presenters turn
 * them into MLflow's snake_case JSON).
 * @module
 */
import type { LifecycleStage, Tag } from "./types.js";

const RUN_STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Tag[];
}

export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

/** One metric point. `value` may be NaN or ±Infinity. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** MLflow 3.x: the logged model and dataset a point belongs to. */
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

/** A metric point with the run it belongs to (bulk history calls). */
export interface RunMetric extends Metric {
  runId: string;
}

export interface Param {
  key: string;
  value: string;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string | null;
  profile?: string | null;
}

export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

interface RunData {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

/** MLflow 3.x: a logged model a run used (`runs/log-inputs` models). */
export interface RunModelInput {
  modelId: string;
}

/** MLflow 3.x: a logged model a run produced, at a step (`runs/outputs`). */
export interface RunModelOutput {
  modelId: string;
  step: number;
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: { datasetInputs: DatasetInput[]; modelInputs?: RunModelInput[] };
  /** Present on runs read back from the store (MLflow 3.x returns `outputs` on get and search). */
  outputs?: { modelOutputs: RunModelOutput[] };
}
