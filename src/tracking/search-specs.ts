/**
 * What each search accepts: keys, aliases and value kinds (MLflow's
 * `SearchUtils` / `SearchExperimentsUtils` rules).
 * @module
 */
import type { SearchSpec } from "../shared/filter/filter-ast.js";

export const RUN_SEARCH_SPEC: SearchSpec = {
  noun: "run",
  attributes: {
    run_id: "string",
    run_name: "string",
    status: "string",
    user_id: "string",
    artifact_uri: "string",
    lifecycle_stage: "string",
    start_time: "number",
    end_time: "number",
  },
  attributeAliases: {
    run_uuid: "run_id",
    created: "start_time",
    Created: "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
  },
  entities: ["metric", "param", "tag", "dataset"],
  datasetKeys: ["name", "digest", "context"],
  // `experiment_id` may be ordered on but not filtered (MLflow's orderable set).
  orderableAttributes: [
    "run_id",
    "run_name",
    "status",
    "user_id",
    "artifact_uri",
    "lifecycle_stage",
    "start_time",
    "end_time",
    "experiment_id",
  ],
};

export const EXPERIMENT_SEARCH_SPEC: SearchSpec = {
  noun: "experiment",
  // MLflow compat: experiment_id may be ordered on but not filtered (SearchExperimentsUtils).
  attributes: {
    name: "string",
    creation_time: "number",
    last_update_time: "number",
  },
  entities: ["tag"],
  orderableAttributes: ["name", "experiment_id", "creation_time", "last_update_time"],
};
