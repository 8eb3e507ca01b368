/**
 * The sweep loop: asks the sampler for parameters, creates each trial's run,
 * hands the trial to the executor (at most `maxParallel` at a time), watches
 * intermediate values for early stopping, and records how each trial ended —
 * until the trial budget, the time budget or the sampler (a finished grid)
 * runs out, or the caller interrupts.
 *
 * Budgets: `maxTrials` counts trials that ended complete, pruned or failed;
 * interrupted ones (Ctrl-C) do not, and a resumed sweep runs them again.
 * After the time budget no trial starts; running trials finish (Optuna's
 * `timeout`). Trial k draws from a generator seeded by (seed, k), so a
 * resumed sweep samples what the uninterrupted one would have, given the same
 * finished trials.
 *
 * Early stopping looks at a trial when it reports (in-process trials) or
 * every `pollMs` (trials that log to the tracking server); checks run one at
 * a time, so the rule's state sees trials in a definite order.
 * @module
 */
import { trialRng } from "./rng.js";
import { bestTrial, type Sampler, type TrialRecord } from "./sampler.js";
import { createEarlyStopper, createSampler, type SweepConfig } from "./sweep-config.js";
import { summarizeSweep, type SweepSummary } from "./sweep-summary.js";
import type { CurvePoint, EarlyStopper, TrialCurve } from "./early-stopping.js";
import type { SweepTracker } from "./sweep-tracker.js";
import type { PreparedTrial, TrialExecutor, TrialExit, TrialHandle } from "./trial-executor.js";
import { formatValue } from "./search-space.js";

export type SweepEvent =
  | { type: "trial-started"; trial: TrialRecord; runId: string }
  | { type: "trial-stopping"; trial: TrialRecord; reason: string }
  | { type: "trial-ended"; trial: TrialRecord; runId: string; reason?: string; done: number; best?: TrialRecord };

export interface SweepRunnerOptions {
  config: SweepConfig;
  tracker: SweepTracker;
  executor: TrialExecutor;
  sampler?: Sampler;
  stopper?: EarlyStopper;
  /** How often trials that log to the server are looked at for early stopping (default 1 s). */
  pollMs?: number;
  now?: () => number;
  onEvent?(event: SweepEvent): void;
  /** Aborting interrupts the sweep: running trials are stopped and recorded as interrupted. */
  signal?: AbortSignal;
  /** Continue the trials the tracker already holds. */
  resume?: boolean;
}

export interface SweepResult {
  summary: SweepSummary;
  status: "FINISHED" | "FAILED" | "KILLED";
  trials: TrialRecord[];
  /** Each trial's run id, by trial number. */
  runIds: ReadonlyMap<number, string>;
  /** The sampler had nothing left (every grid point tried). */
  exhausted: boolean;
  timedOut: boolean;
  interrupted: boolean;
}

interface LiveTrial {
  record: TrialRecord;
  runId: string;
  handle: TrialHandle;
  lastStep: number;
  stopReason?: string;
  interrupted?: boolean;
}

const COUNTED = new Set(["complete", "pruned", "failed"]);

export class SweepRunner {
  private readonly config: SweepConfig;
  private readonly sampler: Sampler;
  private readonly stopper?: EarlyStopper;
  private readonly now: () => number;
  private readonly trials: TrialRecord[] = [];
  private readonly runIds = new Map<number, string>();
  private readonly curves = new Map<number, CurvePoint[]>();
  private readonly live = new Map<number, LiveTrial>();
  private readonly finished: Array<[LiveTrial, TrialExit]> = [];
  private checks: Promise<void> = Promise.resolve();
  private woken = false;
  private wakeUp?: () => void;

  constructor(private readonly opts: SweepRunnerOptions) {
    this.config = opts.config;
    this.sampler = opts.sampler ?? createSampler(opts.config);
    this.stopper = opts.stopper ?? createEarlyStopper(opts.config);
    this.now = opts.now ?? Date.now;
  }

  private get key(): string {
    return this.config.intermediateMetric ?? this.config.metric;
  }

