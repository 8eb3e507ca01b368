/**
 * The one conversion between jobs and their wire form, used by the server's
 * routes and by the SDK.
 * @module
 */
import type { WireJob, WireJobLogLine, WireJobSchedule } from "../shared/wire/jobs-wire.js";
import type { Job, JobLogLevel, JobLogLine, JobSchedule, JobState } from "./types.js";

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function jobToWire(j: Job): WireJob {
  return {
    job_id: j.jobId,
    type: j.type,
    payload: j.payload,
    state: j.state,
    priority: j.priority,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    run_after: j.runAfter,
    idempotency_key: opt(j.idempotencyKey),
    schedule: opt(j.schedule),
    pinned_to: opt(j.pinnedTo),
    lease_owner: opt(j.leaseOwner),
    lease_expires_at: opt(j.leaseExpiresAt),
    cancel_requested: j.cancelRequested,
    progress: opt(j.progress),
    progress_message: opt(j.progressMessage),
    result: j.result === null ? undefined : j.result,
    error: opt(j.error),
    log_count: j.logCount,
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    started_at: opt(j.startedAt),
    finished_at: opt(j.finishedAt),
  };
}

export function jobFromWire(w: WireJob): Job {
  return {
    jobId: w.job_id,
    type: w.type,
    payload: w.payload ?? null,
    state: w.state as JobState,
    priority: w.priority,
    attempts: w.attempts,
    maxAttempts: w.max_attempts,
    runAfter: w.run_after,
    idempotencyKey: w.idempotency_key ?? null,
    schedule: w.schedule ?? null,
    pinnedTo: w.pinned_to ?? null,
    leaseOwner: w.lease_owner ?? null,
    leaseExpiresAt: w.lease_expires_at ?? null,
    cancelRequested: w.cancel_requested,
    progress: w.progress ?? null,
    progressMessage: w.progress_message ?? null,
    result: w.result ?? null,
    error: w.error ?? null,
    logCount: w.log_count,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
    startedAt: w.started_at ?? null,
    finishedAt: w.finished_at ?? null,
  };
}

export const logLineToWire = (l: JobLogLine): WireJobLogLine => ({ ...l });
export const logLineFromWire = (w: WireJobLogLine): JobLogLine => ({ ...w, level: w.level as JobLogLevel });

export function scheduleToWire(s: JobSchedule): WireJobSchedule {
  return {
    name: s.name,
    type: s.type,
    cron: s.cron,
    timezone: s.timezone,
    next_run_at: s.nextRunAt,
    last_run_at: opt(s.lastRunAt),
    last_job_id: opt(s.lastJobId),
  };
}
