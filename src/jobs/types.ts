/**
 * Jobs, their log lines and schedules, and the events of the event stream:
 * the domain types of `src/jobs/` (plain data, no HTTP, no SQL).
 * @module
 */

/** queued → running → succeeded | failed | cancelled; a failed attempt with attempts left goes back to queued. */
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const JOB_STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];
/** States a job never leaves by itself (only `retry` moves it on). */
export const FINISHED_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled"];

export const JOB_LIMITS = {
  /** Serialized JSON payload, bytes. */
  payloadBytes: 64 * 1024,
  /** Serialized JSON result, bytes. */
  resultBytes: 64 * 1024,
  /** One log line, characters (longer lines are cut). */
  logLineChars: 4096,
  /** Log lines kept per job; later lines are dropped and one line says so. */
  logLines: 10_000,
  typeChars: 200,
  idempotencyKeyChars: 256,
  /** A worker's name (what a job is pinned to). */
  workerChars: 200,
  maxAttempts: 100,
  listDefault: 100,
  listMax: 1000,
  logsDefault: 1000,
  logsMax: 5000,
} as const;

export interface Job {
  jobId: string;
  type: string;
  payload: unknown;
  state: JobState;
  /** Higher runs first among jobs that are due. */
  priority: number;
  /** Attempts started so far (a lease that expired counts as one). */
  attempts: number;
  maxAttempts: number;
  /** Epoch ms before which the job is not started (retries wait here). */
  runAfter: number;
  idempotencyKey: string | null;
  /** The schedule that enqueued the job, if one did. */
  schedule: string | null;
  /**
   * The only worker that may run the job (its `JobScheduler.self`), for work about that server's own
   * processes; null: any worker. Failed, not run elsewhere, once that worker is gone.
   */
  pinnedTo: string | null;
  /** The worker that holds the job while it runs. */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
  /** 0..1, as last reported by the handler. */
  progress: number | null;
  progressMessage: string | null;
  result: unknown;
  /** The last attempt's error. */
  error: string | null;
  logCount: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export type JobLogLevel = "info" | "warn" | "error";

export interface JobLogLine {
  seq: number;
  time: number;
  attempt: number;
  level: JobLogLevel;
  message: string;
}

export interface EnqueueJobInput {
  type: string;
  payload?: unknown;
  priority?: number;
  /** Default: the job type's, else 3. */
  maxAttempts?: number;
  /** Epoch ms; default now. */
  runAfter?: number;
  /** Enqueueing a key that exists returns the existing job instead of a second one. */
  idempotencyKey?: string;
  schedule?: string;
  /** Pins the job to one worker (see {@link Job.pinnedTo}). */
  pinnedTo?: string;
}

/** A cron schedule that enqueues a job of `type` at every tick, once across all replicas. */
export interface JobSchedule {
  name: string;
  type: string;
  /** Five fields (minute precision) or six (seconds first). */
  cron: string;
  /** IANA zone the cron fields are read in. */
  timezone: string;
  payload: unknown;
  nextRunAt: number;
  lastRunAt: number | null;
  lastJobId: string | null;
}

/** One event of the stream, from any source (the registry's audit history, published events). */
export interface StreamEvent {
  /** The outbox it was read from: `registry` or `events`. */
  source: string;
  /** Unique within its source; opaque (the cursor position). */
  position: string;
  /** e.g. `registry.model_version.created`, or a capability's own `deployments.rollout.finished`. */
  type: string;
  time: number;
  /** What the event is about, e.g. `my-model/3`. */
  subject: string | null;
  payload: Record<string, unknown>;
}

/** An event a capability publishes (inside its own write transaction, or alone). */
export interface PublishEventInput {
  type: string;
  subject?: string | null;
  payload?: Record<string, unknown>;
}
