/**
 * What every sampler sees and returns. A sampler is asked for one trial's
 * parameters at a time, given the trials so far (running ones included, so
 * grid search does not hand out a point twice) and a generator seeded for
 * that trial number.
 * @module
 */
import type { Rng } from "./rng.js";
import type { ParamValues } from "./search-space.js";

/** `interrupted`: stopped because the sweep was (Ctrl-C); a resumed sweep runs its trial again. */
export type TrialState = "running" | "complete" | "pruned" | "failed" | "interrupted";

/** `min`: lower objective is better (a loss); `max`: higher is better (an accuracy). */
export type Direction = "min" | "max";

export interface TrialRecord {
  number: number;
  params: ParamValues;
  state: TrialState;
  /** The objective: the metric's last value when the trial completed. */
  value?: number;
  /** The last intermediate value seen and its step (pruned trials are ranked by how far they got). */
  lastStep?: number;
  lastValue?: number;
}

export interface SampleContext {
  /** The trial being sampled (0-based). */
  number: number;
  history: readonly TrialRecord[];
  direction: Direction;
  rng: Rng;
}

export type SamplerName = "random" | "grid" | "tpe";
export const SAMPLER_NAMES: readonly SamplerName[] = ["tpe", "random", "grid"];

export interface Sampler {
  readonly name: SamplerName;
  /** Parameters for the next trial; undefined when the sampler has nothing left (a finished grid). */
  sample(ctx: SampleContext): ParamValues | undefined;
  /** How many distinct trials the sampler can produce (a grid's size), if finite. */
  readonly size?: number;
}

/** A problem with the sweep's settings (not with one file's text): the CLI exits 2. */
export class SweepConfigError extends Error {
  override name = "SweepConfigError";
}

/** Sorts trials best first: complete ones by objective, then pruned ones by how far they got and their last value. */
export function rankTrials(trials: readonly TrialRecord[], direction: Direction): TrialRecord[] {
  const sign = direction === "min" ? 1 : -1;
  const score = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? Infinity : sign * v);
  const complete = trials.filter((t) => t.state === "complete").sort((a, b) => score(a.value) - score(b.value) || a.number - b.number);
  const pruned = trials
    .filter((t) => t.state === "pruned")
    .sort((a, b) => (b.lastStep ?? -1) - (a.lastStep ?? -1) || score(a.lastValue) - score(b.lastValue) || a.number - b.number);
  return [...complete, ...pruned];
}

/** The best complete trial, if any has an objective value. */
export function bestTrial(trials: readonly TrialRecord[], direction: Direction): TrialRecord | undefined {
  const best = rankTrials(trials, direction)[0];
  return best?.state === "complete" && best.value !== undefined && !Number.isNaN(best.value) ? best : undefined;
}
