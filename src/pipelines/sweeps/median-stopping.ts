/**
 * The median stopping rule (Golovin et al., "Google Vizier", KDD 2017, §3.2.2):
 * stop a trial at step s if its best value up to s is worse than the median,
 * over completed trials, of their running averages up to s.
 *
 * Guards as in Optuna's MedianPruner: nothing is stopped before
 * `minTrials` trials have completed (default 5) or before step
 * `warmupSteps` (default 0); a completed trial counts at step s only if it
 * logged a value at or before s.
 * @module
 */
import { better, definedOnly, formatNumber, type EarlyStopper, type StopDecision, type TrialCurve } from "./early-stopping.js";
import type { Direction } from "./sampler.js";

export interface MedianOptions {
  minTrials: number;
  warmupSteps: number;
}

export const MEDIAN_DEFAULTS: MedianOptions = { minTrials: 5, warmupSteps: 0 };

export class MedianStopping implements EarlyStopper {
  readonly name = "median" as const;
  readonly opts: MedianOptions;

  constructor(private readonly direction: Direction, opts: Partial<MedianOptions> = {}) {
    this.opts = { ...MEDIAN_DEFAULTS, ...definedOnly(opts) };
  }

  decide(trial: TrialCurve, all: readonly TrialCurve[]): StopDecision {
    const last = trial.points.at(-1);
    if (!last || last.step < this.opts.warmupSteps) return { stop: false };
    const s = last.step;
    const averages: number[] = [];
    for (const other of all) {
      if (other.state !== "complete" || other.number === trial.number) continue;
      const upTo = other.points.filter((p) => p.step <= s && !Number.isNaN(p.value));
      if (upTo.length > 0) averages.push(upTo.reduce((sum, p) => sum + p.value, 0) / upTo.length);
    }
    if (averages.length < this.opts.minTrials) return { stop: false };
    averages.sort((a, b) => a - b);
    const mid = averages.length >> 1;
    const median = averages.length % 2 ? averages[mid] : (averages[mid - 1] + averages[mid]) / 2;
    const values = trial.points.filter((p) => p.step <= s).map((p) => p.value);
    const best = values.reduce((b, v) => (better(this.direction, v, b) ? v : b), NaN);
    if (Number.isNaN(best) || better(this.direction, median, best)) {
      return {
        stop: true,
        reason: `median rule at step ${formatNumber(s)}: best ${formatNumber(best)} is worse than the median ${formatNumber(median)} of ${averages.length} completed trials' running averages.`,
      };
    }
    return { stop: false };
  }
}
