/**
 * The logged-model metadata store (MLflow 3.x): logged models with their
 * params and tags, the metric points logged with their `model_id`, and the
 * links between runs and models (`runs/outputs`, `runs/log-inputs` models).
 * One interface, every method required; the SQL implementation serves
 * SQLite and PostgreSQL and the contract suite runs against both.
 *
 * Methods throw {@link MlflowError}s with MLflow's error codes; they never
 * know about HTTP.
 * @module
 */
import type { RunModelOutput } from "../shared/tracking-types.js";
import type {
  CreateLoggedModelInput,
  DatasetFilter,
  LoggedModel,
  LoggedModelOrderBy,
  LoggedModelStatus,
} from "./types.js";
import type { FilterNode } from "../shared/filter/filter-ast.js";
import type { Param } from "../tracking/index.js";
import type { Page, Tag } from "../shared/types.js";

export interface SearchLoggedModelsQuery {
  experimentIds: string[];
  filter?: FilterNode;
  datasets: DatasetFilter[];
  orderBy: LoggedModelOrderBy[];
  maxResults: number;
  pageToken?: string;
}

export interface LoggedModelStore {
  /**
   * Creates a PENDING logged model in an active experiment, with its artifact URI
   * `<experiment artifact location>/models/<model_id>/artifacts`.
   * RESOURCE_DOES_NOT_EXIST for an unknown experiment or source run.
   */
  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel>;
  /** RESOURCE_DOES_NOT_EXIST when unknown, or deleted unless `allowDeleted`. */
  getLoggedModel(modelId: string, opts?: { allowDeleted?: boolean }): Promise<LoggedModel>;
  /** Soft delete: the model disappears from get and search. */
  deleteLoggedModel(modelId: string): Promise<void>;
  /** Sets the status (READY or UPLOAD_FAILED after the upload) and returns the model. */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, statusMessage?: string | null): Promise<LoggedModel>;
  /** Upserts tags (the last value of a key in one call wins). */
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
  /** RESOURCE_DOES_NOT_EXIST when the model or the tag is absent. */
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  /** Params are immutable: the same value again is a no-op, another value is INVALID_PARAMETER_VALUE. */
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>;
  searchLoggedModels(query: SearchLoggedModelsQuery): Promise<Page<LoggedModel>>;
  /**
   * Appends `{"name", "version"}` to the model's `mlflow.modelVersions` tag in one
   * transaction (registration of a model version created from the logged model).
   */
  recordModelVersion(modelId: string, name: string, version: string): Promise<void>;

  /**
   * Records models a run produced (`runs/outputs`); the run must be active and the
   * models must exist. Repeats are no-ops. (A run's model inputs arrive with its
   * dataset inputs, through `TrackingStore.logInputs`.)
   */
  logOutputs(runId: string, outputs: RunModelOutput[]): Promise<void>;
}
