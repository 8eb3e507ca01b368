/**
 * Where a sweep keeps its trials: a tracked run per trial, children of the
 * sweep's run ({@link TrackingSweepTracker}, through the SDK against a
 * tracking server), or memory ({@link MemorySweepTracker}: the benchmark's
 * thousands of trials, and tests of the sweep loop itself).
 * @module
 */
import type { CurvePoint } from "./early-stopping.js";
import type { TrialRecord } from "./sampler.js";
import type { SweepSummary } from "./sweep-summary.js";
import type { PreparedTrial, TrialSink } from "./trial-executor.js";

export interface TrialEnd {
  record: TrialRecord;
  status: "FINISHED" | "FAILED" | "KILLED";
  /** Why it was pruned, failed or interrupted. */
  reason?: string;
}

export interface ResumedTrial {
  record: TrialRecord;
  runId: string;
  /** The intermediate metric's points (read only when early stopping is on). */
  curve: CurvePoint[];
}

export interface SweepTracker extends TrialSink {
  createTrial(number: number, prepared: PreparedTrial): Promise<string>;
  /** Points of `key` with step > `afterStep`, ascending. */
  readCurve(runId: string, key: string, afterStep: number): Promise<CurvePoint[]>;
  /** The metric's last value, or undefined when the trial never logged it. */
  readObjective(runId: string, key: string): Promise<number | undefined>;
  endTrial(runId: string, end: TrialEnd): Promise<void>;
  /** After each finished trial: counts and the best so far (the sweep run's progress metrics). */
  progress(done: number, best: TrialRecord | undefined): Promise<void>;
  /** Trials recorded by an earlier run of this sweep (resume). */
  loadTrials(curves: boolean): Promise<ResumedTrial[]>;
  finish(summary: SweepSummary, status: "FINISHED" | "FAILED" | "KILLED"): Promise<void>;
}

interface MemoryTrial {
  runId: string;
  number: number;
  prepared: PreparedTrial;
  curves: Map<string, CurvePoint[]>;
  metrics: Map<string, number>;
  end?: TrialEnd;
}

export class MemorySweepTracker implements SweepTracker {
  readonly trials = new Map<string, MemoryTrial>();
  summary?: SweepSummary;
  status?: string;

  async createTrial(number: number, prepared: PreparedTrial): Promise<string> {
    const runId = `trial-${number}`;
    this.trials.set(runId, { runId, number, prepared, curves: new Map(), metrics: new Map() });
    return runId;
  }

  async logIntermediate(runId: string, key: string, point: CurvePoint): Promise<void> {
    const t = this.trials.get(runId)!;
    const curve = t.curves.get(key) ?? [];
    curve.push(point);
    t.curves.set(key, curve);
    t.metrics.set(key, point.value);
  }

  async logObjective(runId: string, key: string, value: number): Promise<void> {
    this.trials.get(runId)!.metrics.set(key, value);
  }

  async readCurve(runId: string, key: string, afterStep: number): Promise<CurvePoint[]> {
    return (this.trials.get(runId)?.curves.get(key) ?? []).filter((p) => p.step > afterStep);
  }

  async readObjective(runId: string, key: string): Promise<number | undefined> {
    return this.trials.get(runId)?.metrics.get(key);
  }

  async endTrial(runId: string, end: TrialEnd): Promise<void> {
    this.trials.get(runId)!.end = end;
  }

  async progress(): Promise<void> {}

  async loadTrials(): Promise<ResumedTrial[]> {
    return [];
  }

  async finish(summary: SweepSummary, status: string): Promise<void> {
    this.summary = summary;
    this.status = status;
  }
}
