/**
 * The UI's views over many runs: experiment summaries, the keys a column
 * chooser offers, counts and group-by aggregates. Validates input, parses the
 * MLflow filter (so errors read exactly like runs/search's) and asks the
 * {@link TrackingInsightsStore}; no HTTP here.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import {
  GROUPABLE_ATTRIBUTES,
  type DatasetSummary,
  type ExperimentSummary,
  type GroupEntity,
  type RunGroups,
  type RunKeys,
  type RunModels,
  type RunScope,
  type TrackingInsightsStore,
} from "./tracking-insights-store.js";
import { parseFilter } from "../shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "./search-specs.js";
import type { ViewType } from "../shared/types.js";

export const MAX_SCOPE_EXPERIMENTS = 100;
/** MLflow's caps for search-datasets. */
const MAX_DATASET_EXPERIMENTS = 20;
const MAX_DATASET_SUMMARIES = 1000;
/** Run ids as MLflow makes them (32 hex digits) and as clients may pass them; anything else is refused, never queried. */
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_SUMMARY_EXPERIMENTS = 1000;
export const DEFAULT_KEY_LIMIT = 5000;
export const MAX_KEY_LIMIT = 20_000;
export const MAX_GROUPS = 1000;
export const MAX_GROUP_METRICS = 100;
/** Runs per `runs/models` request: a page of the runs table (200) with room to spare. */
export const MAX_MODEL_RUNS = 1000;
/** Model versions, and logged models, listed at most per `runs/models` answer. */
export const RUN_MODELS_LIMIT = 5000;

export interface RunScopeRequest {
  experimentIds: string[];
  filter?: string;
  viewType?: ViewType;
}

export interface GroupRunsRequest extends RunScopeRequest {
  groupBy: string;
  metricKeys?: string[];
  maxGroups?: number;
}

const GROUP_PREFIXES: Record<string, GroupEntity> = {
  param: "param",
  params: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
};

/** `params.lr`, `tags.team`, `attributes.status` → entity and key (keys may contain dots). */
function parseGroupBy(text: string): { entity: GroupEntity; key: string } {
  const dot = text.indexOf(".");
  const entity = dot > 0 ? GROUP_PREFIXES[text.slice(0, dot)] : undefined;
  const key = dot > 0 ? text.slice(dot + 1) : "";
  if (!entity || key === "") {
    throw new InvalidParameterValueError(
      `Invalid group_by '${text}': expected params.<key>, tags.<key> or attributes.<${GROUPABLE_ATTRIBUTES.join("|")}>.`,
    );
  }
  if (entity === "attribute" && !(GROUPABLE_ATTRIBUTES as readonly string[]).includes(key)) {
    throw new InvalidParameterValueError(
      `Invalid group_by '${text}': runs can be grouped on the attributes ${GROUPABLE_ATTRIBUTES.join(", ")}.`,
    );
  }
  return { entity, key };
}

function bounded(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new InvalidParameterValueError(`Invalid value ${value} for parameter '${name}': expected 1 to ${max}.`);
  }
  return v;
}

export class RunInsightsService {
  constructor(private readonly store: TrackingInsightsStore) {}

  scope(req: RunScopeRequest): RunScope {
    if (req.experimentIds.length === 0) throw new InvalidParameterValueError("experiment_ids must name at least one experiment.");
    if (req.experimentIds.length > MAX_SCOPE_EXPERIMENTS) {
      throw new InvalidParameterValueError(`At most ${MAX_SCOPE_EXPERIMENTS} experiment_ids per request; got ${req.experimentIds.length}.`);
    }
    return {
      experimentIds: req.experimentIds,
      filter: parseFilter(req.filter, RUN_SEARCH_SPEC),
      viewType: req.viewType ?? "ACTIVE_ONLY",
    };
  }

  /**
   * MLflow's `experiments/search-datasets` (the UI's dataset filter): its limits and wording, 1,000 summaries
   * at most. Ids come from a JSON body as the client wrote them; anything but a list of ids finds nothing.
   */
  searchDatasets(experimentIds: unknown): Promise<DatasetSummary[]> {
    const ids = Array.isArray(experimentIds) ? experimentIds : [];
    if (ids.length === 0 || !experimentIds) {
      throw new InvalidParameterValueError("SearchDatasets request must specify at least one experiment_id.");
    }
    if (ids.length > MAX_DATASET_EXPERIMENTS) {
      throw new InvalidParameterValueError(
        `SearchDatasets request cannot specify more than ${MAX_DATASET_EXPERIMENTS} experiment_ids. Received ${ids.length} experiment_ids.`,
      );
    }
    return this.store.datasetSummaries(ids.map(String), MAX_DATASET_SUMMARIES);
  }

  experimentSummaries(experimentIds: string[]): Promise<ExperimentSummary[]> {
    if (experimentIds.length > MAX_SUMMARY_EXPERIMENTS) {
      throw new InvalidParameterValueError(`At most ${MAX_SUMMARY_EXPERIMENTS} experiment_ids per request; got ${experimentIds.length}.`);
    }
    return this.store.experimentSummaries(experimentIds);
  }

  runKeys(req: RunScopeRequest & { limit?: number }): Promise<RunKeys> {
    return this.store.runKeys(this.scope(req), bounded("max_results", req.limit, DEFAULT_KEY_LIMIT, MAX_KEY_LIMIT));
  }

  countRuns(req: RunScopeRequest): Promise<number> {
    return this.store.countRuns(this.scope(req));
  }

  groupRuns(req: GroupRunsRequest): Promise<RunGroups> {
    const metricKeys = [...new Set(req.metricKeys ?? [])];
    if (metricKeys.length > MAX_GROUP_METRICS) {
      throw new InvalidParameterValueError(`At most ${MAX_GROUP_METRICS} metric_keys per request; got ${metricKeys.length}.`);
    }
    return this.store.groupRuns({
      ...this.scope(req),
      groupBy: parseGroupBy(req.groupBy),
      metricKeys,
      maxGroups: bounded("max_groups", req.maxGroups, 200, MAX_GROUPS),
    });
  }

  /** The models a page of runs produced (registered versions and logged models), for the runs table and the run page. */
  runModels(runIds: string[]): Promise<RunModels> {
    if (runIds.length > MAX_MODEL_RUNS) {
      throw new InvalidParameterValueError(`At most ${MAX_MODEL_RUNS} run_ids per request; got ${runIds.length}.`);
    }
    const bad = runIds.find((id) => !RUN_ID.test(id));
    if (bad !== undefined) throw new InvalidParameterValueError(`Invalid run id '${bad.slice(0, 64)}'.`);
    return this.store.runModels(runIds, RUN_MODELS_LIMIT);
  }
}
