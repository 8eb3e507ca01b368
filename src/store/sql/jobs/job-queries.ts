/**
 * Jobs from the outside: enqueue (with idempotency keys), read, list, cancel,
 * retry, log lines, and the purge of old finished jobs.
 * @module
 */
import type { Kysely } from "kysely";
import type { JobQuery } from "../../../jobs/job-store.js";
import { FINISHED_STATES, type EnqueueJobInput, type Job, type JobLogLevel, type JobLogLine } from "../../../jobs/types.js";
import { InvalidStateError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { Page } from "../../../shared/types.js";
import { decodePageToken, encodePageToken } from "../page-token.js";
import type { Database } from "../schema.js";
import { jobIdNumber, toJob } from "./job-rows.js";

type Db = Kysely<Database>;

const notFound = (jobId: string) => new ResourceDoesNotExistError(`Job with id=${jobId} not found`);

export async function enqueueJob(trx: Db, input: EnqueueJobInput & { maxAttempts: number }, now: number): Promise<{ job: Job; created: boolean }> {
  const row = await trx
    .insertInto("jobs")
    .values({
      type: input.type,
      payload: JSON.stringify(input.payload ?? null),
      state: "queued",
      priority: input.priority ?? 0,
      attempts: 0,
      max_attempts: input.maxAttempts,
      run_after: input.runAfter ?? now,
      idempotency_key: input.idempotencyKey ?? null,
      schedule: input.schedule ?? null,
      pinned_to: input.pinnedTo ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row) return { job: toJob(row), created: true };
  const existing = await trx.selectFrom("jobs").selectAll().where("idempotency_key", "=", input.idempotencyKey!).executeTakeFirstOrThrow();
  return { job: toJob(existing), created: false };
}

export async function getJob(db: Db, jobId: string): Promise<Job> {
  const id = jobIdNumber(jobId);
  const row = id === undefined ? undefined : await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound(jobId);
  return toJob(row);
}

export async function listJobs(db: Db, q: JobQuery): Promise<Page<Job>> {
  let query = db.selectFrom("jobs").selectAll();
  if (q.states && q.states.length > 0) query = query.where("state", "in", q.states);
  if (q.types && q.types.length > 0) query = query.where("type", "in", q.types);
  if (q.excludeTypes && q.excludeTypes.length > 0) query = query.where("type", "not in", q.excludeTypes);
  if (q.pageToken) {
    const [before] = decodePageToken(q.pageToken, "jobs", "", ["int64"]);
    query = query.where("id", "<", before as number);
  }
  const rows = await query.orderBy("id", "desc").limit(q.maxResults + 1).execute();
  const more = rows.length > q.maxResults;
  const page = more ? rows.slice(0, q.maxResults) : rows;
  return { items: page.map(toJob), nextPageToken: more ? encodePageToken("jobs", "", [page[page.length - 1].id]) : undefined };
}

export async function cancelJob(trx: Db, jobId: string, now: number): Promise<Job> {
  const id = jobIdNumber(jobId);
  if (id === undefined) throw notFound(jobId);
  // A queued job is cancelled outright, so no worker can start it; a running one is asked to stop.
  const queued = await trx
    .updateTable("jobs")
    .set({ state: "cancelled", finished_at: now, updated_at: now, cancel_requested: 1 })
    .where("id", "=", id)
    .where("state", "=", "queued")
    .executeTakeFirst();
  if (Number(queued.numUpdatedRows) === 0) {
    const running = await trx
      .updateTable("jobs")
      .set({ cancel_requested: 1, updated_at: now })
      .where("id", "=", id)
      .where("state", "=", "running")
      .executeTakeFirst();
    if (Number(running.numUpdatedRows) === 0) {
      const job = await getJob(trx, jobId);
      throw new InvalidStateError(`Job ${jobId} is ${job.state}: only a queued or running job can be cancelled.`);
    }
  }
  return getJob(trx, jobId);
}

export async function retryJob(trx: Db, jobId: string, now: number): Promise<Job> {
  const id = jobIdNumber(jobId);
  if (id === undefined) throw notFound(jobId);
  const res = await trx
    .updateTable("jobs")
    .set({
      state: "queued",
      attempts: 0,
      run_after: now,
      cancel_requested: 0,
      progress: null,
      progress_message: null,
      result: null,
      error: null,
      started_at: null,
      finished_at: null,
      updated_at: now,
    })
    .where("id", "=", id)
    .where("state", "in", ["failed", "cancelled"])
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const job = await getJob(trx, jobId);
    throw new InvalidStateError(`Job ${jobId} is ${job.state}: only a failed or cancelled job can be retried.`);
  }
  return getJob(trx, jobId);
}

export async function readLogs(db: Db, jobId: string, afterSeq: number, maxResults: number): Promise<JobLogLine[]> {
  const job = await getJob(db, jobId);
  const rows = await db
    .selectFrom("job_logs")
    .select(["seq", "time", "attempt", "level", "message"])
    .where("job_id", "=", Number(job.jobId))
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .limit(maxResults)
    .execute();
  return rows.map((r) => ({ seq: r.seq, time: Number(r.time), attempt: r.attempt, level: r.level as JobLogLevel, message: r.message }));
}

/** Rows per delete, so a purge of a long history never holds SQLite's writer for long. */
const PURGE_CHUNK = 500;

export async function purgeFinished(write: <T>(fn: (trx: Db) => Promise<T>) => Promise<T>, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await write(async (trx) => {
      const ids = (
        await trx
          .selectFrom("jobs")
          .select("id")
          .where("state", "in", FINISHED_STATES)
          .where("finished_at", "<", before)
          .limit(PURGE_CHUNK)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      await trx.deleteFrom("job_logs").where("job_id", "in", ids).execute();
      await trx.deleteFrom("jobs").where("id", "in", ids).execute();
      return ids.length;
    });
    total += n;
    if (n < PURGE_CHUNK) return total;
  }
}
