/**
 * Domain types of MLflow 3.x logged models (camelCase; the wire presenter
 * turns them into MLflow's `LoggedModel` JSON). A logged model is a model
 * recorded in an experiment, with its own artifacts under
 * `<experiment artifact location>/models/<model_id>/artifacts`, params, tags
 * and the metric points logged with its `model_id`.
 * @module
 */
import type { OrderByClause } from "../shared/filter/filter-ast.js";
import type { Param } from "../tracking/index.js";
import type { Tag } from "../shared/types.js";

import type { LoggedModel as WireLoggedModelData, LoggedModelInfo } from "../shared/logged-model-types.js";

export { LOGGED_MODEL_STATUSES, MODEL_VERSIONS_TAG } from "../shared/logged-model-types.js";
export type { LoggedModelMetric, LoggedModelStatus } from "../shared/logged-model-types.js";

/** A logged model as the store holds it: what the wire carries, plus who created it and whether it is deleted. */
interface StoredLoggedModelInfo extends LoggedModelInfo {
  /** Who created it, when ciclo knows (authentication is a later station). */
  creator: string | null;
  lifecycleStage: "active" | "deleted";
}

export type LoggedModel = WireLoggedModelData<StoredLoggedModelInfo>;

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
