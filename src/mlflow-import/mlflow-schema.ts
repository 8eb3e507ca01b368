/**
 * The tables of MLflow's SQL tracking and registry stores that the importer
 * reads (MLflow's dbmodels/models.py under `mlflow/store/tracking` and `mlflow/store/model_registry`), as Kysely types.
 * Columns added by later revisions are optional here and read only when the
 * revision has them (alembic-revisions.ts).
 * @module
 */
export interface MlflowDb {
  alembic_version: { version_num: string };
  experiments: {
    experiment_id: number;
    name: string;
    artifact_location: string | null;
    lifecycle_stage: string | null;
    creation_time: number | null;
    last_update_time: number | null;
  };
  experiment_tags: { key: string; value: string | null; experiment_id: number };
  runs: {
    run_uuid: string;
    name: string | null;
    user_id: string | null;
    status: string | null;
    start_time: number | null;
    end_time: number | null;
    deleted_time: number | null;
    lifecycle_stage: string | null;
    artifact_uri: string | null;
    experiment_id: number;
  };
  tags: { key: string; value: string | null; run_uuid: string };
  params: { key: string; value: string; run_uuid: string };
  metrics: { key: string; value: number; timestamp: number; step: number; is_nan: number | boolean; run_uuid: string };
  datasets: {
    dataset_uuid: string;
    experiment_id: number;
    name: string;
    digest: string;
    dataset_source_type: string;
    dataset_source: string;
    dataset_schema: string | null;
    dataset_profile: string | null;
  };
  inputs: { input_uuid: string; source_type: string; source_id: string; destination_type: string; destination_id: string; step?: number };
  input_tags: { input_uuid: string; name: string; value: string };
  logged_models: {
    model_id: string;
    experiment_id: number;
    name: string;
    artifact_location: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    status: number;
    lifecycle_stage: string | null;
    model_type: string | null;
    source_run_id: string | null;
    status_message: string | null;
  };
  logged_model_params: { model_id: string; experiment_id: number; param_key: string; param_value: string };
  logged_model_tags: { model_id: string; experiment_id: number; tag_key: string; tag_value: string };
  logged_model_metrics: {
    model_id: string;
    metric_name: string;
    metric_timestamp_ms: number;
    metric_step: number;
    metric_value: number | null;
    experiment_id: number;
    run_id: string;
    dataset_uuid: string | null;
    dataset_name: string | null;
    dataset_digest: string | null;
  };
  registered_models: { name: string; creation_time: number | null; last_updated_time: number | null; description: string | null };
  registered_model_tags: { key: string; value: string | null; name: string };
  registered_model_aliases: { alias: string; version: number; name: string };
  model_versions: {
    name: string;
    version: number;
    creation_time: number | null;
    last_updated_time: number | null;
    description: string | null;
    user_id: string | null;
    current_stage: string | null;
    source: string | null;
    storage_location?: string | null;
    run_id: string | null;
    run_link: string | null;
    status: string | null;
    status_message: string | null;
  };
  model_version_tags: { key: string; value: string | null; name: string; version: number };
}
