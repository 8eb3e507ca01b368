/**
 * What a finished (or stopped) sweep reports: trial counts, the best trial,
 * and how much each parameter mattered (fANOVA, see fanova.ts). Written to
 * the sweep run as tags and `sweep/summary.json`, and printed by the CLI.
 * @module
 */
import { fanovaImportances } from "./fanova.js";
import { trialRng } from "./rng.js";
import { bestTrial, type Direction, type TrialRecord } from "./sampler.js";
import { allParams, formatValue, type Distribution, type SearchSpace } from "./search-space.js";

export interface ParamImportance {
  param: string;
  /** Share of the objective's variance explained by this parameter alone (all shares sum to 1). */
  importance: number;
}

export interface SweepSummary {
  metric: string;
  direction: Direction;
  sampler: string;
  trials: { total: number; complete: number; pruned: number; failed: number; interrupted: number };
  best?: { number: number; runId?: string; value: number; params: Record<string, string> };
  importances: ParamImportance[];
  importanceMethod: "fanova";
  /** Why importances are missing or partial. */
  importanceNote?: string;
}

/** Fewer complete trials than this and importances say nothing. */
export const MIN_TRIALS_FOR_IMPORTANCE = 4;

export function summarizeSweep(opts: {
  space: SearchSpace;
  trials: readonly TrialRecord[];
  metric: string;
  direction: Direction;
  sampler: string;
  seed: number;
  runIds?: ReadonlyMap<number, string>;
}): SweepSummary {
  const count = (s: TrialRecord["state"]) => opts.trials.filter((t) => t.state === s).length;
  const best = bestTrial(opts.trials, opts.direction);
  const imp = parameterImportances(opts.space, opts.trials, opts.seed);
  return {
    metric: opts.metric,
    direction: opts.direction,
    sampler: opts.sampler,
    trials: { total: opts.trials.length, complete: count("complete"), pruned: count("pruned"), failed: count("failed"), interrupted: count("interrupted") },
    best: best && {
      number: best.number,
      runId: opts.runIds?.get(best.number),
      value: best.value!,
      params: Object.fromEntries(Object.entries(best.params).map(([k, v]) => [k, formatValue(v)])),
    },
    importances: imp.importances,
    importanceMethod: "fanova",
    importanceNote: imp.note,
  };
}

/** A parameter as a forest feature: its value on the scale it was searched on, and that scale's bounds. */
function feature(dist: Distribution, values: unknown[]): { encode(v: unknown): number; low: number; high: number } | undefined {
  switch (dist.kind) {
    case "uniform":
    case "quniform":
      return { encode: (v) => v as number, low: dist.low, high: dist.high };
    case "randint":
      return { encode: (v) => v as number, low: dist.low, high: dist.high - 1 };
    case "loguniform":
    case "qloguniform":
      return { encode: (v) => Math.log(v as number), low: Math.log(dist.low), high: Math.log(dist.high) };
    case "normal": {
      const nums = values as number[];
      return { encode: (v) => v as number, low: Math.min(...nums), high: Math.max(...nums) };
    }
    case "choice": {
      const labels = dist.options.map((o) => formatValue(o.value));
      return { encode: (v) => labels.indexOf(formatValue(v as string)), low: -0.5, high: labels.length - 0.5 };
    }
    case "const":
      return undefined;
  }
}

export function parameterImportances(space: SearchSpace, trials: readonly TrialRecord[], seed: number): { importances: ParamImportance[]; note?: string } {
  const complete = trials.filter((t) => t.state === "complete" && t.value !== undefined && Number.isFinite(t.value));
  if (complete.length < MIN_TRIALS_FOR_IMPORTANCE) {
    return { importances: [], note: `importances need at least ${MIN_TRIALS_FOR_IMPORTANCE} complete trials with a finite objective (${complete.length} so far).` };
  }
  const params = allParams(space).filter((p) => p.dist.kind !== "const");
  const used = params.filter((p) => complete.every((t) => t.params[p.name] !== undefined));
  const conditional = params.filter((p) => !used.includes(p)).map((p) => p.name);
  const features = used.map((p) => ({ name: p.name, f: feature(p.dist, complete.map((t) => t.params[p.name]))! }));
  if (features.length === 0) return { importances: [], note: "no parameter was active in every complete trial." };
  const x = complete.map((t) => features.map(({ name, f }) => f.encode(t.params[name])));
  const y = complete.map((t) => t.value!);
  const shares = fanovaImportances(x, y, features.map((f) => f.f.low), features.map((f) => f.f.high), trialRng(seed, -2, 2));
  const importances = features.map((f, i) => ({ param: f.name, importance: shares[i] })).sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
  const note = conditional.length > 0 ? `not rated (active in only some trials): ${conditional.join(", ")}.` : undefined;
  return { importances, note };
}
