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
 * The queue is bounded (requests, bytes, and the time a new request would
 * wait, estimated from the recent scoring rate): past it a request is refused
 * at once with 503 + Retry-After instead of growing memory and latency. Each request has a
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
  /**
   * A request that would wait longer than this for an inference thread gets
   * 503 at once (estimated from the bytes queued and the recent scoring rate
   * in body bytes per ms). 0 = no bound.
   */
  maxQueueWaitMs?: number;
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

/**
 * A batch's wall time as `perBatch + perByte × body bytes`, fitted by least
 * squares over a moving window (exponential weights) of the batches scored.
 * Until batches of different sizes have been seen, time is taken as
 * proportional to bytes (the cautious guess: batching only makes it cheaper).
 */
export class BatchCostModel {
  private n = 0;
  private x = 0;
  private y = 0;
  private xx = 0;
  private xy = 0;

  get known(): boolean {
    return this.n > 0;
  }

  observe(bytes: number, ms: number): void {
    const w = this.n === 0 ? 1 : 0.2;
    this.n++;
    this.x += w * (bytes - this.x);
    this.y += w * (ms - this.y);
    this.xx += w * (bytes * bytes - this.xx);
    this.xy += w * (bytes * ms - this.xy);
  }

  /** [ms per batch, ms per byte]. */
  coefficients(): [number, number] {
    const varX = this.xx - this.x * this.x;
    if (this.n >= 2 && varX > (0.05 * this.x) ** 2) {
      const perByte = Math.max(0, (this.xy - this.x * this.y) / varX);
      return [Math.max(0, this.y - perByte * this.x), perByte];
    }
    return [0, this.x > 0 ? this.y / this.x : 0];
  }

  /** Estimated ms to score `bytes` in `batches` batches on one thread. */
  estimateMs(batches: number, bytes: number): number {
    const [perBatch, perByte] = this.coefficients();
    return batches * perBatch + bytes * perByte;
  }
}

export class BatchScheduler {
  /** Waiting requests from `head` on; the slots before it are emptied as they are dispatched. */
  private queue: Array<Pending | undefined> = [];
  private head = 0;
  private queuedCount = 0;
  private queuedBytes = 0;
  private running = 0;
  private pumpScheduled = false;
  private waitTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  /** What a batch costs (ms) by its bytes, learnt from the batches scored. */
  private readonly cost = new BatchCostModel();

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

  /**
   * How long a request arriving now would wait for an inference thread (ms,
   * estimated; 0 while nothing is queued or the scoring rate is not known yet).
   */
  expectedWaitMs(extraBytes = 0, extraRequests = 0): number {
    const n = this.queuedCount + extraRequests;
    if (!this.cost.known || n === 0) return 0;
    const threads = Math.max(1, this.executor.threads);
    const batches = Math.ceil((n + 1) / this.limits.maxBatchSize);
    return this.cost.estimateMs(batches, this.queuedBytes + extraBytes) / threads;
  }

  /**
   * Whether a request of `bytes` would wait past `maxQueueWaitMs`, counting
   * the requests whose bodies are still arriving (`incoming`, `incomingBytes`:
   * they queue ahead of it): the caller answers 503 without reading the body.
   */
  queueTooLong(bytes = 0, incoming = 0, incomingBytes = 0): boolean {
    const max = this.limits.maxQueueWaitMs ?? 0;
    if (max <= 0) return false;
    // Before the first batch has come back the rate is unknown: one full batch per thread may wait, no more.
    if (!this.cost.known) return this.queuedCount + incoming >= this.limits.maxBatchSize * Math.max(1, this.executor.threads);
    return this.expectedWaitMs(bytes + incomingBytes, incoming) > max;
  }

  /** Scores a body; always resolves with an answer (503 when the queue is full, 504 past the deadline). */
  submit(protocol: JobProtocol, body: string): Promise<JobResult> {
    const { maxQueue, maxQueueBytes, timeoutMs } = this.limits;
    if (this.queuedCount >= maxQueue || (this.queuedCount > 0 && this.queuedBytes + body.length > maxQueueBytes) || this.queueTooLong(body.length)) {
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
        const p = this.queue[this.head]!;
        // The slot lets go of the request at once: a queue that never empties is compacted only now and then, and
        // until then its dispatched slots would keep every body and answer alive (hundreds of MB under overload).
        this.queue[this.head++] = undefined;
        if (p.done) continue; // expired while waiting (already counted out)
        this.unqueue(p);
        batch.push(p);
      }
      this.compact();
      if (batch.length > 0) this.dispatch(batch);
    }
  };

  private firstLive(): Pending | undefined {
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) return this.queue[i];
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
      const ms = performance.now() - t0;
      let bytes = 0;
      for (const p of batch) bytes += p.job.body.length;
      if (ms > 0 && bytes > 0) this.cost.observe(bytes, ms);
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
