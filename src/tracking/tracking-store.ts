/**
 * The tracking metadata store: experiments, runs, params, tags, metrics and
 * dataset inputs. One interface, every method required; SQLite and
 * PostgreSQL implement it with the same SQL (store/sql/), and the contract
 * suite (store/contract/) runs against both.
 *
 * Methods throw {@link MlflowError}s with MLflow's error codes; they never
 * know about HTTP.
 * @module
 */
import type { FilterNode, OrderByClause } from "../shared/filter/filter-ast.js";
import type { DatasetInput, Experiment, Metric, Param, Run, RunInfo, RunMetric, RunModelInput, RunStatus } from "../shared/tracking-types.js";
import type { Page, Tag, ViewType } from "../shared/types.js";

export interface CreateExperimentInput {
  name: string;
  /** When absent, `<defaultArtifactRoot>/<experiment_id>`. */
  artifactLocation?: string;
  tags: Tag[];
}

export interface SearchExperimentsQuery {
  viewType: ViewType;
  filter?: FilterNode;
  orderBy: OrderByClause[];
  maxResults: number;
  pageToken?: string;
}

export interface CreateRunInput {
  experimentId: string;
  userId: string;
  runName: string;
  startTime: number | null;
  tags: Tag[];
}

export interface UpdateRunInput {
  status?: RunStatus;
  endTime?: number | null;
  runName?: string;
}

export interface LogBatchInput {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

export interface SearchRunsQuery {
  experimentIds: string[];
  filter?: FilterNode;
  viewType: ViewType;
  orderBy: OrderByClause[];
  maxResults: number;
  pageToken?: string;
}

export interface MetricHistoryQuery {
  maxResults?: number;
  pageToken?: string;
}

export interface BulkIntervalQuery {
  runIds: string[];
  metricKey: string;
  startStep?: number;
  endStep?: number;
  /** Points per run after downsampling. */
  maxResults: number;
  /** Stops the work between runs (the client went away); the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Which deleted entities garbage collection may purge. */
export interface GcQuery {
  /** Only entities deleted at or before this time (ms since the epoch); all when absent. */
  deletedBefore?: number;
  /** Only these experiments (deleted ones whole; in active ones, their deleted runs and logged models). */
  experimentIds?: string[];
}

import type { GcEntities, GcLoggedModel, GcRun, PurgedExperiment } from "../shared/gc-types.js";
export type { GcEntities, GcLoggedModel, GcRun, PurgedExperiment };

export interface TrackingStore {
  /** Creates an experiment; RESOURCE_ALREADY_EXISTS when the name is taken (even by a deleted one). */
  createExperiment(input: CreateExperimentInput): Promise<string>;
  /** Returns an experiment in any lifecycle stage; RESOURCE_DOES_NOT_EXIST when unknown. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Prefers the active experiment; RESOURCE_DOES_NOT_EXIST when no experiment has the name. */
  getExperimentByName(name: string): Promise<Experiment>;
  searchExperiments(query: SearchExperimentsQuery): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  /** Soft delete; the experiment's active runs are deleted with it. */
  deleteExperiment(experimentId: string): Promise<void>;
  /** Restores the experiment and the runs its deletion deleted. */
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  /** RESOURCE_DOES_NOT_EXIST when the tag is absent. */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  /** Creates a RUNNING run in an active experiment and returns it. */
  createRun(input: CreateRunInput): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  /** Updates status/end time/name (the name keeps `mlflow.runName` in sync). */
  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  /**
   * Writes metrics, params and tags in one transaction: all or nothing. Metric
   * points identical to stored ones are skipped (retries are idempotent);
   * a param logged again with another value fails the whole batch.
   */
  logBatch(runId: string, batch: LogBatchInput): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /**
   * Records dataset inputs and (MLflow 3.x) logged-model inputs in one transaction;
   * RESOURCE_DOES_NOT_EXIST for an unknown model.
   */
  logInputs(runId: string, inputs: DatasetInput[], models?: RunModelInput[]): Promise<void>;
  /** Points of one metric in (step, timestamp) order; paged when maxResults is given. */
  getMetricHistory(runId: string, key: string, query: MetricHistoryQuery): Promise<Page<Metric>>;
  /** Min/max-preserving downsampled history of one metric for several runs. */
  getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<RunMetric[]>;
  searchRuns(query: SearchRunsQuery): Promise<Page<Run>>;

  /**
   * Garbage collection (`ciclo gc`): the deleted experiments, runs and logged
   * models that match. Reads only.
   */
  findGcCandidates(query: GcQuery): Promise<GcEntities>;
  /**
   * Hard-deletes runs in the deleted stage with every row that hangs off them
   * (metrics, latest metrics, metric buckets, params, tags, dataset inputs,
   * logged-model inputs/outputs), children first. All or nothing:
   * RESOURCE_DOES_NOT_EXIST for an unknown id, INVALID_PARAMETER_VALUE for a
   * run that is not deleted. Metadata only; returns the purged runs so the
   * caller can delete their artifacts.
   */
  hardDeleteRuns(runIds: string[]): Promise<GcRun[]>;
  /** Hard-deletes logged models in the deleted stage, with their params, tags and run links. Same rules as hardDeleteRuns. */
  hardDeleteLoggedModels(modelIds: string[]): Promise<GcLoggedModel[]>;
  /**
   * Hard-deletes experiments in the deleted stage with all their runs, logged
   * models, datasets and tags; the name becomes free again. Same rules as
   * hardDeleteRuns (an experiment that still holds an active run is refused).
   */
  hardDeleteExperiments(experimentIds: string[]): Promise<PurgedExperiment[]>;

  /** Closes connections; in-flight calls finish first. */
  close(): Promise<void>;
}
