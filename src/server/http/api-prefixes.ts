/**
 * Where each API is mounted. Modules register routes against an API's name
 * (`ctx.http.register("mlflow", plugin, opts)`), never against a spelled prefix.
 * @module
 */
import { CICLO_API, MLFLOW_AJAX_API, MLFLOW_AJAX_API_V3, MLFLOW_API, MLFLOW_API_ROOTS, MLFLOW_API_V3 } from "../../shared/api-paths.js";

export const API_PREFIXES = {
  /** MLflow's REST methods, under both of MLflow's prefixes. */
  mlflow: [MLFLOW_API, MLFLOW_AJAX_API],
  /** MLflow 3's methods served only under the 3.0 version (the trace API). */
  "mlflow-v3": [MLFLOW_API_V3, MLFLOW_AJAX_API_V3],
  /** MLflow's version roots, for the artifact proxy (`/mlflow-artifacts/...`) and run artifact lists. */
  "mlflow-roots": [...MLFLOW_API_ROOTS],
  /** ciclo's own API. */
  ciclo: [CICLO_API],
  /** The server's root (`/get-artifact`, `/health`). */
  root: [""],
} as const satisfies Record<string, readonly string[]>;

export type ApiName = keyof typeof API_PREFIXES;
