/**
 * The seam between the model registry and MLflow 3.x logged models. A model
 * version created with `{"source": "models:/<model_id>", "model_id": ...}`
 * takes its `run_id` from the logged model, get-download-uri answers the
 * logged model's artifact URI, and (when the implementation supports it) the
 * registration is recorded on the logged model's `mlflow.modelVersions` tag.
 * The registry depends only on this interface; `logged-models/` implements
 * it over its store. Without it, such sources are refused.
 * @module
 */

/** What the registry needs to know about a logged model. */
export interface LoggedModelRef {
  modelId: string;
  experimentId: string;
  /** The run that logged the model; null when it was created outside a run. */
  sourceRunId: string | null;
  /** `<experiment artifact location>/models/<model_id>/artifacts`. */
  artifactUri: string;
}

export interface LoggedModelLookup {
  /** The logged model, or undefined when it does not exist (or was deleted). */
  get(modelId: string): Promise<LoggedModelRef | undefined>;
  /**
   * Appends `{"name": name, "version": version}` to the logged model's
   * `mlflow.modelVersions` tag, as MLflow's server does after creating a
   * model version from a logged model. Called once the version exists.
   */
  recordModelVersion?(modelId: string, name: string, version: string): Promise<void>;
}