  async run(): Promise<SweepResult> {
    const { config, tracker, executor } = this.opts;
    const deadline = config.timeoutMs !== undefined ? this.now() + config.timeoutMs : Infinity;
    if (this.opts.resume) {
      for (const t of await tracker.loadTrials(this.stopper !== undefined)) {
        this.trials.push(t.record);
        this.runIds.set(t.record.number, t.runId);
        this.curves.set(t.record.number, t.curve);
      }
    }
    let next = this.trials.reduce((m, t) => Math.max(m, t.number + 1), 0);
    let exhausted = false;
    let timedOut = false;
    let interrupted = this.opts.signal?.aborted ?? false;
    const onAbort = () => {
      interrupted = true;
      for (const l of this.live.values()) this.stop(l, "the sweep was interrupted", true);
      this.wake();
    };
    this.opts.signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        while (!interrupted && !exhausted && this.live.size < config.maxParallel && this.counted() + this.live.size < config.maxTrials) {
          if (this.now() >= deadline) {
            timedOut = true;
            break;
          }
          const params = this.sampler.sample({ number: next, history: this.trials, direction: config.direction, rng: trialRng(config.seed, next) });
          if (!params) {
            exhausted = true;
            break;
          }
          const record: TrialRecord = { number: next, params, state: "running" };
          // A value the entry point refuses for this trial only (a path choice that does not exist) fails the trial, not the sweep.
          let prepared: PreparedTrial;
          let refused: string | undefined;
          try {
            prepared = executor.prepare(params);
          } catch (err) {
            refused = (err as Error).message;
            prepared = { params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, formatValue(v)])), tags: {} };
          }
          const runId = await tracker.createTrial(next, prepared);
          this.trials.push(record);
          this.runIds.set(next, runId);
          this.curves.set(next, []);
          const handle: TrialHandle = refused
            ? { done: Promise.resolve({ status: "FAILED", message: refused }), stop: () => {} }
            : executor.start({ number: next, runId, params, onReport: () => this.check(record.number) });
          const l: LiveTrial = { record, runId, handle, lastStep: -Infinity };
          this.live.set(next, l);
          // Interrupted while the trial was starting (before it was in `live`).
          if (interrupted) this.stop(l, "the sweep was interrupted", true);
          handle.done.then(
            (exit) => this.push(l, exit),
            (err: Error) => this.push(l, { status: "FAILED", message: err.message }),
          );
          this.opts.onEvent?.({ type: "trial-started", trial: record, runId });
          next++;
        }
        if (this.live.size === 0 && this.finished.length === 0) break;
        const poll = this.stopper && !executor.reports ? (this.opts.pollMs ?? 1000) : undefined;
        await this.sleep(poll);
        for (const [l, exit] of this.finished.splice(0)) await this.end(l, exit);
        if (poll !== undefined) for (const n of [...this.live.keys()]) await this.check(n);
      }
    } catch (err) {
      for (const l of this.live.values()) this.stop(l, "the sweep failed", true);
      await Promise.allSettled([...this.live.values()].map((l) => l.handle.done));
      // Best effort: the sweep run should not stay RUNNING (the tracker may be what failed).
      await tracker.finish(this.summarize(), "FAILED").catch(() => {});
      throw err;
    } finally {
      this.opts.signal?.removeEventListener("abort", onAbort);
    }
    await this.checks;
    const summary = this.summarize();
    const status = interrupted ? "KILLED" : summary.trials.complete > 0 ? "FINISHED" : "FAILED";
    await tracker.finish(summary, status);
    return { summary, status, trials: this.trials, runIds: this.runIds, exhausted, timedOut, interrupted };
  }

  private summarize(): SweepSummary {
    const c = this.config;
    return summarizeSweep({ space: c.space, trials: this.trials, metric: c.metric, direction: c.direction, sampler: this.sampler.name, seed: c.seed, runIds: this.runIds });
  }

  private counted(): number {
    return this.trials.filter((t) => COUNTED.has(t.state)).length;
  }

  private push(l: LiveTrial, exit: TrialExit): void {
    this.finished.push([l, exit]);
    this.wake();
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Waits for a trial to end, a wake-up, or `ms` (none: no timer). */
  private async sleep(ms: number | undefined): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.wakeUp = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private stop(l: LiveTrial, reason: string, interrupted = false): void {
    if (l.stopReason && !interrupted) return;
    l.stopReason = reason;
    l.interrupted = interrupted;
    l.handle.stop(reason);
  }

  /** Reads a running trial's new points and asks the rule about it; checks run one after another. */
  private check(number: number): Promise<void> {
    const run = async () => {
      const l = this.live.get(number);
      if (!this.stopper || !l || l.stopReason) return;
      try {
        if (!(await this.readPoints(l))) return;
      } catch {
        return; // The server did not answer this time (the SDK has retried): the next look will.
      }
      const all: TrialCurve[] = this.trials.map((t) => ({ number: t.number, state: t.state, points: this.curves.get(t.number) ?? [] }));
      const decision = this.stopper.decide({ number, state: "running", points: this.curves.get(number)! }, all);
      if (decision.stop) {
        const reason = decision.reason ?? "stopped early";
        this.stop(l, reason);
        this.opts.onEvent?.({ type: "trial-stopping", trial: l.record, reason });
      }
    };
    this.checks = this.checks.then(run, run);
    return this.checks;
  }

  private async readPoints(l: LiveTrial): Promise<boolean> {
    const points = await this.opts.tracker.readCurve(l.runId, this.key, l.lastStep);
    if (points.length === 0) return false;
    this.curves.get(l.record.number)!.push(...points);
    l.lastStep = points[points.length - 1].step;
    return true;
  }

  private async end(l: LiveTrial, exit: TrialExit): Promise<void> {
    const { tracker, config } = { tracker: this.opts.tracker, config: this.config };
    await this.checks;
    if (this.stopper) await this.readPoints(l);
    const record = l.record;
    let reason: string | undefined;
    if (exit.status === "FINISHED" && !l.interrupted) {
      const value = await tracker.readObjective(l.runId, config.metric);
      if (value === undefined) {
        record.state = "failed";
        reason = `the trial ended without logging '${config.metric}'`;
      } else {
        record.state = "complete";
        record.value = value;
      }
    } else if (l.interrupted) {
      record.state = "interrupted";
      reason = l.stopReason;
    } else if (l.stopReason) {
      record.state = "pruned";
      reason = l.stopReason;
    } else {
      record.state = "failed";
      reason = exit.message ?? `exit code ${exit.exitCode}`;
    }
    const curve = this.curves.get(record.number) ?? [];
    const last = curve.at(-1);
    if (last) {
      record.lastStep = last.step;
      record.lastValue = last.value;
    }
    this.live.delete(record.number);
    const status = record.state === "complete" ? "FINISHED" : record.state === "failed" ? "FAILED" : "KILLED";
    await tracker.endTrial(l.runId, { record, status, reason });
    const best = bestTrial(this.trials, config.direction);
    await tracker.progress(this.counted(), best);
    this.opts.onEvent?.({ type: "trial-ended", trial: record, runId: l.runId, reason, done: this.counted(), best });
  }
}
