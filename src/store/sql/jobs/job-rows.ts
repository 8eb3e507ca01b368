/**
 * Row ↔ domain conversion for jobs, and the log-line writer every lease-held
 * write shares.
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import type { NewLogLine } from "../../../jobs/job-store.js";
import { JOB_LIMITS, type Job, type JobSchedule, type JobState } from "../../../jobs/types.js";
import type { Database } from "../schema.js";
import type { JobSchedulesTable, JobsTable } from "../job-tables.js";

type Db = Kysely<Database>;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function toJob(r: Selectable<JobsTable>): Job {
  return {
    jobId: String(r.id),
    type: r.type,
    payload: parseJson(r.payload),
    state: r.state as JobState,
    priority: r.priority,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAfter: Number(r.run_after),
    idempotencyKey: r.idempotency_key,
    schedule: r.schedule,
    pinnedTo: r.pinned_to,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_until === null ? null : Number(r.lease_until),
    cancelRequested: Number(r.cancel_requested) === 1,
    progress: r.progress === null ? null : Number(r.progress),
    progressMessage: r.progress_message,
    result: parseJson(r.result),
    error: r.error,
    logCount: r.log_count,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

export function toSchedule(r: Selectable<JobSchedulesTable>): JobSchedule {
  return {
    name: r.name,
    type: r.type,
    cron: r.cron,
    timezone: r.timezone,
    payload: parseJson(r.payload),
    nextRunAt: Number(r.next_run_at),
    lastRunAt: r.last_run_at === null ? null : Number(r.last_run_at),
    lastJobId: r.last_job_id === null ? null : String(r.last_job_id),
  };
}

/** A job id from a client: digits only, within BIGINT, so a bad id is never an engine error. */
export function jobIdNumber(jobId: string): number | undefined {
  if (!/^\d{1,15}$/.test(jobId)) return undefined;
  return Number(jobId);
}

/**
 * Appends log lines after `logCount` (the job's count when the caller's lease
 * write returned it); lines past the per-job cap are dropped and the last
 * kept line says so. Resolves with the new count.
 */
export async function appendLogs(trx: Db, jobId: number, attempt: number, logCount: number, lines: readonly NewLogLine[] | undefined): Promise<number> {
  if (!lines || lines.length === 0 || logCount >= JOB_LIMITS.logLines) return logCount;
  const room = JOB_LIMITS.logLines - logCount;
  const kept = lines.slice(0, room).map((l, i) => ({
    job_id: jobId,
    seq: logCount + i + 1,
    time: l.time,
    attempt,
    level: l.level,
    message: l.message.length > JOB_LIMITS.logLineChars ? `${l.message.slice(0, JOB_LIMITS.logLineChars)}…` : l.message,
  }));
  if (lines.length > room) {
    kept[kept.length - 1] = { ...kept[kept.length - 1], level: "warn", message: `log limit of ${JOB_LIMITS.logLines} lines reached; later lines are dropped` };
  }
  await trx.insertInto("job_logs").values(kept).execute();
  const count = logCount + kept.length;
  await trx.updateTable("jobs").set({ log_count: count }).where("id", "=", jobId).execute();
  return count;
}
