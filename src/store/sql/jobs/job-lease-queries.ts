/**
 * The worker's side of a job: leasing due jobs, heartbeats, and the writes
 * that end an attempt. Every write of a running job names its lease (owner
 * and attempt), so a worker that lost its lease changes nothing.
 * @module
 */
import type { ExpressionBuilder, Kysely, Updateable } from "kysely";
import type { HeartbeatResult, JobLease, LeaseReport } from "../../../jobs/job-store.js";
import type { Job, JobState } from "../../../jobs/types.js";
import type { SqlDialectName } from "../sql-dialect.js";
import type { Database } from "../schema.js";
import type { JobsTable } from "../job-tables.js";
import { appendLogs, jobIdNumber, toJob } from "./job-rows.js";

type Db = Kysely<Database>;

const LAST_LEASE_EXPIRED = "The worker's lease expired on the last attempt.";
/** A pinned job's worker stopped announcing itself: what it was to do there ended with it. */
export const PINNED_WORKER_GONE = "The worker this job is pinned to is gone; a pinned job runs nowhere else.";

export interface LeaseQuery {
  owner: string;
  types: string[];
  limit: number;
  leaseMs: number;
  now: number;
}

export async function leaseJobs(trx: Db, dialect: SqlDialectName, q: LeaseQuery): Promise<Job[]> {
  if (q.types.length === 0 || q.limit <= 0) return [];
  // Jobs whose worker died (lease expired) are settled first, in one statement: a cancel request or a
  // spent last attempt ends the job (re-leasing would run it once more than allowed); the others are
  // queued again, keeping their due time, so they come first among jobs of their priority.
  const over = (eb: ExpressionBuilder<Database, "jobs">) => eb.or([eb("cancel_requested", "=", 1), eb("attempts", ">=", eb.ref("max_attempts"))]);
  await trx
    .updateTable("jobs")
    .set((eb) => ({
      state: eb.case().when("cancel_requested", "=", 1).then("cancelled").when("attempts", ">=", eb.ref("max_attempts")).then("failed").else("queued").end(),
      error: eb.case().when(eb.and([eb("cancel_requested", "=", 0), eb("attempts", ">=", eb.ref("max_attempts"))])).then(LAST_LEASE_EXPIRED).else(eb.ref("error")).end(),
      finished_at: eb.case().when(over(eb)).then(q.now).else(eb.ref("finished_at")).end(),
      lease_owner: null,
      lease_until: null,
      updated_at: q.now,
    }))
    .where("state", "=", "running")
    .where("lease_until", "<", q.now)
    .execute();
  // Queued jobs pinned to a worker that is gone (no announcement, or an expired one) can never run: failed,
  // so that no one waits on them. A running one whose worker died was queued again just above.
  await trx
    .updateTable("jobs")
    .set({ state: "failed", error: PINNED_WORKER_GONE, finished_at: q.now, updated_at: q.now })
    .where("pinned_to", "is not", null)
    .where("state", "=", "queued")
    .where("pinned_to", "<>", q.owner)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("job_workers").select("job_workers.worker").whereRef("job_workers.worker", "=", "jobs.pinned_to").where("job_workers.seen_until", ">=", q.now))),
    )
    .execute();
  // Then due jobs by priority, taken in one statement. Replicas leasing at once skip each other's
  // rows instead of waiting on them (SQLite has one writer, so it needs no lock clause).
  let pick = trx
    .selectFrom("jobs")
    .select("id")
    .where("state", "=", "queued")
    .where("type", "in", q.types)
    .where("run_after", "<=", q.now)
    .where((eb) => eb.or([eb("pinned_to", "is", null), eb("pinned_to", "=", q.owner)]))
    .orderBy("priority", "desc")
    .orderBy("run_after")
    .orderBy("id")
    .limit(q.limit);
  if (dialect === "postgres") pick = pick.forUpdate().skipLocked();
  const rows = await trx
    .updateTable("jobs")
    .set((eb) => ({
      state: "running",
      attempts: eb("attempts", "+", 1),
      lease_owner: q.owner,
      lease_until: q.now + q.leaseMs,
      started_at: eb.fn.coalesce("started_at", eb.val(q.now)),
      updated_at: q.now,
    }))
    .where("id", "in", pick)
    .returningAll()
    .execute();
  return rows.map(toJob).sort((a, b) => b.priority - a.priority || a.runAfter - b.runAfter || Number(a.jobId) - Number(b.jobId));
}

