/**
 * Domain types of MLflow 3.x logged models (camelCase; the wire presenter
 * turns them into MLflow's `LoggedModel` JSON). A logged model is a model
 * recorded in an experiment, with its own artifacts under
 * `<experiment artifact location>/models/<model_id>/artifacts`, params, tags
 * and the metric points logged with its `model_id`.
 * @module
 */
import type { OrderByClause } from "../shared/filter/filter-ast.js";
import type { Metric, Param } from "../tracking/index.js";
import type { Tag } from "../shared/types.js";

export const LOGGED_MODEL_STATUSES = ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/** The tag in which model-version registrations of a logged model are recorded (MLflow's name). */
export const MODEL_VERSIONS_TAG = "mlflow.modelVersions";

interface LoggedModelInfo {
  /** `m-<32 hex>`. */
  modelId: string;
  experimentId: string;
  name: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  artifactUri: string;
  status: LoggedModelStatus;
  modelType: string | null;
  sourceRunId: string | null;
  statusMessage: string | null;
  /** Who created it, when ciclo knows (authentication is a later station). */
  creator: string | null;
  lifecycleStage: "active" | "deleted";
  tags: Tag[];
}

/** A metric point linked to a logged model; `runId` is the run that logged it. */
export interface LoggedModelMetric extends Metric {
  runId: string;
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: { params: Param[]; metrics: LoggedModelMetric[] };
}


export interface CreateLoggedModelInput {
  experimentId: string;
  name: string;
  modelType: string | null;
  sourceRunId: string | null;
  params: Param[];
  tags: Tag[];
  creator?: string | null;
}

/** `datasets[]` of a search: only metrics on these datasets count. */
export interface DatasetFilter {
  datasetName: string;
  datasetDigest?: string;
}

/** An order_by entry of a logged-model search, parsed. */
export type LoggedModelOrderBy =
  | (OrderByClause & { entity: "attribute" })
  | { entity: "metric"; key: string; ascending: boolean; datasetName?: string; datasetDigest?: string };
