/**
 * Logged-model operations (MLflow 3.x): MLflow's validation and defaults,
 * then the store.
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../shared/errors.js";
import type { LoggedModelStore } from "./logged-model-store.js";
import { generateRunName, type Param } from "../tracking/index.js";
import { parseFilter } from "../shared/filter/filter-parser.js";
import type { Page, Tag } from "../shared/types.js";
import { validateMaxResults } from "../shared/validation.js";
import { LOGGED_MODEL_SEARCH_SPEC, parseLoggedModelOrderBy, type OrderByIn } from "./logged-model-search-spec.js";
import {
  LOGGED_MODEL_LIMITS,
  validateLoggedModelName,
  validateLoggedModelParams,
  validateLoggedModelTags,
  validateModelType,
} from "./logged-model-validation.js";
import type { DatasetFilter, LoggedModel, LoggedModelStatus } from "./types.js";
import type { RunModelOutput } from "../shared/tracking-types.js";

export interface CreateLoggedModelRequest {
  experimentId: string;
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params: Param[];
  tags: Tag[];
}

export interface SearchLoggedModelsRequest {
  experimentIds: string[];
  filter?: string;
  datasets: Array<{ dataset_name?: string; dataset_digest?: string }>;
  maxResults?: number;
  orderBy?: OrderByIn[];
  pageToken?: string;
}

export class LoggedModelService {
  constructor(private readonly store: LoggedModelStore) {}

  create(req: CreateLoggedModelRequest): Promise<LoggedModel> {
    if (!req.experimentId) throw missingValue("experiment_id");
    if (req.name) validateLoggedModelName(req.name);
    validateModelType(req.modelType ?? "");
    validateLoggedModelParams(req.params);
    validateLoggedModelTags(req.tags);
    return this.store.createLoggedModel({
      experimentId: req.experimentId,
      name: req.name || generateRunName(),
      // MLflow compat: an absent model_type or source_run_id is stored (and returned) as "".
      modelType: req.modelType ?? "",
      sourceRunId: req.sourceRunId ?? "",
      params: req.params,
      tags: req.tags,
    });
  }

  get(modelId: string, allowDeleted = false): Promise<LoggedModel> {
    return this.store.getLoggedModel(modelId, { allowDeleted });
  }

  delete(modelId: string): Promise<void> {
    return this.store.deleteLoggedModel(modelId);
  }

  finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.store.finalizeLoggedModel(modelId, status);
  }

  setTags(modelId: string, tags: Tag[]): Promise<void> {
    validateLoggedModelTags(tags);
    return this.store.setLoggedModelTags(modelId, tags);
  }

  deleteTag(modelId: string, key: string): Promise<void> {
    return this.store.deleteLoggedModelTag(modelId, key);
  }

  logParams(modelId: string, params: Param[]): Promise<void> {
    validateLoggedModelParams(params);
    return this.store.logLoggedModelParams(modelId, params);
  }

  search(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>> {
    if (req.experimentIds.length === 0) throw missingValue("experiment_ids");
    // MLflow compat: max_results 0 (proto's unset value) means the default.
    const maxResults = req.maxResults || LOGGED_MODEL_LIMITS.searchMaxResults;
    validateMaxResults(maxResults, LOGGED_MODEL_LIMITS.searchMaxResults);
    const datasets: DatasetFilter[] = req.datasets.map((d) => {
      if (!d.dataset_name) {
        throw new InvalidParameterValueError("`dataset_name` in the `datasets` clause must be specified.");
      }
      return d.dataset_digest ? { datasetName: d.dataset_name, datasetDigest: d.dataset_digest } : { datasetName: d.dataset_name };
    });
    return this.store.searchLoggedModels({
      experimentIds: req.experimentIds,
      filter: parseFilter(req.filter, LOGGED_MODEL_SEARCH_SPEC),
      datasets,
      orderBy: parseLoggedModelOrderBy(req.orderBy),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }

  logOutputs(runId: string, outputs: RunModelOutput[]): Promise<void> {
    if (outputs.length > LOGGED_MODEL_LIMITS.entriesPerRequest) {
      throw new InvalidParameterValueError(
        `A runs/outputs request can contain at most ${LOGGED_MODEL_LIMITS.entriesPerRequest} models. Got ${outputs.length}.`,
      );
    }
    outputs.forEach((o, i) => {
      if (!o.modelId) throw missingValue(`models[${i}].model_id`);
      if (!Number.isSafeInteger(o.step)) {
        throw new InvalidParameterValueError(`Invalid value ${o.step} for parameter 'models[${i}].step' supplied.`);
      }
    });
    return this.store.logOutputs(runId, outputs);
  }
}
