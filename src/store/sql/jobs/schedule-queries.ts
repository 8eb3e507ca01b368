/**
 * Cron schedules: stored so that every replica agrees on the next tick, and
 * fired by compare-and-set on `next_run_at`, so a tick enqueues one job
 * however many replicas see it due at once.
 * @module
 */
import type { Kysely } from "kysely";
import type { ScheduleInput } from "../../../jobs/job-store.js";
import type { Job, JobSchedule } from "../../../jobs/types.js";
import type { Database } from "../schema.js";
import { enqueueJob } from "./job-queries.js";
import { toSchedule } from "./job-rows.js";

type Db = Kysely<Database>;

export async function upsertSchedule(trx: Db, s: ScheduleInput, now: number): Promise<JobSchedule> {
  const payload = JSON.stringify(s.payload ?? null);
  // Replicas starting together all try to create it: one insert wins, the others update.
  const created = await trx
    .insertInto("job_schedules")
    .values({ name: s.name, type: s.type, cron: s.cron, timezone: s.timezone, payload, next_run_at: s.nextRunAt, updated_at: now })
    .onConflict((oc) => oc.column("name").doNothing())
    .executeTakeFirst();
  const old = await trx.selectFrom("job_schedules").selectAll().where("name", "=", s.name).executeTakeFirstOrThrow();
  if (Number(created.numInsertedOrUpdatedRows ?? 0) === 0) {
    // A replica restarting with the same cron keeps the stored tick: recomputing it would skip or repeat one.
    const moved = old.cron !== s.cron || old.timezone !== s.timezone;
    await trx
      .updateTable("job_schedules")
      .set({ type: s.type, cron: s.cron, timezone: s.timezone, payload, updated_at: now, ...(moved ? { next_run_at: s.nextRunAt } : {}) })
      .where("name", "=", s.name)
      .execute();
  }
  return toSchedule(await trx.selectFrom("job_schedules").selectAll().where("name", "=", s.name).executeTakeFirstOrThrow());
}

export async function listSchedules(db: Db): Promise<JobSchedule[]> {
  return (await db.selectFrom("job_schedules").selectAll().orderBy("name").execute()).map(toSchedule);
}

export async function deleteSchedule(trx: Db, name: string): Promise<void> {
  await trx.deleteFrom("job_schedules").where("name", "=", name).execute();
}

export async function fireSchedule(trx: Db, name: string, due: number, next: number, maxAttempts: number, now: number): Promise<Job | undefined> {
  const won = await trx
    .updateTable("job_schedules")
    .set({ next_run_at: next, last_run_at: now, updated_at: now })
    .where("name", "=", name)
    .where("next_run_at", "=", due)
    .returning(["type", "payload"])
    .executeTakeFirst();
  if (!won) return undefined;
  const { job } = await enqueueJob(
    trx,
    // The key makes the tick's job unique even if the schedule row were ever rewritten to a past tick.
    { type: won.type, payload: JSON.parse(won.payload) as unknown, maxAttempts, idempotencyKey: `schedule:${name}:${due}`, schedule: name },
    now,
  );
  await trx.updateTable("job_schedules").set({ last_job_id: Number(job.jobId) }).where("name", "=", name).execute();
  return job;
}
