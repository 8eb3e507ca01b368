/**
 * What the job runner needs from the metadata store. One interface, every
 * method required; the SQL implementation (`store/sql/jobs/`) serves SQLite
 * and PostgreSQL, and `store/contract/job-store.contract.ts` holds both to it.
 * Times are passed in (epoch ms) so that tests drive the clock.
 * @module
 */
import type { Page } from "../shared/types.js";
import type { EnqueueJobInput, Job, JobLogLevel, JobLogLine, JobSchedule, JobState, PublishEventInput, StreamEvent } from "./types.js";

/** Which attempt of which job a worker holds; every write of a running job names it. */
export interface JobLease {
  jobId: string;
  owner: string;
  attempt: number;
}

export interface NewLogLine {
  time: number;
  level: JobLogLevel;
  message: string;
}

/** What a worker reports while it holds a job (written with each heartbeat). */
export interface LeaseReport {
  progress?: number;
  progressMessage?: string;
  logs?: NewLogLine[];
}

export interface HeartbeatResult {
  /** False when the lease was lost (expired and taken, or the job was retried): stop working on it. */
  held: boolean;
  cancelRequested: boolean;
}

export interface JobQuery {
  states?: JobState[];
  types?: string[];
  excludeTypes?: string[];
  maxResults: number;
  pageToken?: string;
}

export interface ScheduleInput {
  name: string;
  type: string;
  cron: string;
  timezone: string;
  payload: unknown;
  /** The first tick after now, computed by the caller from `cron`. */
  nextRunAt: number;
}

export interface JobStore {
  /** Adds a queued job; with an idempotency key that exists, returns that job and `created: false`. */
  enqueue(input: EnqueueJobInput & { maxAttempts: number }, now: number): Promise<{ job: Job; created: boolean }>;
  /** RESOURCE_DOES_NOT_EXIST for an unknown id. */
  getJob(jobId: string): Promise<Job>;
  /** Newest first; filters combine with AND. */
  listJobs(query: JobQuery): Promise<Page<Job>>;
  /**
   * Leases up to `limit` due jobs of `types` to `owner`: queued jobs whose
   * `runAfter` has passed, and running jobs whose lease expired (their worker
   * died). Each leased job's attempts grow by one. A job whose lease expired
   * on its last attempt is failed instead. A job pinned to a worker is leased
   * only by that worker (`owner`); a queued one whose worker is gone (its
   * announcement missing or expired) is failed. On PostgreSQL concurrent
   * callers never lease the same job (`FOR UPDATE SKIP LOCKED`).
   */
  lease(q: { owner: string; types: string[]; limit: number; leaseMs: number; now: number }): Promise<Job[]>;
  /** A worker is alive until `until` (renewed while it runs); what is pinned to it waits for it. */
  announceWorker(worker: string, until: number, now: number): Promise<void>;
  /** The worker stopped: jobs pinned to it are orphans from now on. */
  retireWorker(worker: string): Promise<void>;
  /** Extends the lease and stores the report; `held: false` if the lease is no longer this worker's. */
  heartbeat(lease: JobLease, report: LeaseReport, leaseMs: number, now: number): Promise<HeartbeatResult>;
  /** running → succeeded with `result`. False if the lease was lost (nothing changes). */
  complete(lease: JobLease, result: unknown, report: LeaseReport, now: number): Promise<boolean>;
  /**
   * Records a failed attempt: back to queued at `retryAt`, or failed when
   * `retryAt` is null. Resolves with the new state, or undefined if the lease was lost.
   */
  fail(lease: JobLease, error: string, retryAt: number | null, report: LeaseReport, now: number): Promise<JobState | undefined>;
  /** running → cancelled (the handler stopped after a cancel request). */
  markCancelled(lease: JobLease, report: LeaseReport, now: number): Promise<boolean>;
  /** Gives a running job back (graceful shutdown): queued again, the attempt not counted. */
  release(lease: JobLease, report: LeaseReport, now: number): Promise<boolean>;
  /**
   * A queued job becomes cancelled at once (it never starts); a running job
   * gets `cancelRequested` (its handler's AbortSignal fires at the next
   * heartbeat). INVALID_STATE for a finished job.
   */
  cancel(jobId: string, now: number): Promise<Job>;
  /** A failed or cancelled job is queued again with its attempts reset. INVALID_STATE otherwise. */
  retry(jobId: string, now: number): Promise<Job>;
  /** Log lines after `afterSeq`, oldest first. RESOURCE_DOES_NOT_EXIST for an unknown job. */
  readLogs(jobId: string, afterSeq: number, maxResults: number): Promise<JobLogLine[]>;
  /** Deletes finished jobs (and their logs) that finished before `before`; resolves with the count. */
  purgeFinished(before: number): Promise<number>;

  /** Creates or updates a schedule; `nextRunAt` is kept unless the cron or zone changed. */
  upsertSchedule(input: ScheduleInput, now: number): Promise<JobSchedule>;
  deleteSchedule(name: string): Promise<void>;
  listSchedules(): Promise<JobSchedule[]>;
  /**
   * Fires one tick: if the schedule's next run is still `due` (no replica
   * fired it yet), moves it to `next` and enqueues its job in the same
   * transaction. Resolves with the job, or undefined when another replica won.
   */
  fireSchedule(name: string, due: number, next: number, maxAttempts: number, now: number): Promise<Job | undefined>;
}

/** Durable, at-least-once delivery of the event stream to named subscribers. */
export interface EventStore {
  /** Publishes one event in its own transaction. */
  publish(event: PublishEventInput, now: number): Promise<void>;
  /** The sources events are read from, in the order subscribers consume them. */
  readonly sources: readonly string[];
  /**
   * Leases the (subscriber, source) cursor to `owner` and returns the events
   * after it (at most `limit`), oldest first. Creates the cursor when absent,
   * at the source's current end (`from: "now"`) or at its start. Resolves with
   * undefined while another owner holds an unexpired lease.
   */
  claim(q: { subscriber: string; source: string; owner: string; leaseMs: number; limit: number; from: "now" | "start"; now: number }): Promise<StreamEvent[] | undefined>;
  /** Moves the cursor past `position` (an event delivered); false if the lease was lost. */
  advance(q: { subscriber: string; source: string; owner: string; position: string; leaseMs: number; now: number }): Promise<boolean>;
  /** Gives the cursor's lease back (shutdown). */
  releaseCursor(subscriber: string, source: string, owner: string): Promise<void>;
  /**
   * Deletes published events (the `events` source) older than `before`; the
   * registry's audit history is never deleted. Resolves with the count.
   */
  purgeEvents(before: number): Promise<number>;
}
