/**
 * Reserved `mlflow.*` tags that ciclo reads or writes (MLflow's
 * `mlflow/utils/mlflow_tags.py` names them the same).
 * @module
 */
export const RUN_NAME_TAG = "mlflow.runName";
export const USER_TAG = "mlflow.user";
export const SOURCE_NAME_TAG = "mlflow.source.name";
export const SOURCE_TYPE_TAG = "mlflow.source.type";
export const PARENT_RUN_ID_TAG = "mlflow.parentRunId";
const GIT_COMMIT_TAG = "mlflow.source.git.commit";
const GIT_BRANCH_TAG = "mlflow.source.git.branch";
const GIT_REPO_URL_TAG = "mlflow.source.git.repoURL";
const NOTE_TAG = "mlflow.note.content";
export const LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history";
export const DATASET_CONTEXT_TAG = "mlflow.data.context";
