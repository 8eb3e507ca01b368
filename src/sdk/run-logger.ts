/**
 * Buffered, non-blocking logging for one run.
 *
 * `logMetric` only pushes onto an in-memory buffer (a few hundred ns) and
 * returns; a background flusher sends log-batch calls of up to 1,000 metrics,
 * 100 params and 100 tags — when a batch is full, every `flushIntervalMs`,
 * on `flush()`, on `end()`, and when the process is about to exit
 * (`beforeExit`; a hard `process.exit()` skips it, so `await flush()` first).
 *
 * Nothing here throws into the caller: failures become {@link LoggingError}s
 * passed to `onError` and returned by `flush()` / `end()`. Sending is retried
 * by the transport; a server that stays unreachable turns the run into an
 * offline spool on disk (`ciclo sync` uploads it later). A batch re-sent after
 * a lost response is harmless: the server skips identical metric points, and
 * params/tags written twice with the same value change nothing.
 * @module
 */
import type { DatasetInput, Metric, Param, RunStatus } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";
import { deliverBatch, type Batch, type DeliveryContext } from "./batch-delivery.js";
import { isTransientError } from "./http-client.js";
import { LoggingError, warnOnError, type ErrorHook, type FlushReport } from "./logging-errors.js";
import { DEFAULT_OFFLINE_DIR, RunSpool } from "./offline-spool.js";
import type { LoggerTarget, RunLoggerOptions, RunLoggerStats } from "./run-logger-options.js";

export type { LoggerTarget, RunDescriptor, RunLoggerOptions, RunLoggerStats } from "./run-logger-options.js";

interface Counts {
  metrics: number;
  params: number;
  tags: number;
  inputs: number;
}

const MAX_KEPT_ERRORS = 1000;
const live = new Set<RunLogger>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // beforeExit fires when the event loop empties; the flush keeps it busy, then it fires again with nothing pending.
  process.on("beforeExit", () => {
    for (const logger of live) if (logger.pending > 0) void logger.flush();
  });
}

export class RunLogger {
  readonly stats: RunLoggerStats = { batches: 0, metrics: 0, params: 0, tags: 0, inputs: 0, spooledRecords: 0, metricsPerBatch: [] };
  private metrics: Metric[] = [];
  /** Index of the first unsent metric (a head index: taking from the front must not shift a big array). */
  private head = 0;
  private params: Param[] = [];
  private tags = new Map<string, string>();
  private inputs: DatasetInput[] = [];
  private readonly loggedParams = new Map<string, string>();
  /** Entities taken from the buffer (sent or in flight), and entities whose delivery finished. */
  private readonly taken: Counts = { metrics: 0, params: 0, tags: 0, inputs: 0 };
  private readonly done: Counts = { metrics: 0, params: 0, tags: 0, inputs: 0 };
  private waiters: Array<{ target: Counts; resolve(): void }> = [];
  private errors: LoggingError[] = [];
  private target: LoggerTarget | undefined;
  private readonly ready: Promise<void>;
  private draining = false;
  private kickScheduled = false;
  private tick = false;
  private ended = false;
  private bufferFullReported = false;
  private readonly timer: NodeJS.Timeout;
  private readonly maxMetrics: number;
  private readonly maxParams: number;
  private readonly maxTags: number;
  private readonly maxBuffered: number;
  private readonly onError: ErrorHook;

  constructor(
    target: LoggerTarget | Promise<LoggerTarget>,
    private readonly opts: RunLoggerOptions = {},
  ) {
    this.maxMetrics = opts.maxMetricsPerBatch ?? 1000;
    this.maxParams = opts.maxParamsPerBatch ?? 100;
    this.maxTags = opts.maxTagsPerBatch ?? 100;
    this.maxBuffered = opts.maxBufferedMetrics ?? 1_000_000;
    this.onError = opts.onError ?? warnOnError;
    this.ready = Promise.resolve(target).then(
      (t) => void (this.target = t),
      (err: unknown) => this.report(new LoggingError(`The run could not be started: ${(err as Error).message}`, "failed", undefined, undefined, { cause: err })),
    );
    this.timer = setInterval(() => {
      this.tick = true;
      this.startDrain();
    }, opts.flushIntervalMs ?? 1000);
    this.timer.unref();
    live.add(this);
    installExitHook();
  }

  /** The run id (a local id for a run created offline); undefined until the run exists. */
  get runId(): string | undefined {
    const t = this.target;
    return t === undefined ? undefined : t.mode === "online" ? t.run.runId : (t.spool.manifest.runId ?? t.spool.manifest.id);
  }

  get offline(): boolean {
    return this.target?.mode === "offline";
  }

  /** Entities buffered and not yet sent. */
  get pending(): number {
    return this.metrics.length - this.head + this.params.length + this.tags.size + this.inputs.length;
  }

