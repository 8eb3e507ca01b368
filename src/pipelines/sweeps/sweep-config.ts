/**
 * A sweep's settings, resolved from the `sweep:` block, the space file and
 * the command line. They are recorded on the sweep run (as JSON), which is
 * what `--resume` reads back: a resumed sweep continues the same search.
 * @module
 */
import { Asha, type AshaOptions } from "./asha.js";
import type { EarlyStopper } from "./early-stopping.js";
import { GridSampler } from "./grid-sampler.js";
import { MedianStopping, type MedianOptions } from "./median-stopping.js";
import { RandomSampler } from "./random-sampler.js";
import type { Direction, Sampler, SamplerName } from "./sampler.js";
import type { SearchSpace } from "./search-space.js";
import { TpeSampler, type TpeOptions } from "./tpe-sampler.js";

export type EarlyStopConfig = ({ rule: "asha" } & Partial<AshaOptions>) | ({ rule: "median" } & Partial<MedianOptions>);

export interface SweepConfig {
  space: SearchSpace;
  /** The objective: this metric's last value when a trial ends. */
  metric: string;
  direction: Direction;
  sampler: SamplerName;
  seed: number;
  /** Trials to finish (complete, pruned or failed); interrupted ones do not count. */
  maxTrials: number;
  maxParallel: number;
  /** No trial starts after this long (ms); running ones finish. */
  timeoutMs?: number;
  earlyStop?: EarlyStopConfig;
  /** The metric early stopping watches, by step (default: `metric`). */
  intermediateMetric?: string;
  tpe?: Partial<TpeOptions>;
  /** For project sweeps: what each trial runs. */
  project?: { dir: string; entryPoint: string; params: Record<string, string> };
}

export function createSampler(config: SweepConfig): Sampler {
  switch (config.sampler) {
    case "random":
      return new RandomSampler(config.space);
    case "grid":
      return new GridSampler(config.space, config.seed);
    case "tpe":
      return new TpeSampler(config.space, config.tpe);
  }
}

export function createEarlyStopper(config: SweepConfig): EarlyStopper | undefined {
  const es = config.earlyStop;
  if (!es) return undefined;
  if (es.rule === "asha") {
    const { rule: _, ...opts } = es;
    return new Asha(config.direction, opts);
  }
  const { rule: _, ...opts } = es;
  return new MedianStopping(config.direction, opts);
}

/** The settings as recorded on the sweep run (functions of `tpe` are not recordable and are dropped). */
export function configToJson(config: SweepConfig): string {
  const { tpe, ...rest } = config;
  const numeric = tpe && Object.fromEntries(Object.entries(tpe).filter(([, v]) => typeof v === "number"));
  return JSON.stringify(numeric && Object.keys(numeric).length > 0 ? { ...rest, tpe: numeric } : rest);
}

export function configFromJson(text: string): SweepConfig {
  const c = JSON.parse(text) as SweepConfig;
  if (!Array.isArray(c.space) || typeof c.metric !== "string" || (c.direction !== "min" && c.direction !== "max")) {
    throw new Error("the recorded sweep settings are not readable (space, metric or direction missing).");
  }
  return c;
}