/**
 * Applies `set` to the job if `lease` still holds it, then appends the
 * report's log lines. Resolves with the row's cancel flag, or undefined when
 * the lease was lost.
 */
async function whileHeld(trx: Db, lease: JobLease, set: Updateable<JobsTable>, report: LeaseReport): Promise<{ cancelRequested: boolean } | undefined> {
  const id = jobIdNumber(lease.jobId);
  if (id === undefined) return undefined;
  const progress: Updateable<JobsTable> = {};
  if (report.progress !== undefined) progress.progress = Math.min(1, Math.max(0, report.progress));
  if (report.progressMessage !== undefined) progress.progress_message = report.progressMessage;
  const row = await trx
    .updateTable("jobs")
    .set({ ...progress, ...set })
    .where("id", "=", id)
    .where("state", "=", "running")
    .where("lease_owner", "=", lease.owner)
    .where("attempts", "=", lease.attempt)
    .returning(["log_count", "cancel_requested"])
    .executeTakeFirst();
  if (!row) return undefined;
  await appendLogs(trx, id, lease.attempt, row.log_count, report.logs);
  return { cancelRequested: Number(row.cancel_requested) === 1 };
}

export async function heartbeat(trx: Db, lease: JobLease, report: LeaseReport, leaseMs: number, now: number): Promise<HeartbeatResult> {
  const r = await whileHeld(trx, lease, { lease_until: now + leaseMs, updated_at: now }, report);
  return r ? { held: true, cancelRequested: r.cancelRequested } : { held: false, cancelRequested: false };
}

const ended = (now: number) => ({ lease_owner: null, lease_until: null, updated_at: now });

export async function complete(trx: Db, lease: JobLease, result: unknown, report: LeaseReport, now: number): Promise<boolean> {
  const set: Updateable<JobsTable> = {
    ...ended(now),
    state: "succeeded",
    result: result === undefined ? null : JSON.stringify(result),
    error: null,
    finished_at: now,
  };
  return (await whileHeld(trx, lease, set, report)) !== undefined;
}

export async function fail(trx: Db, lease: JobLease, error: string, retryAt: number | null, report: LeaseReport, now: number): Promise<JobState | undefined> {
  const set: Updateable<JobsTable> =
    retryAt === null
      ? { ...ended(now), state: "failed", error, finished_at: now }
      : { ...ended(now), state: "queued", error, run_after: retryAt };
  return (await whileHeld(trx, lease, set, report)) ? (retryAt === null ? "failed" : "queued") : undefined;
}

export async function markCancelled(trx: Db, lease: JobLease, report: LeaseReport, now: number): Promise<boolean> {
  return (await whileHeld(trx, lease, { ...ended(now), state: "cancelled", finished_at: now }, report)) !== undefined;
}

export async function release(trx: Db, lease: JobLease, report: LeaseReport, now: number): Promise<boolean> {
  // The attempt is given back: shutting down is not the job's failure.
  const set: Updateable<JobsTable> = { ...ended(now), state: "queued", run_after: now, attempts: Math.max(0, lease.attempt - 1) };
  return (await whileHeld(trx, lease, set, report)) !== undefined;
}

/** A worker says it is alive until `until`; announcements that ran out are deleted (their workers are gone). */
export async function announceWorker(trx: Db, worker: string, until: number, now: number): Promise<void> {
  await trx
    .insertInto("job_workers")
    .values({ worker, seen_until: until, started_at: now })
    .onConflict((oc) => oc.column("worker").doUpdateSet({ seen_until: until }))
    .execute();
  await trx.deleteFrom("job_workers").where("seen_until", "<", now).execute();
}

/** A worker that stops (graceful shutdown) withdraws its announcement: its pinned jobs are orphans at once. */
export async function retireWorker(trx: Db, worker: string): Promise<void> {
  await trx.deleteFrom("job_workers").where("worker", "=", worker).execute();
}
