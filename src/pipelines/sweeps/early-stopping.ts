/**
 * Early stopping: a rule that looks at the intermediate values trials log
 * (a metric per step — an epoch, a number of samples) and stops trials that
 * are unlikely to end well, so the budget goes to the promising ones.
 *
 * The sweep asks the rule about a running trial each time it has seen new
 * points of that trial; a trial told to stop is stopped (its process is sent
 * SIGTERM) and recorded as pruned. Rules see every trial's curve, finished
 * ones included.
 * @module
 */
import type { Direction, TrialState } from "./sampler.js";

export interface CurvePoint {
  step: number;
  value: number;
}

export interface TrialCurve {
  number: number;
  state: TrialState;
  /** Intermediate values in ascending step order. */
  points: CurvePoint[];
}

export interface StopDecision {
  stop: boolean;
  /** Why, in a sentence for the trial's tags and the progress log. */
  reason?: string;
}

export type EarlyStopName = "asha" | "median";
export const EARLY_STOP_NAMES: readonly EarlyStopName[] = ["asha", "median"];

export interface EarlyStopper {
  readonly name: EarlyStopName;
  /** Should `trial` (running) stop, given every trial's curve so far? */
  decide(trial: TrialCurve, all: readonly TrialCurve[]): StopDecision;
}

/** Better-than for the direction; NaN is never better. */
export function better(direction: Direction, a: number, b: number): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return direction === "min" ? a < b : a > b;
}

export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

/** Options without their undefined entries, so `{ ...defaults, ...definedOnly(given) }` keeps the defaults. */
export function definedOnly<T extends object>(opts: T): Partial<T> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<T>;
}