  // ── the hot path: buffer and return ──────────────────────────────────────

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    if (this.ended || typeof key !== "string" || typeof value !== "number" || this.metrics.length - this.head >= this.maxBuffered) {
      return this.refuseMetric(key, value);
    }
    const n = this.metrics.push({ key, value, timestamp, step });
    if (n - this.head >= this.maxMetrics && !this.draining && !this.kickScheduled) this.scheduleDrain();
  }

  logMetrics(values: Record<string, number>, step = 0, timestamp = Date.now()): void {
    for (const key in values) this.logMetric(key, values[key], step, timestamp);
  }

  logParam(key: string, value: unknown): void {
    if (this.refuseIfEnded("param", 1)) return;
    const v = String(value);
    const prev = this.loggedParams.get(key);
    if (prev === v) return; // params are write-once: the same value again changes nothing
    if (prev !== undefined) {
      this.report(new LoggingError(
        `Param '${key}' was already logged with value '${prev}'; the new value '${v}' is dropped (params are write-once).`,
        "param-changed", this.runId, { metrics: 0, params: 1, tags: 0, inputs: 0 }));
      return;
    }
    this.loggedParams.set(key, v);
    this.params.push({ key, value: v });
    if (this.params.length >= this.maxParams) this.scheduleDrain();
  }

  setTag(key: string, value: unknown): void {
    if (this.refuseIfEnded("tag", 1)) return;
    this.tags.delete(key); // a re-set tag moves to the end: tags are last-write-wins, in order
    this.tags.set(key, String(value));
    if (this.tags.size >= this.maxTags) this.scheduleDrain();
  }

  logInputs(inputs: DatasetInput[]): void {
    if (this.refuseIfEnded("inputs", inputs.length)) return;
    this.inputs.push(...inputs);
    this.scheduleDrain();
  }

  // ── flushing ─────────────────────────────────────────────────────────────

  /** Sends everything logged so far (to the server or the spool); never throws. */
  async flush(): Promise<FlushReport> {
    await this.sendAll();
    return this.takeReport();
  }

  private async sendAll(): Promise<void> {
    if (this.pending > 0 || this.draining) {
      const target: Counts = {
        // A batch in flight is counted in `taken`: the flush waits for it and for everything still buffered.
        metrics: this.taken.metrics + this.metrics.length - this.head,
        params: this.taken.params + this.params.length,
        tags: this.taken.tags + this.tags.size,
        inputs: this.taken.inputs + this.inputs.length,
      };
      await new Promise<void>((resolve) => {
        this.waiters.push({ target, resolve });
        this.startDrain();
      });
    }
  }

  /** Flushes, then records the run's end (status, end time). Later calls to log are dropped with an error. */
  async end(status: RunStatus = "FINISHED", endTime = Date.now()): Promise<FlushReport> {
    if (this.ended) return this.flush();
    await this.sendAll();
    this.ended = true;
    await this.sendAll(); // what was logged while the first flush was in flight
    clearInterval(this.timer);
    live.delete(this);
    await this.ready;
    const t = this.target;
    try {
      if (t?.mode === "online") await t.client.updateRun(t.run.runId, { status, endTime });
      else t?.spool.end(status, endTime);
    } catch (err) {
      if (t?.mode === "online" && isTransientError(err) && this.opts.offlineFallback !== false) {
        this.fallBack(err).end(status, endTime);
      } else {
        this.report(new LoggingError(`Could not end run ${this.runId}: ${(err as Error).message}`, "failed", this.runId, undefined, { cause: err }));
      }
    }
    return this.takeReport();
  }

  private scheduleDrain(): void {
    if (this.kickScheduled || this.draining) return;
    this.kickScheduled = true;
    // Not now: sending (JSON, fetch) must not run inside the caller's logMetric.
    setImmediate(() => {
      this.kickScheduled = false;
      this.startDrain();
    });
  }

  private startDrain(): void {
    if (!this.draining) void this.drain();
  }

  private shouldSend(): boolean {
    const m = this.metrics.length - this.head;
    if (this.inputs.length > 0 || m >= this.maxMetrics || this.params.length >= this.maxParams || this.tags.size >= this.maxTags) {
      return true;
    }
    return (this.tick || this.waiters.length > 0) && m + this.params.length + this.tags.size > 0;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      await this.ready;
      while (this.shouldSend()) {
        if (this.inputs.length > 0) {
          const inputs = this.inputs;
          this.inputs = [];
          this.taken.inputs += inputs.length;
          await this.deliver({ metrics: [], params: [], tags: [] }, inputs);
          this.done.inputs += inputs.length;
        } else {
          const batch = this.take();
          this.taken.metrics += batch.metrics.length;
          this.taken.params += batch.params.length;
          this.taken.tags += batch.tags.length;
          await this.deliver(batch);
          this.done.metrics += batch.metrics.length;
          this.done.params += batch.params.length;
          this.done.tags += batch.tags.length;
        }
        this.settle();
      }
    } finally {
      this.draining = false;
      if (this.pending === 0) this.tick = false;
      this.settle();
      if (this.shouldSend()) this.scheduleDrain();
    }
  }

  /** The next batch: params and tags first (few), then metrics up to MLflow's 1,000 entities per call. */
  private take(): Batch {
    const params = this.params.length <= this.maxParams ? this.params : this.params.slice(0, this.maxParams);
    this.params = params === this.params ? [] : this.params.slice(this.maxParams);
    const tags: Tag[] = [];
    for (const [key, value] of this.tags) {
      if (tags.length >= this.maxTags) break;
      tags.push({ key, value });
    }
    for (const t of tags) this.tags.delete(t.key);
    const room = Math.min(this.maxMetrics, 1000 - params.length - tags.length);
    const end = Math.min(this.metrics.length, this.head + Math.max(0, room));
    const metrics = this.metrics.slice(this.head, end);
    this.head = end;
    if (this.head === this.metrics.length) {
      this.metrics = [];
      this.head = 0;
    } else if (this.head > 100_000) {
      this.metrics = this.metrics.slice(this.head);
      this.head = 0;
    }
    return { metrics, params, tags };
  }

  private async deliver(batch: Batch, inputs?: DatasetInput[]): Promise<void> {
    const ctx: DeliveryContext = {
      target: this.target,
      stats: this.stats,
      offlineFallback: this.opts.offlineFallback !== false,
      fallBack: (err) => this.fallBack(err),
      report: (e) => this.report(e),
      onSent: this.opts.onBatchSent,
      runId: this.runId,
    };
    await deliverBatch(ctx, batch, inputs);
  }

  /** Switches an online run to the offline spool; later batches go there too. */
  private fallBack(err: unknown): RunSpool {
    const t = this.target;
    if (t?.mode === "offline") return t.spool;
    const run = (t as Extract<LoggerTarget, { mode: "online" }>).run;
    const spool = RunSpool.create(this.opts.offlineDir ?? DEFAULT_OFFLINE_DIR, {
      runId: run.runId,
      experimentId: run.experimentId,
      experimentName: run.experimentName,
      runName: run.runName,
      userId: run.userId,
      startTime: run.startTime,
      tags: run.tags,
      reason: (err as Error).message,
    });
    this.target = { mode: "offline", spool };
    this.report(new LoggingError(
      `${(err as Error).message}. Run ${run.runId} continues offline in ${spool.dir}; upload it later with \`ciclo sync ${spool.dir}\`.`,
      "offline-fallback", run.runId, undefined, { cause: err }));
    return spool;
  }

  private refuseMetric(key: unknown, value: unknown): void {
    if (this.ended) return void this.refuseIfEnded("metric", 1);
    if (typeof key !== "string" || typeof value !== "number") {
      this.report(new LoggingError(`logMetric(${JSON.stringify(key)}, ${String(value)}): the key must be a string and the value a number.`,
        "invalid", this.runId, { metrics: 1, params: 0, tags: 0, inputs: 0 }));
      return;
    }
    // Report once per episode: the buffer-full state may last for millions of calls.
    if (!this.bufferFullReported) {
      this.bufferFullReported = true;
      this.report(new LoggingError(`The metric buffer holds ${this.maxBuffered} unsent points; further points are dropped until the server catches up.`,
        "buffer-full", this.runId, { metrics: 1, params: 0, tags: 0, inputs: 0 }));
    }
  }

  private refuseIfEnded(what: string, n: number): boolean {
    if (!this.ended) return false;
    this.report(new LoggingError(`Run ${this.runId} has ended; the ${what} logged after its end is dropped.`, "closed", this.runId,
      { metrics: what === "metric" ? n : 0, params: what === "param" ? n : 0, tags: what === "tag" ? n : 0, inputs: what === "inputs" ? n : 0 }));
    return true;
  }

  private report(err: LoggingError): void {
    if (this.errors.length < MAX_KEPT_ERRORS) this.errors.push(err);
    try {
      this.onError(err);
    } catch {
      // A throwing hook must not break logging either.
    }
  }

  private settle(): void {
    if (this.metrics.length - this.head < this.maxBuffered / 2) this.bufferFullReported = false;
    const d = this.done;
    this.waiters = this.waiters.filter((w) => {
      const t = w.target;
      const met = d.metrics >= t.metrics && d.params >= t.params && d.tags >= t.tags && d.inputs >= t.inputs;
      if (met) w.resolve();
      return !met;
    });
  }

  private takeReport(): FlushReport {
    const errors = this.errors;
    this.errors = [];
    const t = this.target;
    return { errors, offline: t?.mode === "offline", spoolDir: t?.mode === "offline" ? t.spool.dir : undefined };
  }
}
