/**
 * What a logged-model search accepts (MLflow's `search_logged_model_utils`):
 * attributes of the model, `params.*`, `tags.*` and `metrics.*` in filters;
 * attributes or `metrics.<name>` in order_by objects.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { SearchSpec } from "../shared/filter/filter-ast.js";
import type { LoggedModelOrderBy } from "./types.js";

export const LOGGED_MODEL_SEARCH_SPEC: SearchSpec = {
  noun: "logged model",
  attributes: {
    model_id: "string",
    name: "string",
    model_type: "string",
    status: "string",
    source_run_id: "string",
    artifact_uri: "string",
    creation_timestamp_ms: "number",
    last_updated_timestamp_ms: "number",
  },
  // MLflow's SqlLoggedModel.ALIASES, plus its column name for the artifact URI.
  attributeAliases: {
    creation_time: "creation_timestamp_ms",
    creation_timestamp: "creation_timestamp_ms",
    last_updated_timestamp: "last_updated_timestamp_ms",
    artifact_location: "artifact_uri",
  },
  entities: ["metric", "param", "tag"],
  inListAttributes: ["model_id", "name", "model_type", "status", "source_run_id"],
  orderableAttributes: [
    "model_id",
    "name",
    "model_type",
    "status",
    "source_run_id",
    "artifact_uri",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "experiment_id",
  ],
};

/** One `order_by` object of `logged-models/search` as it arrives. */
export interface OrderByIn {
  field_name?: string;
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

/** Parses order_by objects: an attribute (aliases allowed) or `metrics.<name>`. */
export function parseLoggedModelOrderBy(list: OrderByIn[] | undefined): LoggedModelOrderBy[] {
  const seen = new Set<string>();
  return (list ?? []).map((o) => {
    const field = o.field_name ?? "";
    const ascending = o.ascending ?? true;
    let parsed: LoggedModelOrderBy;
    const dot = field.indexOf(".");
    if (dot >= 0) {
      const entity = field.slice(0, dot);
      const key = field.slice(dot + 1).replace(/^`(.*)`$/s, "$1");
      if ((entity !== "metrics" && entity !== "metric") || key === "") {
        throw new InvalidParameterValueError(`Invalid order by field name: ${field}. Only metrics are supported.`);
      }
      parsed = { entity: "metric", key, ascending };
      if (o.dataset_name) parsed.datasetName = o.dataset_name;
      if (o.dataset_digest) parsed.datasetDigest = o.dataset_digest;
    } else {
      const aliases = LOGGED_MODEL_SEARCH_SPEC.attributeAliases!;
      const key = Object.hasOwn(aliases, field) ? aliases[field] : field;
      if (!LOGGED_MODEL_SEARCH_SPEC.orderableAttributes!.includes(key)) {
        throw new InvalidParameterValueError(`Invalid order by field name: ${field}`);
      }
      parsed = { entity: "attribute", key, ascending };
    }
    const id = JSON.stringify([parsed.entity, parsed.key, o.dataset_name ?? "", o.dataset_digest ?? ""]);
    if (seen.has(id)) throw new InvalidParameterValueError(`order_by contains the field '${field}' twice.`);
    seen.add(id);
    return parsed;
  });
}
