/**
 * MLflow 3.x logged models as plain data (camelCase): what the wire carries,
 * shared by the server's presenter and the SDK through one codec
 * (shared/wire/logged-model-codec.ts). The store's own shape
 * (logged-models/types.ts) adds the creator and lifecycle stage.
 * @module
 */
import type { Metric, Param } from "./tracking-types.js";
import type { Tag } from "./types.js";

export const LOGGED_MODEL_STATUSES = ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/** The tag in which model-version registrations of a logged model are recorded (MLflow's name). */
export const MODEL_VERSIONS_TAG = "mlflow.modelVersions";

export interface LoggedModelInfo {
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
  tags: Tag[];
}

/** A metric point linked to a logged model; `runId` is the run that logged it. */
export interface LoggedModelMetric extends Metric {
  runId: string;
}

export interface LoggedModel<I extends LoggedModelInfo = LoggedModelInfo> {
  info: I;
  data: { params: Param[]; metrics: LoggedModelMetric[] };
}
