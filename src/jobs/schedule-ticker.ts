/**
 * Cron schedules across replicas: each replica writes the schedules it
 * declares at start, and at every poll fires those that are due. A tick is
 * fired by compare-and-set on the stored next run, so it enqueues one job
 * however many replicas see it due. Missed ticks (every replica down) are not
 * caught up one by one: the schedule fires once and moves to its next tick
 * after now.
 * @module
 */
import { nextTick } from "./cron-schedule.js";
import type { JobStore } from "./job-store.js";
import type { JobRegistry, ScheduleDefinition } from "./job-types.js";
import type { RunnerLogger } from "./job-runner.js";
import type { Job } from "./types.js";

export interface ScheduleTickerDeps {
  store: JobStore;
  registry: JobRegistry;
  now: () => number;
  logger: RunnerLogger;
}

export class ScheduleTicker {
  constructor(private readonly deps: ScheduleTickerDeps) {}

  /** Stores the registry's schedules and deletes the ones it retired. */
  async sync(): Promise<void> {
    const { store, registry, now } = this.deps;
    for (const def of registry.schedules) {
      const spec = specOf(def);
      const next = nextTick(spec, now());
      if (next === undefined) throw new Error(`Schedule '${def.name}' (${def.cron}) never fires.`);
      await store.upsertSchedule({ name: def.name, type: def.type, ...spec, payload: def.payload ?? null, nextRunAt: next }, now());
    }
    for (const name of registry.retired) await store.deleteSchedule(name);
  }

  /** Fires every due schedule; resolves with the jobs this replica enqueued. */
  async tick(): Promise<Job[]> {
    const { store, registry, now, logger } = this.deps;
    const fired: Job[] = [];
    const t = now();
    for (const s of await store.listSchedules()) {
      if (s.nextRunAt > t) continue;
      let next: number | undefined;
      try {
        next = nextTick(s, t);
      } catch (err) {
        logger.error({ err, schedule: s.name }, "jobs: schedule cannot be read");
        continue;
      }
      // A schedule that can never fire again is parked far ahead rather than re-checked every poll.
      const job = await store.fireSchedule(s.name, s.nextRunAt, next ?? Number.MAX_SAFE_INTEGER, registry.get(s.type)?.maxAttempts ?? 3, t);
      if (job) {
        fired.push(job);
        // The server's own `*.tick` schedules fire every minute and only enqueue the work that is due (which logs
        // itself): at info they were two lines a minute, forever, in the terminal of an idle server.
        const fields = { schedule: s.name, jobId: job.jobId, type: job.type };
        if (job.type.endsWith(".tick")) logger.debug?.(fields, "jobs: schedule fired");
        else logger.info(fields, "jobs: schedule fired");
      }
    }
    return fired;
  }
}

function specOf(def: ScheduleDefinition): { cron: string; timezone: string } {
  return { cron: def.cron, timezone: def.timezone ?? "UTC" };
}
