/**
 * What registry searches accept (MLflow's `SearchModelUtils` and
 * `SearchModelVersionUtils` keys), for the shared filter parser.
 * @module
 */
import type { SearchSpec } from "../shared/filter/filter-ast.js";

export const REGISTERED_MODEL_SEARCH_SPEC: SearchSpec = {
  noun: "registered model",
  attributes: { name: "string" },
  // MLflow compat: `timestamp` is another spelling of last_updated_timestamp in order_by.
  attributeAliases: { timestamp: "last_updated_timestamp" },
  entities: ["tag"],
  inListAttributes: [],
  orderableAttributes: ["name", "last_updated_timestamp"],
};

export const MODEL_VERSION_SEARCH_SPEC: SearchSpec = {
  noun: "model version",
  attributes: { name: "string", version_number: "number", run_id: "string", source_path: "string" },
  attributeAliases: { timestamp: "last_updated_timestamp" },
  entities: ["tag"],
  // MLflow compat: IN lists only on run_id.
  inListAttributes: ["run_id"],
  orderableAttributes: ["name", "version_number", "creation_timestamp", "last_updated_timestamp"],
};
