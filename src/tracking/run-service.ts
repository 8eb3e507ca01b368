/**
 * Run operations: MLflow's validation and defaults, then the store.
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../shared/errors.js";
import type { LogBatchInput, TrackingStore } from "./tracking-store.js";
import { generateRunName } from "./run-names.js";
import { parseFilter, parseOrderBy } from "../shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "./search-specs.js";
import { LOG_MODEL_HISTORY_TAG, RUN_NAME_TAG, USER_TAG } from "../shared/system-tags.js";
import type { DatasetInput, Metric, Param, Run, RunInfo, RunModelInput, RunStatus } from "../shared/tracking-types.js";
import type { Page, Tag, ViewType } from "../shared/types.js";
import { LIMITS, validateBatchLimits, validateDatasetInputs, validateMetric, validateParam, validateTag } from "./validation.js";
import { validateLength, validateMaxResults, validateParamKeysUnique } from "../shared/validation.js";

export interface CreateRunRequest {
  experimentId?: string;
  userId?: string;
  runName?: string;
  startTime?: number;
  tags: Tag[];
}

export interface SearchRunsRequest {
  experimentIds: string[];
  filter?: string;
  viewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export class RunService {
  constructor(
    private readonly store: TrackingStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(req: CreateRunRequest): Promise<Run> {
    req.tags.forEach(validateTag);
    const tagName = req.tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (req.runName && tagName !== undefined && req.runName !== tagName) {
      throw new InvalidParameterValueError(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
          `(run_name='${req.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = req.runName || tagName || generateRunName();
    validateLength("Run name", LIMITS.runNameLength, runName);
    const tags = tagName === undefined ? [...req.tags, { key: RUN_NAME_TAG, value: runName }] : req.tags;
    const userId = req.userId || req.tags.find((t) => t.key === USER_TAG)?.value || "";
    validateLength("User id", LIMITS.userIdLength, userId);
    return this.store.createRun({
      experimentId: req.experimentId || "0",
      userId,
      runName,
      startTime: req.startTime ?? this.now(),
      tags,
    });
  }

  get(runId: string): Promise<Run> {
    return this.store.getRun(runId);
  }

  update(runId: string, input: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    if (input.runName) validateLength("Run name", LIMITS.runNameLength, input.runName);
    return this.store.updateRun(runId, input);
  }

  delete(runId: string): Promise<void> {
    return this.store.deleteRun(runId);
  }

  restore(runId: string): Promise<void> {
    return this.store.restoreRun(runId);
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    validateMetric(metric);
    return this.store.logBatch(runId, { metrics: [metric], params: [], tags: [] });
  }

  logParam(runId: string, param: Param): Promise<void> {
    validateParam(param);
    return this.store.logBatch(runId, { metrics: [], params: [param], tags: [] });
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    validateTag(tag);
    return this.store.logBatch(runId, { metrics: [], params: [], tags: [tag] });
  }

  /** Writes a tag ciclo maintains itself (no user-facing value limit). */
  setSystemTag(runId: string, tag: Tag): Promise<void> {
    return this.store.logBatch(runId, { metrics: [], params: [], tags: [tag] });
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return this.store.deleteTag(runId, key);
  }

  /** Validates the whole batch before writing any of it (MLflow writes partially; ciclo does not). */
  logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    validateBatchLimits(batch.metrics.length, batch.params.length, batch.tags.length);
    // A batch repeats few metric names many times: check each name once.
    const checkedNames = new Set<string>();
    for (const m of batch.metrics) {
      const checked = checkedNames.has(m.key);
      validateMetric(m, checked);
      if (!checked) checkedNames.add(m.key);
    }
    batch.params.forEach(validateParam);
    batch.tags.forEach(validateTag);
    validateParamKeysUnique(batch.params);
    return this.store.logBatch(runId, batch);
  }

  /** Dataset inputs and (MLflow 3.x) logged-model inputs, written together. */
  logInputs(runId: string, datasets: DatasetInput[], models: RunModelInput[] = []): Promise<void> {
    validateDatasetInputs(datasets);
    if (models.length > LIMITS.datasetsPerBatch) {
      throw new InvalidParameterValueError(
        `A batch logging request can contain at most ${LIMITS.datasetsPerBatch} models. Got ${models.length} models.`,
      );
    }
    models.forEach((m, i) => {
      if (!m.modelId) throw missingValue(`models[${i}].model_id`);
    });
    return this.store.logInputs(runId, datasets, models);
  }

  search(req: SearchRunsRequest): Promise<Page<Run>> {
    const maxResults = req.maxResults ?? 1000;
    validateMaxResults(maxResults);
    return this.store.searchRuns({
      experimentIds: req.experimentIds,
      filter: parseFilter(req.filter, RUN_SEARCH_SPEC),
      viewType: req.viewType ?? "ACTIVE_ONLY",
      orderBy: parseOrderBy(req.orderBy, RUN_SEARCH_SPEC),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }
}

const MODEL_JSON_FIELDS = ["artifact_path", "flavors", "utc_time_created", "run_id"];

/**
 * MLflow 2.x `log-model`: validates the MLmodel JSON and appends it to the
 * run's `mlflow.log-model.history` tag.
 */
export async function appendLoggedModel(service: RunService, runId: string, modelJson: string): Promise<void> {
  let model: Record<string, unknown>;
  try {
    model = JSON.parse(modelJson) as Record<string, unknown>;
    if (model === null || typeof model !== "object" || Array.isArray(model)) throw new Error("not an object");
  } catch {
    throw new InvalidParameterValueError(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
  }
  const missing = MODEL_JSON_FIELDS.filter((f) => !(f in model));
  if (missing.length > 0) {
    throw new InvalidParameterValueError(`Model json is missing mandatory fields: {${missing.map((m) => `'${m}'`).join(", ")}}`);
  }
  const run = await service.get(runId);
  const current = run.data.tags.find((t) => t.key === LOG_MODEL_HISTORY_TAG)?.value;
  let history: unknown[] = [];
  if (current) {
    try {
      const parsed = JSON.parse(current) as unknown;
      if (Array.isArray(parsed)) history = parsed;
    } catch {
      history = [];
    }
  }
  history.push(model);
  await service.setSystemTag(runId, { key: LOG_MODEL_HISTORY_TAG, value: JSON.stringify(history) });
}
