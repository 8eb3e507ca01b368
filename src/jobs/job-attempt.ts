/**
 * One attempt of one job inside a worker: the handler's context (signal, log,
 * progress), the heartbeat that keeps the lease and carries the handler's
 * reports to the store, and the write that ends the attempt.
 * @module
 */
import type { JobLease, JobStore, LeaseReport, NewLogLine } from "./job-store.js";
import type { JobContext, JobType } from "./job-types.js";
import { DEFAULT_BACKOFF, retryDelay } from "./retry-backoff.js";
import { JOB_LIMITS, type Job, type JobLogLevel, type JobState } from "./types.js";

/** Thrown by a handler to fail the job at once, with no further attempts. */
export class PermanentJobError extends Error {}

/** Why an attempt's signal fired. */
export type AbortCause = "cancelled" | "lease-lost" | "shutdown";

export interface AttemptDeps {
  store: JobStore;
  leaseMs: number;
  now: () => number;
  random: () => number;
  onError(err: unknown, msg: string): void;
  /**
   * The handler has returned or thrown; the attempt's last write follows. The
   * runner frees the slot here, so its next lease joins that write's commit.
   */
  onHandlerDone?(): void;
}

/** How the attempt ended, as written to the store (`lost`: the lease was gone, nothing written). */
export type AttemptOutcome = JobState | "lost";

export class JobAttempt {
  readonly lease: JobLease;
  private readonly controller = new AbortController();
  private cause: AbortCause | undefined;
  private logs: NewLogLine[] = [];
  private progress: { fraction?: number; message?: string } = {};
  private timer: NodeJS.Timeout | undefined;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    readonly job: Job,
    owner: string,
    private readonly type: JobType,
    private readonly deps: AttemptDeps,
  ) {
    this.lease = { jobId: job.jobId, owner, attempt: job.attempts };
  }

  /** Stops the handler (cancel, lost lease, shutdown); the first cause wins. */
  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort(new Error(`job ${this.job.jobId}: ${cause}`));
  }

  get aborted(): AbortCause | undefined {
    return this.cause;
  }

  /** Gives the job back now, whatever the handler is doing (shutdown of a handler that ignores its signal). */
  async releaseNow(): Promise<void> {
    this.abort("shutdown");
    clearInterval(this.timer);
    await this.beat;
    this.cause = "lease-lost"; // the handler's own end must write nothing after this
    await this.deps.store.release(this.lease, this.report(), this.deps.now()).catch((err: unknown) => this.deps.onError(err, "could not release a job"));
  }

  /** Runs the handler to its end and records the outcome. Never throws. */
  async run(): Promise<AttemptOutcome> {
    const every = Math.max(20, Math.floor(this.deps.leaseMs / 3));
    this.timer = setInterval(() => this.heartbeat(), every);
    let result: unknown;
    let error: unknown;
    let ok = false;
    try {
      result = await this.type.handle(this.job.payload as never, this.context());
      ok = true;
    } catch (err) {
      error = err;
    } finally {
      clearInterval(this.timer);
      this.deps.onHandlerDone?.();
    }
    await this.beat;
    try {
      return await this.finish(ok, result, error);
    } catch (err) {
      // The store is unreachable: the lease will expire and another worker (or this one) retries.
      this.deps.onError(err, "could not record the end of a job attempt");
      return "lost";
    }
  }

  private context(): JobContext {
    return {
      jobId: this.job.jobId,
      attempt: this.job.attempts,
      maxAttempts: this.job.maxAttempts,
      signal: this.controller.signal,
      log: (message: string, level: JobLogLevel = "info") => {
        this.logs.push({ time: this.deps.now(), level, message: String(message) });
        // A chatty handler flushes early instead of growing the buffer until the next beat.
        if (this.logs.length >= 500) this.heartbeat();
      },
      progress: (fraction: number, message?: string) => {
        if (Number.isFinite(fraction)) this.progress.fraction = fraction;
        if (message !== undefined) this.progress.message = message;
      },
    };
  }

  private report(): LeaseReport {
    const r: LeaseReport = { logs: this.logs, progress: this.progress.fraction, progressMessage: this.progress.message };
    this.logs = [];
    this.progress = {};
    return r;
  }

  /** One heartbeat at a time; a beat that fails is logged and the next one tries again. */
  private heartbeat(): void {
    this.beat = this.beat.then(async () => {
      if (this.cause === "lease-lost") return;
      const report = this.report();
      try {
        const r = await this.deps.store.heartbeat(this.lease, report, this.deps.leaseMs, this.deps.now());
        if (!r.held) this.abort("lease-lost");
        else if (r.cancelRequested) this.abort("cancelled");
      } catch (err) {
        // Keep the lines for the next beat rather than lose them.
        this.logs = [...(report.logs ?? []), ...this.logs];
        this.deps.onError(err, "job heartbeat failed");
      }
    });
  }

  private async finish(ok: boolean, result: unknown, error: unknown): Promise<AttemptOutcome> {
    const { store, now } = this.deps;
    const report = this.report();
    if (this.cause === "lease-lost") return "lost";
    if (this.cause === "shutdown" && !ok) return (await store.release(this.lease, report, now())) ? "queued" : "lost";
    if (this.cause === "cancelled" && !ok) return (await store.markCancelled(this.lease, report, now())) ? "cancelled" : "lost";
    if (ok) {
      const text = result === undefined ? undefined : JSON.stringify(result);
      if (text === undefined || text.length <= JOB_LIMITS.resultBytes) {
        return (await store.complete(this.lease, result, report, now())) ? "succeeded" : "lost";
      }
      error = new PermanentJobError(`The job's result is ${text.length} bytes; at most ${JOB_LIMITS.resultBytes} are kept.`);
    }
    const message = error instanceof Error ? error.message || error.name : String(error);
    const last = this.job.attempts >= this.job.maxAttempts || error instanceof PermanentJobError;
    const retryAt = last ? null : now() + retryDelay(this.job.attempts, this.type.backoff ?? DEFAULT_BACKOFF, this.deps.random);
    report.logs = [...(report.logs ?? []), { time: now(), level: "error", message: `attempt ${this.job.attempts} failed: ${message}` }];
    return (await store.fail(this.lease, message, retryAt, report, now())) ?? "lost";
  }
}
