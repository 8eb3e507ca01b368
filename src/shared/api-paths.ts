/**
 * The HTTP APIs' prefixes, spelled once for the server, the SDK and the UI.
 * MLflow serves every REST method under two prefixes (its UI uses
 * `ajax-api`); its artifact proxy sits beside them (`/api/2.0/mlflow-artifacts`).
 * @module
 */
/** MLflow's REST API version roots. */
export const MLFLOW_API_ROOTS = ["/api/2.0", "/ajax-api/2.0"] as const;
/** MLflow's REST API (tracking, registry, logged models). */
export const MLFLOW_API = "/api/2.0/mlflow";
/** The same methods as the MLflow UI calls them. */
export const MLFLOW_AJAX_API = "/ajax-api/2.0/mlflow";
/** MLflow 3's trace methods (StartTraceV3, GetTraceInfoV3, SearchTracesV3), and as its UI calls them. */
export const MLFLOW_API_V3 = "/api/3.0/mlflow";
export const MLFLOW_AJAX_API_V3 = "/ajax-api/3.0/mlflow";
/** ciclo's own API (aggregates for the UI, history, lineage, gc, jobs, ...). */
export const CICLO_API = "/api/ciclo/v1";
