/**
 * Read-only aggregates the web UI needs over many runs — counts, distinct
 * keys, group-by aggregates — computed in SQL so the browser never has to
 * load every run (MLflow's UI did, and broke at 1,700 runs: mlflow#627).
 * A separate interface from TrackingStore: these are views, not MLflow RPCs.
 * @module
 */
import type { FilterNode } from "../shared/filter/filter-ast.js";
import type { ViewType } from "../shared/types.js";

export interface ExperimentSummary {
  experimentId: string;
  activeRuns: number;
  deletedRuns: number;
  /** Latest of the experiment's last update and its runs' start/end times (ms), or null with no runs. */
  lastActivity: number | null;
}

/** The runs a view covers: experiments, filter, lifecycle. */
export interface RunScope {
  experimentIds: string[];
  filter?: FilterNode;
  viewType: ViewType;
}

export interface RunKeys {
  params: string[];
  metrics: string[];
  tags: string[];
  /** True when a kind had more distinct keys than the limit (the lists are then cut, in key order). */
  truncated: boolean;
}

export type GroupEntity = "param" | "tag" | "attribute";
/** Attributes runs can be grouped on. */
export const GROUPABLE_ATTRIBUTES = ["status", "user_id", "experiment_id", "run_name"] as const;

export interface GroupRunsQuery extends RunScope {
  groupBy: { entity: GroupEntity; key: string };
  /** Metrics aggregated per group (their latest values). */
  metricKeys: string[];
  maxGroups: number;
}

interface MetricAggregate {
  mean: number;
  min: number;
  max: number;
  /** Runs of the group with a (non-NaN) value. */
  count: number;
}

export interface RunGroup {
  /** The group's value; null for runs without the key. */
  value: string | null;
  runCount: number;
  metrics: Record<string, MetricAggregate>;
}

export interface RunGroups {
  groups: RunGroup[];
  /** More groups exist than maxGroups (the largest are returned). */
  truncated: boolean;
}

/** A registered model version a run produced (its `run_id`). */
export interface RunModelVersion {
  runId: string;
  name: string;
  version: string;
  currentStage: string;
  status: string;
  aliases: string[];
}

/** An MLflow 3.x logged model a run produced (its `source_run_id`). */
export interface RunLoggedModel {
  runId: string;
  modelId: string;
  name: string;
  status: string;
  experimentId: string;
}

export interface RunModels {
  modelVersions: RunModelVersion[];
  loggedModels: RunLoggedModel[];
  /** More than the limit of either kind existed for these runs (the oldest are returned). */
  truncated: boolean;
}

/** A dataset used by an experiment's runs, with one context it was used in (MLflow's DatasetSummary). */
export interface DatasetSummary {
  experimentId: string;
  name: string;
  digest: string;
  /** The input's `mlflow.data.context` tag, null when it has none. */
  context: string | null;
}

export interface TrackingInsightsStore {
  /** Distinct (experiment, dataset, context) triples of the experiments' run inputs, at most `limit`. */
  datasetSummaries(experimentIds: string[], limit: number): Promise<DatasetSummary[]>;
  /** One summary per known experiment id (unknown ids are left out). */
  experimentSummaries(experimentIds: string[]): Promise<ExperimentSummary[]>;
  /** Distinct param/metric/tag keys over the scope's runs, sorted, at most `limit` of each kind. */
  runKeys(scope: RunScope, limit: number): Promise<RunKeys>;
  countRuns(scope: RunScope): Promise<number>;
  /** Groups largest first, then by value; aggregates over each run's latest metric values. */
  groupRuns(query: GroupRunsQuery): Promise<RunGroups>;
  /**
   * The models these runs produced — registered versions (prompts left out,
   * by model name and version) and active logged models (oldest first) — at
   * most `limit` of each kind: the runs table asks for a page of runs at once.
   */
  runModels(runIds: string[], limit: number): Promise<RunModels>;
}
