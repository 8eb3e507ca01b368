/**
 * The job runner's API on the wire (`/api/ciclo/v1/jobs…`, ciclo's own),
 * snake_case like the MLflow routes. The server validates and serialises
 * with these schemas; the SDK reads its types from them.
 * @module
 */
import Type, { type Static } from "typebox";

export const WireJob = Type.Object({
  job_id: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  /** queued, running, succeeded, failed or cancelled. */
  state: Type.String(),
  priority: Type.Integer(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  /** Epoch ms before which the job is not started. */
  run_after: Type.Number(),
  idempotency_key: Type.Optional(Type.String()),
  schedule: Type.Optional(Type.String()),
  /** The only worker that may run the job, when it is pinned. */
  pinned_to: Type.Optional(Type.String()),
  lease_owner: Type.Optional(Type.String()),
  lease_expires_at: Type.Optional(Type.Number()),
  cancel_requested: Type.Boolean(),
  progress: Type.Optional(Type.Number()),
  progress_message: Type.Optional(Type.String()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  log_count: Type.Integer(),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  started_at: Type.Optional(Type.Number()),
  finished_at: Type.Optional(Type.Number()),
});
export type WireJob = Static<typeof WireJob>;

export const WireJobLogLine = Type.Object({
  seq: Type.Integer(),
  time: Type.Number(),
  attempt: Type.Integer(),
  level: Type.String(),
  message: Type.String(),
});
export type WireJobLogLine = Static<typeof WireJobLogLine>;

export const WireJobSchedule = Type.Object({
  name: Type.String(),
  type: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  next_run_at: Type.Number(),
  last_run_at: Type.Optional(Type.Number()),
  last_job_id: Type.Optional(Type.String()),
});
export type WireJobSchedule = Static<typeof WireJobSchedule>;

const StringOrList = Type.Union([Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 }), Type.String({ maxLength: 200 })]);

export const ListJobsQuery = Type.Object({
  /** One state or several (repeated `state=`, or comma-separated). */
  state: Type.Optional(StringOrList),
  type: Type.Optional(StringOrList),
  /** Types to leave out (repeated or comma-separated): `ciclo jobs list` hides the every-minute ticks with it. */
  exclude_type: Type.Optional(StringOrList),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  page_token: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type ListJobsQuery = Static<typeof ListJobsQuery>;

export const ListJobsResponse = Type.Object({ jobs: Type.Array(WireJob), next_page_token: Type.Optional(Type.String()) });
export type ListJobsResponse = Static<typeof ListJobsResponse>;

export const JobIdParams = Type.Object({ job_id: Type.String({ minLength: 1, maxLength: 32 }) });
export const JobResponse = Type.Object({ job: WireJob });
export type JobResponse = Static<typeof JobResponse>;

export const JobLogsQuery = Type.Object({
  /** Lines after this sequence number (0: from the first). */
  after_seq: Type.Optional(Type.Integer({ minimum: 0 })),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  /** Follow: wait up to this long (ms) for a new line while the job is unfinished. */
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
});
export type JobLogsQuery = Static<typeof JobLogsQuery>;

export const JobLogsResponse = Type.Object({
  lines: Type.Array(WireJobLogLine),
  /** Pass as `after_seq` for the next page. */
  next_seq: Type.Integer(),
  /** The job's state when the lines were read: a follower stops once it is finished and no line is left. */
  job_state: Type.String(),
});
export type JobLogsResponse = Static<typeof JobLogsResponse>;

export const ListSchedulesResponse = Type.Object({ schedules: Type.Array(WireJobSchedule) });
export type ListSchedulesResponse = Static<typeof ListSchedulesResponse>;
