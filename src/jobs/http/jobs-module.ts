/**
 * Durable background work as a module: the job store on the shared database,
 * the worker every server process runs (SQLite: the one process; PostgreSQL:
 * every replica, sharing the queue), the API under `/api/ciclo/v1/jobs`, and
 * the `scheduler` service. Listed first in `src/modules.ts`, so every module
 * can enqueue; the handlers, schedules and event subscriptions the modules
 * contribute are added when the server starts.
 * @module
 */
import type { CicloModule, JobScheduler } from "../../server/module.js";
import type { JobsConfig } from "../../server/config.js";
import { SqlEventStore, SqlJobStore } from "../../store/sql/jobs/sql-job-store.js";
import { JobService } from "../job-service.js";
import { JobRegistry, type JobType } from "../job-types.js";
import { jobsPurgeSchedule, jobsPurgeType } from "../jobs-purge-job.js";
import { JobsWorker, type JobsWorkerOptions } from "../jobs-worker.js";
import { jobRoutes } from "./job-routes.js";

export interface JobsModuleServices {
  service: JobService;
  /** Undefined when this process runs no background work (`--no-jobs`, `CICLO_JOBS=0`). */
  worker?: JobsWorker;
  registry: JobRegistry;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    jobs: JobsModuleServices;
  }
}

/** What a caller other than the server's config adds (a test waiting for its jobs to end). */
export interface JobsModuleHooks {
  /** Called after each attempt ends, with its outcome ("queued" when it will be retried). */
  onAttempt?: JobsWorkerOptions["onAttempt"];
}

export function jobsModule(config: JobsConfig, hooks: JobsModuleHooks = {}): CicloModule {
  return {
    id: "jobs",
    init(ctx) {
      const store = new SqlJobStore(ctx.db);
      const events = new SqlEventStore(ctx.db);
      const registry = new JobRegistry().add(jobsPurgeType(store, events)).schedule(jobsPurgeSchedule(config.retentionMs));
      const worker = config.run
        ? new JobsWorker({ store, events, registry, concurrency: config.concurrency, leaseMs: config.leaseMs, pollMs: config.pollMs, logger: ctx.logger, onAttempt: hooks.onAttempt })
        : undefined;
      const service = new JobService({ store, registry, onEnqueue: () => worker?.runner.wake() });
      const scheduler: JobScheduler = {
        self: worker?.workerId,
        enqueue: (input) => service.enqueue(input),
        status: async (jobId) => {
          const job = await service.get(jobId).catch(() => undefined);
          return job && { state: job.state, result: job.result };
        },
      };
      ctx.provide("jobs", { service, worker, registry });
      ctx.provide("scheduler", scheduler);
      ctx.http.register("ciclo", jobRoutes, { service });
      ctx.onStart(async (app) => {
        registry.add(...(app.jobs as JobType<never>[])).schedule(...app.schedules).subscribe(...app.subscriptions);
        // A job type whose schedule is off in this server's configuration: its stored schedule goes.
        const scheduled = new Set(app.schedules.map((s) => s.name));
        for (const h of app.jobs) if (!scheduled.has(h.type)) registry.retire(h.type);
        await worker?.start();
      });
      // Running jobs get the shutdown timeout to finish, then are given back for another process.
      ctx.onStop(() => worker?.stop(config.drainMs));
    },
  };
}
