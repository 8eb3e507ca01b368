/**
 * The runner's own housekeeping (`jobs.purge`): finished jobs with their log
 * lines, and published events, are deleted once older than the retention (30
 * days by default), on a nightly schedule. Idempotency keys go with their
 * jobs; a subscriber more than the retention behind misses the deleted events.
 * The registry's audit history is never deleted.
 * @module
 */
import type { EventStore, JobStore } from "./job-store.js";
import type { JobType, ScheduleDefinition } from "./job-types.js";

export const JOBS_PURGE_TYPE = "jobs.purge";
export const DEFAULT_JOB_RETENTION_MS = 30 * 86_400_000;

export function jobsPurgeType(store: JobStore, events: EventStore, now: () => number = Date.now): JobType<{ older_than_ms?: number }> {
  return {
    type: JOBS_PURGE_TYPE,
    async handle(payload, ctx) {
      const age = payload?.older_than_ms ?? DEFAULT_JOB_RETENTION_MS;
      const deleted = await store.purgeFinished(now() - age);
      const deletedEvents = await events.purgeEvents(now() - age);
      ctx.log(`deleted ${deleted} finished job(s) and ${deletedEvents} published event(s) older than ${Math.round(age / 86_400_000)} day(s)`);
      return { deleted, deleted_events: deletedEvents };
    },
  };
}

/** Every night at 03:17 UTC (off the hour, when other crons crowd). */
export function jobsPurgeSchedule(retentionMs: number = DEFAULT_JOB_RETENTION_MS): ScheduleDefinition {
  return { name: JOBS_PURGE_TYPE, type: JOBS_PURGE_TYPE, cron: "17 3 * * *", payload: { older_than_ms: retentionMs } };
}
