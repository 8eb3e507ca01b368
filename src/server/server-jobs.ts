/**
 * The background work a ciclo server runs: the job types and schedules of
 * its capabilities (until the module list of ARCHITECTURE.md collects them,
 * they are named here), the worker that runs them and the service the API
 * reads them through.
 * @module
 */
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { JobService } from "../jobs/job-service.js";
import { JobRegistry } from "../jobs/job-types.js";
import { jobsPurgeSchedule, jobsPurgeType } from "../jobs/jobs-purge-job.js";
import { JobsWorker } from "../jobs/jobs-worker.js";
import type { RunnerLogger } from "../jobs/job-runner.js";
import type { OpenedStores } from "../store/open-store.js";
import { SqlEventStore, SqlJobStore } from "../store/sql/jobs/sql-job-store.js";
import { GC_JOB_TYPE, gcJobType, gcSchedule } from "../tracking/gc-job.js";
import type { JobsConfig } from "./config.js";

export interface ServerJobs {
  service: JobService;
  /** Undefined when the server runs no background work (`CICLO_JOBS=0`). */
  worker?: JobsWorker;
  registry: JobRegistry;
}

export interface ServerJobsDeps {
  config: JobsConfig;
  stores: OpenedStores;
  destination?: ArtifactRepository;
  logger: RunnerLogger;
  /** More job types, schedules and subscribers (tests, embedders). */
  extend?(registry: JobRegistry): void;
}

export function buildServerJobs(deps: ServerJobsDeps): ServerJobs {
  const { config, stores } = deps;
  const store = new SqlJobStore(stores.connection);
  const events = new SqlEventStore(stores.connection);
  const registry = new JobRegistry()
    .add(jobsPurgeType(store, events))
    .schedule(jobsPurgeSchedule(config.retentionMs))
    .add(gcJobType({ tracking: stores.tracking, registry: stores.registry, loggedModels: stores.loggedModels, destination: deps.destination }));
  if (config.gcSchedule) registry.schedule(gcSchedule(config.gcSchedule, config.gcOlderThanMs));
  else registry.retire(GC_JOB_TYPE);
  deps.extend?.(registry);
  const worker = config.run
    ? new JobsWorker({
        store,
        events,
        registry,
        concurrency: config.concurrency,
        leaseMs: config.leaseMs,
        pollMs: config.pollMs,
        logger: deps.logger,
      })
    : undefined;
  const service = new JobService({ store, registry, onEnqueue: () => worker?.runner.wake() });
  return { service, worker, registry };
}
