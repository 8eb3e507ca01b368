/**
 * Table types of the SQL metadata store, shared by SQLite and PostgreSQL.
 * Integers that can exceed 2^31 (timestamps, steps) are BIGINT on PostgreSQL;
 * the PostgreSQL connection parses them back into numbers.
 * @module
 */
import type { Generated } from "kysely";
import type { EventCursorsTable, JobLogsTable, JobSchedulesTable, JobsTable, JobWorkersTable, StreamEventsTable } from "./job-tables.js";

export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  deleted_time: number | null;
}

interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  /** Internal surrogate key; the wire id is `run_uuid`. */
  id: Generated<number>;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
  deleted_time: number | null;
  /** 1 when the run was deleted by its experiment's deletion (restored with it). */
  deleted_with_experiment: number;
}

interface KeyValueTable {
  run_id: number;
  key: string;
  value: string;
}

interface MetricsTable {
  run_id: number;
  key: string;
  step: number;
  timestamp: number;
  /** 0 when `is_nan` is 1 (NaN cannot be part of a primary key). */
  value: number;
  is_nan: number;
  model_id: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

/** A series' plain points in binary (metric-chunks.ts; migration 24). */
interface MetricChunksTable {
  run_id: number;
  key: string;
  min_step: number;
  max_step: number;
  min_ts: number;
  max_ts: number;
  cnt: number;
  points: Uint8Array;
}

/** The finest level's closed summaries, packed per series, write and 16 buckets (bucket-parts.ts; migration 29). */
interface MetricBucketPartsTable {
  run_id: number;
  key: string;
  /** The buckets' window: bucket >> 4. */
  grp: number;
  data: Uint8Array;
}

/** A group commit's plain metric points, waiting to be folded into the history (metric-inbox.ts; migration 27). */
interface MetricInboxTable {
  id: Generated<number>;
  cnt: number;
  runs: Uint8Array;
  points: Uint8Array;
}

interface LatestMetricsTable {
  run_id: number;
  key: string;
  step: number;
  timestamp: number;
  /** NULL when the latest value is NaN, so that NaN sorts with NULLs (last). */
  value: number | null;
  is_nan: number;
  /**
   * The open summary bucket: points of the finest level's bucket holding `step` not yet in metric_buckets
   * (count, minimum and maximum point; see metric-buckets.ts). Empty (count 0) until points arrive there.
   */
  open_cnt: Generated<number>;
  open_min_value: number | null;
  open_min_step: Generated<number>;
  open_min_ts: Generated<number>;
  open_max_value: number | null;
  open_max_step: Generated<number>;
  open_max_ts: Generated<number>;
  /**
   * What the row's last write sent to metric_buckets instead of the open part (the part a later bucket closed, or
   * the write's points older than the open bucket), at its step; the upsert returns it. NULL when none.
   */
  closed_step: number | null;
  closed_cnt: number | null;
  closed_min_value: number | null;
  closed_min_step: number | null;
  closed_min_ts: number | null;
  closed_max_value: number | null;
  closed_max_step: number | null;
  closed_max_ts: number | null;
  /** PostgreSQL only (migration 24): a write's first point, checked by the upsert and set to NULL (metric-tail.ts: seriesUpsertGuarded); kept only by a row just inserted. */
  guard_step?: number | null;
  guard_ts?: number | null;
}

/** Multi-resolution min/max/count summaries of metric history (see metric-buckets.ts). */
interface MetricBucketsTable {
  run_id: number;
  key: string;
  level: number;
  bucket: number;
  cnt: number;
  min_value: number | null;
  min_step: number;
  min_ts: number;
  max_value: number | null;
  max_step: number;
  max_ts: number;
}

interface DatasetsTable {
  id: Generated<number>;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

interface RunInputsTable {
  run_id: number;
  dataset_id: number;
}

interface InputTagsTable {
  run_id: number;
  dataset_id: number;
  key: string;
  value: string;
}

interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** Model registry tables (migration 0004). */
export interface RegisteredModelsTable {
  id: Generated<number>;
  name: string;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  /** The number the next created version gets (never reused after a deletion). */
  next_version: Generated<number>;
}
export interface ModelVersionsTable {
  id: Generated<number>;
  registered_model_id: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  user_id: string | null;
  current_stage: string;
  source: string;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  status: string;
  status_message: string | null;
  model_id: string | null;
}
interface RegisteredModelTagsTable {
  registered_model_id: number;
  key: string;
  value: string;
}
interface ModelVersionTagsTable {
  model_version_id: number;
  key: string;
  value: string;
}
interface RegisteredModelAliasesTable {
  registered_model_id: number;
  alias: string;
  model_version_id: number;
}
/** Append-only audit history of the registry. */
interface RegistryEventsTable {
  id: Generated<number>;
  time: number;
  actor: string | null;
  registered_model_id: number;
  name: string;
  version: number | null;
  entity: string;
  action: string;
  key: string | null;
  from_value: string | null;
  to_value: string | null;
  /** Outbox order (migration 0009): the writing transaction's xid8 on PostgreSQL, 0 on SQLite. */
  tx: Generated<string | number>;
}
/** Logged-model tables (migration 0005, MLflow 3.x). */
export interface LoggedModelsTable {
  model_id: string;
  experiment_id: number;
  name: string;
  model_type: string | null;
  source_run_id: string | null;
  status: string;
  status_message: string | null;
  artifact_uri: string;
  creator: string | null;
  lifecycle_stage: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}
interface LoggedModelKeyValueTable {
  model_id: string;
  key: string;
  value: string;
}
/** `runs/outputs`: models a run produced, at a step. */
interface RunOutputsTable {
  run_id: number;
  model_id: string;
  step: number;
}
/** MLflow 3 traces (migration 0023): the trace info; spans live in the artifact store. */
interface TraceInfoTable {
  request_id: string;
  experiment_id: number;
  timestamp_ms: number;
  execution_time_ms: number | null;
  status: string;
  client_request_id: string | null;
  request_preview: string | null;
  response_preview: string | null;
}
/** A trace's tags (`trace_tags`) or request metadata (`trace_request_metadata`). */
interface TraceKeyValueTable {
  request_id: string;
  key: string;
  value: string;
}
/** MLflow 3 assessments (migration 0025): feedback and expectations on a trace; JSON in the text columns. */
interface AssessmentsTable {
  assessment_id: string;
  trace_id: string;
  name: string;
  assessment_type: string;
  value: string;
  error: string | null;
  created_timestamp: number;
  last_updated_timestamp: number;
  source_type: string;
  source_id: string | null;
  run_id: string | null;
  span_id: string | null;
  rationale: string | null;
  overrides: string | null;
  valid: number;
  assessment_metadata: string | null;
}
/** `traces/link-to-run` (migration 0025). */
interface TraceRunLinksTable {
  run_id: string;
  request_id: string;
  created_time: number;
}
/** `runs/log-inputs` models: models a run used. */
interface RunModelInputsTable {
  run_id: number;
  model_id: string;
}
export interface Database {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  params: KeyValueTable;
  tags: KeyValueTable;
  metrics: MetricsTable;
  metric_chunks: MetricChunksTable;
  metric_inbox: MetricInboxTable;
  latest_metrics: LatestMetricsTable;
  metric_buckets: MetricBucketsTable;
  metric_bucket_parts: MetricBucketPartsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
  input_tags: InputTagsTable;
  schema_migrations: SchemaMigrationsTable;
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_version_tags: ModelVersionTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
  registry_events: RegistryEventsTable;
  logged_models: LoggedModelsTable;
  logged_model_params: LoggedModelKeyValueTable;
  logged_model_tags: LoggedModelKeyValueTable;
  run_outputs: RunOutputsTable;
  run_model_inputs: RunModelInputsTable;
  trace_info: TraceInfoTable;
  trace_tags: TraceKeyValueTable;
  trace_request_metadata: TraceKeyValueTable;
  assessments: AssessmentsTable;
  trace_run_links: TraceRunLinksTable;
  jobs: JobsTable;
  job_logs: JobLogsTable;
  job_schedules: JobSchedulesTable;
  job_workers: JobWorkersTable;
  stream_events: StreamEventsTable;
  event_cursors: EventCursorsTable;
}
