/**
 * The worker loop of one server process: leases due jobs of the types it
 * knows, up to `concurrency` at a time, runs each as a {@link JobAttempt},
 * and leases more as slots free up. It polls the store every `pollMs` when
 * idle, and wakes at once when this process enqueues a job (`wake()`); on
 * PostgreSQL the other replicas pick that job up at their next poll.
 *
 * Several replicas share one database safely because leasing is atomic
 * (SQLite's single writer; `FOR UPDATE SKIP LOCKED` on PostgreSQL) and every
 * write of a running job names its lease.
 * @module
 */
import { JobAttempt, type AttemptOutcome } from "./job-attempt.js";
import type { JobStore } from "./job-store.js";
import type { JobRegistry } from "./job-types.js";
import type { Job } from "./types.js";

export interface RunnerLogger {
  /** What only someone tracing the runner wants (a housekeeping tick fired); optional. */
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobRunnerOptions {
  store: JobStore;
  registry: JobRegistry;
  /** This worker's name in leases (`host:pid:random` by default from the server). */
  workerId: string;
  /** Jobs run at once (default 4). */
  concurrency?: number;
  /** A lease's length; heartbeats renew it every third of it (default 30 s). */
  leaseMs?: number;
  /** Idle poll interval (default 1 s). */
  pollMs?: number;
  logger?: RunnerLogger;
  now?: () => number;
  random?: () => number;
  /** Called after each attempt ends (metrics, tests). */
  onAttempt?(job: Job, outcome: AttemptOutcome): void;
}

/** How long aborted handlers get to return before their jobs are released under them. */
const SHUTDOWN_GRACE_MS = 5_000;

const silent: RunnerLogger = { info() {}, warn() {}, error() {} };

export class JobRunner {
  private readonly running = new Map<string, { attempt: JobAttempt; done: Promise<AttemptOutcome> }>();
  /** Handlers executing now (a finished handler whose last write is in flight no longer counts). */
  private handlers = 0;
  private readonly concurrency: number;
  readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly log: RunnerLogger;
  private readonly now: () => number;
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly opts: JobRunnerOptions) {
    this.concurrency = opts.concurrency ?? 4;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 1_000;
    this.log = opts.logger ?? silent;
    this.now = opts.now ?? Date.now;
  }

  get workerId(): string {
    return this.opts.workerId;
  }

  /** Jobs running in this process now. */
  get active(): number {
    return this.running.size;
  }

  start(): void {
    if (this.loopDone) return;
    this.loopDone = this.loop();
  }

  /** Looks for work now instead of at the next poll (a job was just enqueued here). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Graceful shutdown: stops leasing, lets running handlers finish for up to
   * `drainMs`, then aborts the rest (reason `shutdown`) and gives their jobs
   * back to the queue, attempt not counted, for another worker to take.
   */
  async stop(drainMs = 30_000): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;
    if (this.running.size === 0) return;
    this.log.info({ running: this.running.size, drainMs }, "jobs: waiting for running jobs to finish");
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), drainMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    this.log.warn({ running: this.running.size }, "jobs: drain timeout reached, releasing the remaining jobs");
    for (const r of this.running.values()) r.attempt.abort("shutdown");
    // A handler that ignores its signal cannot be stopped; its job is given back anyway, and
    // whatever it writes later is refused (the lease is gone).
    const settled = await Promise.race([all().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    if (!settled) await Promise.all([...this.running.values()].map((r) => r.attempt.releaseNow()));
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const free = this.concurrency - this.handlers;
      let leased: Job[] = [];
      if (free > 0) {
        try {
          const types = this.opts.registry.names();
          leased = await this.opts.store.lease({ owner: this.opts.workerId, types, limit: free, leaseMs: this.leaseMs, now: this.now() });
        } catch (err) {
          this.log.error({ err }, "jobs: leasing failed");
        }
        for (const job of leased) this.execute(job);
        // A full batch means more may be waiting.
        if (leased.length > 0 && leased.length === free) continue;
      }
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.woken = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private execute(job: Job): void {
    const type = this.opts.registry.get(job.type);
    if (!type) return; // not leased: lease() asks only for known types
    const attempt = new JobAttempt(job, this.opts.workerId, type, {
      store: this.opts.store,
      leaseMs: this.leaseMs,
      now: this.now,
      random: this.opts.random ?? Math.random,
      onError: (err, msg) => this.log.error({ err, jobId: job.jobId, type: job.type }, `jobs: ${msg}`),
      onHandlerDone: () => {
        this.handlers--;
        this.wake();
      },
    });
    this.handlers++;
    const done = attempt.run().then((outcome) => {
      this.running.delete(job.jobId);
      if (outcome === "failed" || outcome === "lost") this.log.warn({ jobId: job.jobId, type: job.type, attempt: job.attempts, outcome }, "jobs: attempt ended");
      this.opts.onAttempt?.(job, outcome);
      this.wake();
      return outcome;
    });
    this.running.set(job.jobId, { attempt, done });
  }
}
