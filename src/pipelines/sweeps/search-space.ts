/**
 * Search spaces: what a sweep may try, as Hyperopt's `hp.*` expressions.
 *
 * A space is an ordered list of named parameters. Each is a distribution, a
 * constant, or a `choice` whose options may carry their own sub-space (a
 * nested choice, like Hyperopt's `hp.choice` over dicts): the sub-space's
 * parameters exist only in trials that picked that option. Names are unique
 * across the whole tree, because every parameter reaches the entry point as
 * one flat `-P name=value`.
 *
 * Semantics (where the reference systems differ, Optuna's intuitive one):
 * - `uniform [low, high]`, `loguniform [low, high]` (low > 0): floats.
 * - `quniform [low, high, q]`: one of low, low+q, …, ≤ high, equally likely
 *   (Hyperopt instead rounds to multiples of q, so its ends are half as likely).
 * - `qloguniform [low, high, q]`: log-uniform, then rounded to the same grid.
 * - `normal [mu, sigma]`: unbounded floats.
 * - `randint [low, high]`: integers low ≤ n < high (numpy's and Hyperopt's bound).
 * - `choice [a, b, …]` or `choice {label: {sub-space}, …}`.
 * @module
 */

export type Scalar = string | number | boolean;

export type Distribution =
  | { kind: "uniform" | "loguniform"; low: number; high: number }
  | { kind: "quniform" | "qloguniform"; low: number; high: number; q: number }
  | { kind: "normal"; mu: number; sigma: number }
  | { kind: "randint"; low: number; high: number }
  | { kind: "choice"; options: ChoiceOption[] }
  | { kind: "const"; value: Scalar };

export interface ChoiceOption {
  /** The value passed to the entry point (the label for nested options). */
  value: Scalar;
  /** Parameters that exist only when this option is chosen. */
  space?: SearchSpace;
}

export interface SpaceParam {
  name: string;
  dist: Distribution;
}

export type SearchSpace = SpaceParam[];

/** Sampled values by parameter name (only the active ones). */
export type ParamValues = Record<string, Scalar>;

export type DistributionKind = Distribution["kind"];

/** Every parameter of the tree, active or not, depth first. */
export function allParams(space: SearchSpace): SpaceParam[] {
  const out: SpaceParam[] = [];
  const walk = (s: SearchSpace) => {
    for (const p of s) {
      out.push(p);
      if (p.dist.kind === "choice") for (const o of p.dist.options) if (o.space) walk(o.space);
    }
  };
  walk(space);
  return out;
}

/** True when some choice carries a sub-space (the space is a tree, not a box). */
export function isConditional(space: SearchSpace): boolean {
  return space.some((p) => p.dist.kind === "choice" && p.dist.options.some((o) => o.space && o.space.length > 0));
}

/** Decimal places needed to write `x` exactly (0.05 → 2, 1e-3 → 3, 10 → 0). */
function decimals(x: number): number {
  if (Number.isInteger(x)) return 0;
  const text = String(x);
  const e = text.match(/e-(\d+)$/);
  if (e) return Number(e[1]) + (text.split("e")[0].split(".")[1]?.length ?? 0);
  return text.split(".")[1]?.length ?? 0;
}

/** The k-th point of a quantised grid, without 0.1 + 0.2 noise (0.30000000000000004). */
export function gridValue(low: number, q: number, k: number): number {
  const places = Math.min(15, Math.max(decimals(low), decimals(q)));
  return Number((low + k * q).toFixed(places));
}

/** Points on the grid low, low+q, …, ≤ high (a float tolerance keeps the last one). */
export function gridSize(low: number, high: number, q: number): number {
  return Math.floor((high - low) / q + 1e-9) + 1;
}

/** The grid point nearest to `x` (clamped to the grid). */
export function snapToGrid(x: number, low: number, high: number, q: number): number {
  const k = Math.min(gridSize(low, high, q) - 1, Math.max(0, Math.round((x - low) / q)));
  return gridValue(low, q, k);
}

/** A value as the string an entry point receives (and the run records as a param). */
export function formatValue(v: Scalar): string {
  return String(v);
}

/**
 * Reads a recorded param string back into the space's type: numbers for
 * numeric distributions, the option's own value for choices. Undefined when
 * the string does not fit (a resumed sweep then leaves that trial out of the
 * sampler's history rather than guess).
 */
export function parseValue(dist: Distribution, text: string): Scalar | undefined {
  switch (dist.kind) {
    case "choice": {
      const opt = dist.options.find((o) => formatValue(o.value) === text);
      return opt?.value;
    }
    case "const":
      return formatValue(dist.value) === text ? dist.value : undefined;
    default: {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
    }
  }
}
