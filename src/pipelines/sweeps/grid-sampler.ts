/**
 * Grid search over a discrete space: every combination of quantised values,
 * integers, choices and constants, each tried once. Continuous distributions
 * are refused (a grid needs a step: `quniform`/`qloguniform`). Nested choices
 * are enumerated per branch, so an option's own parameters multiply only its
 * share of the grid.
 *
 * Points are visited in a seeded shuffled order (Optuna's GridSampler also
 * picks unvisited points at random), so a sweep cut short by its trial or
 * time budget has spread over the grid instead of covering one corner.
 * @module
 */
import { trialRng } from "./rng.js";
import { SweepConfigError, type Sampler, type SampleContext } from "./sampler.js";
import { formatValue, gridSize, gridValue, type ParamValues, type SearchSpace, type SpaceParam } from "./search-space.js";

/** Larger grids are refused: their order is a permutation held in memory. */
export const MAX_GRID_POINTS = 1_000_000;

function paramCount(p: SpaceParam): number {
  const d = p.dist;
  switch (d.kind) {
    case "quniform":
    case "qloguniform":
      return gridSize(d.low, d.high, d.q);
    case "randint":
      return d.high - d.low;
    case "const":
      return 1;
    case "choice":
      return d.options.reduce((n, o) => n + (o.space ? spaceCount(o.space) : 1), 0);
    default:
      throw new SweepConfigError(`grid search needs a step for '${p.name}' (${d.kind} is continuous): use ${d.kind === "loguniform" ? "qloguniform" : "quniform"} [low, high, q], or another sampler.`);
  }
}

/** Number of points of the grid of `space`. */
export function spaceCount(space: SearchSpace): number {
  return space.reduce((n, p) => n * paramCount(p), 1);
}

/** The `index`-th point (mixed radix, first parameter fastest). */
export function gridPoint(space: SearchSpace, index: number, out: ParamValues = {}): ParamValues {
  let rest = index;
  for (const p of space) {
    const c = paramCount(p);
    paramPoint(p, rest % c, out);
    rest = Math.floor(rest / c);
  }
  return out;
}

function paramPoint(p: SpaceParam, k: number, out: ParamValues): void {
  const d = p.dist;
  switch (d.kind) {
    case "quniform":
    case "qloguniform":
      out[p.name] = gridValue(d.low, d.q, k);
      return;
    case "randint":
      out[p.name] = d.low + k;
      return;
    case "const":
      out[p.name] = d.value;
      return;
    case "choice":
      for (const o of d.options) {
        const size = o.space ? spaceCount(o.space) : 1;
        if (k < size) {
          out[p.name] = o.value;
          if (o.space) gridPoint(o.space, k, out);
          return;
        }
        k -= size;
      }
      return;
    default:
      throw new SweepConfigError(`grid search cannot enumerate '${p.name}' (${d.kind}).`);
  }
}

/** A trial's parameters as one comparable key. */
export function paramsKey(params: ParamValues): string {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, formatValue(params[k])]));
}

export class GridSampler implements Sampler {
  readonly name = "grid" as const;
  readonly size: number;
  private order?: Uint32Array;

  constructor(private readonly space: SearchSpace, private readonly seed: number) {
    this.size = spaceCount(space);
    if (this.size > MAX_GRID_POINTS) {
      throw new SweepConfigError(`the grid has ${this.size.toLocaleString("en")} points (at most ${MAX_GRID_POINTS.toLocaleString("en")}): use coarser steps, or the random or tpe sampler.`);
    }
  }

  sample(ctx: SampleContext): ParamValues | undefined {
    // An interrupted trial is owed a rerun: its point is free again.
    const seen = new Set(ctx.history.filter((t) => t.state !== "interrupted").map((t) => paramsKey(t.params)));
    for (const index of this.visitOrder()) {
      const point = gridPoint(this.space, index);
      if (!seen.has(paramsKey(point))) return point;
    }
    return undefined;
  }

  /** A Fisher–Yates permutation of the grid, the same for every trial of the sweep. */
  private visitOrder(): Uint32Array {
    if (this.order) return this.order;
    const order = new Uint32Array(this.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const rng = trialRng(this.seed, -1, 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return (this.order = order);
  }
}
