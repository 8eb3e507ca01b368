/**
 * Everything background in one server process, started and stopped with it:
 * the {@link JobRunner}, the cron {@link ScheduleTicker} and the
 * {@link EventDispatcher}. On SQLite the one server runs it; on PostgreSQL
 * every replica does, and they share the work through the database.
 *
 * The worker announces itself in the store while it runs (renewed every third
 * of a lease, valid for one lease), so that jobs pinned to it wait for it, and
 * other workers can tell when it is gone and fail what was pinned to it.
 * @module
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { EventDispatcher } from "./event-dispatcher.js";
import type { EventStore, JobStore } from "./job-store.js";
import { JobRunner, type JobRunnerOptions, type RunnerLogger } from "./job-runner.js";
import type { JobRegistry } from "./job-types.js";
import type { BackoffPolicy } from "./retry-backoff.js";
import { ScheduleTicker } from "./schedule-ticker.js";

export interface JobsWorkerOptions {
  store: JobStore;
  events: EventStore;
  registry: JobRegistry;
  workerId?: string;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  logger?: RunnerLogger;
  now?: () => number;
  onAttempt?: JobRunnerOptions["onAttempt"];
  /** Backoff of a failing event subscriber (default 1 s doubling to 5 min). */
  eventBackoff?: BackoffPolicy;
}

/** `host:pid:random`: unique per process, readable in `ciclo jobs get`. */
export function defaultWorkerId(): string {
  return `${hostname().slice(0, 120)}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export class JobsWorker {
  readonly runner: JobRunner;
  private readonly ticker: ScheduleTicker;
  private readonly dispatcher: EventDispatcher;
  private readonly log: RunnerLogger;
  private readonly pollMs: number;
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly store: JobStore;
  private readonly now: () => number;
  private announcedAt = -Infinity;

  constructor(opts: JobsWorkerOptions) {
    const now = opts.now ?? Date.now;
    const workerId = opts.workerId ?? defaultWorkerId();
    this.store = opts.store;
    this.now = now;
    this.log = opts.logger ?? { info() {}, warn() {}, error() {} };
    this.pollMs = opts.pollMs ?? 1_000;
    this.runner = new JobRunner({ ...opts, workerId, now, logger: this.log });
    this.ticker = new ScheduleTicker({ store: opts.store, registry: opts.registry, now, logger: this.log });
    this.dispatcher = new EventDispatcher({
      events: opts.events,
      subscribers: opts.registry.subscribers,
      owner: workerId,
      leaseMs: this.runner.leaseMs,
      now,
      logger: this.log,
      backoff: opts.eventBackoff,
    });
  }

  /** This worker's name: what its leases carry, and what a job pinned to it names. */
  get workerId(): string {
    return this.runner.workerId;
  }

  /** Announces itself, writes the declared schedules, then starts leasing jobs, firing schedules and delivering events. */
  async start(): Promise<void> {
    await this.announce();
    await this.ticker.sync();
    this.runner.start();
    this.loop = this.maintain();
  }

  /** Stops everything; running jobs get `drainMs` to finish before they are given back. */
  async stop(drainMs?: number): Promise<void> {
    this.stopped.abort();
    await Promise.all([this.runner.stop(drainMs), this.loop]);
    await this.dispatcher.release();
    await this.store.retireWorker(this.workerId).catch((err: Error) => this.log.error({ err }, "jobs: could not withdraw the worker's announcement"));
  }

  private async announce(): Promise<void> {
    const now = this.now();
    await this.store.announceWorker(this.workerId, now + this.runner.leaseMs, now);
    this.announcedAt = now;
  }

  private async maintain(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      if (this.now() - this.announcedAt >= this.runner.leaseMs / 3) {
        await this.announce().catch((err: Error) => this.log.error({ err }, "jobs: could not renew the worker's announcement"));
      }
      try {
        if ((await this.ticker.tick()).length > 0) this.runner.wake();
      } catch (err) {
        this.log.error({ err }, "jobs: schedule tick failed");
      }
      try {
        await this.dispatcher.pass(signal);
      } catch (err) {
        this.log.error({ err }, "jobs: event delivery failed");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.pollMs);
        signal.addEventListener("abort", done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  }
}
