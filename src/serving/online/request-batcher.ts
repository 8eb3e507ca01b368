/**
 * Adaptive batching with bounded memory and per-request deadlines.
 *
 * Requests queue here; whenever an inference thread is idle, everything
 * queued (up to `maxBatchSize` requests) goes to it as one batch. Under light
 * load a request therefore leaves at once, alone; under heavy load the
 * requests that arrived while the threads were busy ride together — Triton's
 * default policy (largest batch available, no delay). `maxWaitMs` > 0 holds a
 * small batch back that long to let it grow (Triton's
 * `max_queue_delay_microseconds`). Requests read in the same event-loop turn
 * always leave together (the pump runs on setImmediate).
 *
 * The queue is bounded (requests and bytes): past it a request is refused at
 * once with 503 + Retry-After instead of growing memory. Each request has a
 * deadline: past it the client gets 504 whether the request is still queued
 * (it is dropped) or being scored (its result is discarded).
 * @module
 */
import type { BatchOutcome, InferenceExecutor } from "./inference-executor.js";
import { protocolError, type JobProtocol, type JobResult, type ScoringJob } from "./scoring-job.js";

export interface SchedulerLimits {
  /** Requests per batch at most. */
  maxBatchSize: number;
  /** How long a batch smaller than maxBatchSize may wait for more requests (0 = never). */
  maxWaitMs: number;
  /** Requests waiting at most; more are refused with 503. */
  maxQueue: number;
  /** Bytes of waiting request bodies at most. */
  maxQueueBytes: number;
  /** Per-request deadline, from arrival. */
  timeoutMs: number;
}

export interface SchedulerHooks {
  /** A batch went to an inference thread. */
  onDispatch?(requests: number): void;
  /** A batch came back: rows scored, model calls, wall ms. */
  onBatchDone?(requests: number, rows: number, ms: number): void;
  onQueueDepth?(depth: number): void;
}

interface Pending {
  job: ScoringJob;
  resolve(r: JobResult): void;
  done: boolean;
  timer?: NodeJS.Timeout;
  enqueuedAt: number;
}

export class BatchScheduler {
  private queue: Pending[] = [];
  private head = 0;
  private queuedCount = 0;
  private queuedBytes = 0;
  private running = 0;
  private pumpScheduled = false;
  private waitTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly executor: InferenceExecutor,
    readonly limits: SchedulerLimits,
    private readonly hooks: SchedulerHooks = {},
  ) {
    executor.onCapacity = () => this.schedulePump();
  }

  /** Requests waiting for an inference thread. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Batches being scored. */
  get runningBatches(): number {
    return this.running;
  }

  /** Scores a body; always resolves with an answer (503 when the queue is full, 504 past the deadline). */
  submit(protocol: JobProtocol, body: string): Promise<JobResult> {
    const { maxQueue, maxQueueBytes, timeoutMs } = this.limits;
    if (this.queuedCount >= maxQueue || (this.queuedCount > 0 && this.queuedBytes + body.length > maxQueueBytes)) {
      const r = protocolError(protocol, 503, "TEMPORARILY_UNAVAILABLE", `The model server is overloaded (${this.queuedCount} requests waiting); retry later.`);
      return Promise.resolve({ ...r, retryAfter: 1 });
    }
    return new Promise<JobResult>((resolve) => {
      const p: Pending = { job: { protocol, body, deadline: Date.now() + timeoutMs }, resolve, done: false, enqueuedAt: this.limits.maxWaitMs > 0 ? performance.now() : 0 };
      p.timer = setTimeout(() => this.expire(p), timeoutMs);
      this.queue.push(p);
      this.queuedCount++;
      this.queuedBytes += body.length;
      this.hooks.onQueueDepth?.(this.queuedCount);
      this.schedulePump();
    });
  }

  /** Resolves once nothing is queued or being scored (for draining). */
  whenIdle(): Promise<void> {
    if (this.queuedCount === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private expire(p: Pending): void {
    if (p.done) return;
    p.done = true;
    if (this.isQueued(p)) this.unqueue(p);
    p.resolve(protocolError(p.job.protocol, 504, "DEADLINE_EXCEEDED", `Request processing time exceeded limit (${this.limits.timeoutMs} ms).`));
    this.checkIdle();
  }

  /** True while `p` still sits in the queue (not yet dispatched). */
  private isQueued(p: Pending): boolean {
    return this.queue.indexOf(p, this.head) >= 0;
  }

  private unqueue(p: Pending): void {
    this.queuedCount--;
    this.queuedBytes -= p.job.body.length;
    this.hooks.onQueueDepth?.(this.queuedCount);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    const { maxBatchSize, maxWaitMs } = this.limits;
    while (this.queuedCount > 0 && this.executor.hasIdle()) {
      if (maxWaitMs > 0 && this.queuedCount < maxBatchSize) {
        const oldest = this.firstLive();
        const waited = oldest ? performance.now() - oldest.enqueuedAt : maxWaitMs;
        if (waited < maxWaitMs) {
          this.waitTimer ??= setTimeout(() => {
            this.waitTimer = undefined;
            this.schedulePump();
          }, Math.ceil(maxWaitMs - waited));
          return;
        }
      }
      const batch: Pending[] = [];
      while (batch.length < maxBatchSize && this.head < this.queue.length) {
        const p = this.queue[this.head++];
        if (p.done) continue; // expired while waiting (already counted out)
        this.unqueue(p);
        batch.push(p);
      }
      this.compact();
      if (batch.length > 0) this.dispatch(batch);
    }
  };

  private firstLive(): Pending | undefined {
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i].done) return this.queue[i];
    return undefined;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private dispatch(batch: Pending[]): void {
    this.running++;
    const t0 = performance.now();
    this.hooks.onDispatch?.(batch.length);
    const finish = (answer: (p: Pending, i: number) => JobResult, rows: number) => {
      this.running--;
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        if (p.done) continue;
        p.done = true;
        clearTimeout(p.timer);
        p.resolve(answer(p, i));
      }
      this.hooks.onBatchDone?.(batch.length, rows, performance.now() - t0);
      this.schedulePump();
      this.checkIdle();
    };
    this.executor.run(batch.map((p) => p.job)).then(
      (o: BatchOutcome) => finish((_p, i) => o.results[i], o.stats.rows),
      (err: Error) => finish((p) => protocolError(p.job.protocol, 500, "INTERNAL_ERROR", `Scoring failed: ${err.message}`), 0),
    );
  }

  private checkIdle(): void {
    if (this.queuedCount !== 0 || this.running !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
