/**
 * ASHA, asynchronous successive halving (Li et al., "A System for Massively
 * Parallel Hyperparameter Tuning", MLSys 2020), in its stopping form — the
 * one Optuna's SuccessiveHalvingPruner and Ray Tune's ASHAScheduler use.
 *
 * Rungs sit at steps r·η^k (r the minimum resource, η the reduction factor,
 * k = 0, 1, …, below the maximum resource when one is given). When a trial
 * first reaches a rung (logs a step ≥ the rung's), its value there — the
 * first point at or past the rung — joins that rung's record, and the trial
 * goes on only if it is in the best 1/η of the values recorded at the rung so
 * far (itself included). With fewer than η values recorded, it goes on only
 * if it is the best of them (Optuna's rule: trials are never paused, so the
 * first ones cannot wait for competitors). Each rung decides once per trial:
 * a trial promoted early is not stopped later because better ones arrive.
 * Defaults: η = 4, r = 1 (Optuna's and Ray's reduction factor).
 * @module
 */
import { better, definedOnly, formatNumber, type EarlyStopper, type StopDecision, type TrialCurve } from "./early-stopping.js";
import type { Direction } from "./sampler.js";

export interface AshaOptions {
  minResource: number;
  reductionFactor: number;
  /** No rung at or beyond this step (the trial's full length), if known. */
  maxResource?: number;
}

export const ASHA_DEFAULTS: AshaOptions = { minResource: 1, reductionFactor: 4 };

export class Asha implements EarlyStopper {
  readonly name = "asha" as const;
  readonly opts: AshaOptions;
  /** Values recorded per rung: trial number → value at that rung. */
  private readonly rungs: Array<Map<number, number>> = [];

  constructor(private readonly direction: Direction, opts: Partial<AshaOptions> = {}) {
    this.opts = { ...ASHA_DEFAULTS, ...definedOnly(opts) };
    if (!(this.opts.minResource > 0)) throw new RangeError(`ASHA's minimum resource must be > 0 (got ${this.opts.minResource}).`);
    if (!(this.opts.reductionFactor >= 2)) throw new RangeError(`ASHA's reduction factor must be ≥ 2 (got ${this.opts.reductionFactor}).`);
  }

  /** The step of rung k. */
  rungStep(k: number): number {
    return this.opts.minResource * this.opts.reductionFactor ** k;
  }

  decide(trial: TrialCurve, all: readonly TrialCurve[]): StopDecision {
    // Finished trials' curves fill the rungs they reached (a resumed sweep, or trials that ran past a rung between two
    // looks); running ones are recorded only when they are decided, or they would pass their rungs unjudged.
    for (const other of all) if (other.number !== trial.number && other.state !== "running") this.record(other);
    const reached = this.record(trial);
    for (const k of reached) {
      const rung = this.rungs[k];
      const value = rung.get(trial.number)!;
      const values = [...rung.values()].filter((v) => !Number.isNaN(v));
      if (Number.isNaN(value)) return { stop: true, reason: `ASHA rung ${k} (step ${formatNumber(this.rungStep(k))}): value is NaN.` };
      const keep = Math.max(1, Math.floor(values.length / this.opts.reductionFactor));
      const sorted = values.sort((a, b) => (this.direction === "min" ? a - b : b - a));
      const cutoff = sorted[keep - 1];
      if (better(this.direction, cutoff, value)) {
        return {
          stop: true,
          reason: `ASHA rung ${k} (step ${formatNumber(this.rungStep(k))}): ${formatNumber(value)} is not in the best ${keep} of ${values.length} (cutoff ${formatNumber(cutoff)}).`,
        };
      }
    }
    return { stop: false };
  }

  /** Records the trial's value at each rung it reached for the first time; returns those rungs. */
  private record(trial: TrialCurve): number[] {
    const fresh: number[] = [];
    if (trial.points.length === 0) return fresh;
    const lastStep = trial.points[trial.points.length - 1].step;
    for (let k = 0; ; k++) {
      const step = this.rungStep(k);
      if (step > lastStep) break;
      if (this.opts.maxResource !== undefined && step >= this.opts.maxResource) break;
      const rung = (this.rungs[k] ??= new Map());
      if (rung.has(trial.number)) continue;
      rung.set(trial.number, trial.points.find((p) => p.step >= step)!.value);
      fresh.push(k);
    }
    return fresh;
  }
}
