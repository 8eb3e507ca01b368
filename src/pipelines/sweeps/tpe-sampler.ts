/**
 * TPE, the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio &
 * Kégl, "Algorithms for Hyper-Parameter Optimization", NIPS 2011) — the
 * algorithm behind Hyperopt and Optuna's default sampler.
 *
 * After `nStartupTrials` random trials, the finished trials are split into
 * the best γ(n) ("below", density l) and the rest ("above", density g). For
 * each parameter, `nEiCandidates` values are drawn from l and the one with
 * the largest l(x)/g(x) is kept: the paper shows that maximises expected
 * improvement. Parameters are modelled one at a time (univariate TPE), and a
 * nested choice's parameters only from the trials where they were active,
 * which is what the "tree" of the name means.
 *
 * Defaults are Optuna's (TPESampler): γ(n) = min(⌈n/10⌉, 25); 10 startup
 * trials; 24 candidates; prior weight 1; observation weights 1, or for n ≥ 25
 * a ramp from 1/n up to 1 over all but the newest 25 trials. Hyperopt's
 * differ (γ = ⌈0.25·√n⌉, 20 startup jobs): see `HYPEROPT_TPE`.
 * Pruned trials rank after complete ones, the furthest-running first (as in
 * Optuna); failed and running trials are left out.
 * @module
 */
import { ParzenEstimator, type NumericDomain } from "./parzen-estimator.js";
import { sampleSpace, walkSpace } from "./random-sampler.js";
import type { Rng } from "./rng.js";
import { rankTrials, type Sampler, type SampleContext, type TrialRecord } from "./sampler.js";
import { gridSize, gridValue, snapToGrid, type Distribution, type ParamValues, type Scalar, type SearchSpace, type SpaceParam } from "./search-space.js";

export interface TpeOptions {
  nStartupTrials: number;
  nEiCandidates: number;
  priorWeight: number;
  /** How many of n finished trials form the "below" (good) group. */
  gamma(n: number): number;
  /** Weights of n observations in trial order (oldest first). */
  weights(n: number): number[];
}

export function optunaWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export const OPTUNA_TPE: TpeOptions = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  priorWeight: 1,
  gamma: (n) => Math.min(Math.ceil(0.1 * n), 25),
  weights: optunaWeights,
};

export const HYPEROPT_TPE: TpeOptions = {
  ...OPTUNA_TPE,
  nStartupTrials: 20,
  gamma: (n) => Math.min(Math.ceil(0.25 * Math.sqrt(n)), 25),
};

/** How a numeric distribution maps to the estimator's scale, and back. */
interface NumericModel {
  domain: NumericDomain;
  toModel(v: number): number;
  /** A model-scale draw back to a valid value (snapped to the grid when quantised). */
  toValue(x: number): number;
  /** The grid cell of a value, in model scale (quantised only). */
  cell?(v: number): [number, number];
}

function numericModel(dist: Distribution): NumericModel | undefined {
  const bounded = (low: number, high: number): NumericDomain => ({ low, high, priorMu: (low + high) / 2, priorSigma: high - low });
  switch (dist.kind) {
    case "uniform":
      return { domain: bounded(dist.low, dist.high), toModel: (v) => v, toValue: (x) => Math.min(dist.high, Math.max(dist.low, x)) };
    case "loguniform":
      return {
        domain: bounded(Math.log(dist.low), Math.log(dist.high)),
        toModel: Math.log,
        toValue: (x) => Math.min(dist.high, Math.max(dist.low, Math.exp(x))),
      };
    case "normal":
      return { domain: { low: -Infinity, high: Infinity, priorMu: dist.mu, priorSigma: dist.sigma }, toModel: (v) => v, toValue: (x) => x };
    case "quniform":
    case "randint": {
      const q = dist.kind === "randint" ? 1 : dist.q;
      const last = dist.kind === "randint" ? dist.high - 1 : gridValue(dist.low, q, gridSize(dist.low, dist.high, q) - 1);
      return {
        domain: bounded(dist.low - q / 2, last + q / 2),
        toModel: (v) => v,
        toValue: (x) => (dist.kind === "randint" ? Math.min(last, Math.max(dist.low, Math.round(x))) : snapToGrid(x, dist.low, dist.high, q)),
        cell: (v) => [v - q / 2, v + q / 2],
      };
    }
    case "qloguniform": {
      const { low, high, q } = dist;
      const last = gridValue(low, q, gridSize(low, high, q) - 1);
      // The first cell cannot reach below 0 on a log scale: it starts half-way to 0 instead.
      const edge = low - q / 2 > 0 ? low - q / 2 : low / 2;
      return {
        domain: bounded(Math.log(edge), Math.log(last + q / 2)),
        toModel: Math.log,
        toValue: (x) => snapToGrid(Math.exp(x), low, high, q),
        cell: (v) => [Math.log(Math.max(edge, v - q / 2)), Math.log(v + q / 2)],
      };
    }
    default:
      return undefined;
  }
}

export class TpeSampler implements Sampler {
  readonly name = "tpe" as const;
  private readonly opts: TpeOptions;

  constructor(private readonly space: SearchSpace, opts: Partial<TpeOptions> = {}) {
    this.opts = { ...OPTUNA_TPE, ...opts };
  }

  sample(ctx: SampleContext): ParamValues {
    const finished = ctx.history.filter((t) => t.state === "complete" || t.state === "pruned");
    if (finished.length < this.opts.nStartupTrials || !finished.some((t) => t.state === "complete")) return sampleSpace(this.space, ctx.rng);
    const ranked = rankTrials(finished, ctx.direction);
    const nBelow = Math.max(1, this.opts.gamma(ranked.length));
    const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
    const below = ranked.slice(0, nBelow).sort(byNumber);
    const above = ranked.slice(nBelow).sort(byNumber);
    return walkSpace(this.space, (param) => this.pick(param, below, above, ctx.rng));
  }

  private pick(param: SpaceParam, below: TrialRecord[], above: TrialRecord[], rng: Rng): Scalar {
    const dist = param.dist;
    const values = (trials: TrialRecord[]) => trials.map((t) => t.params[param.name]).filter((v) => v !== undefined);
    if (dist.kind === "const") return dist.value;
    if (dist.kind === "choice") return this.pickChoice(dist.options.map((o) => o.value), values(below), values(above), rng);
    const model = numericModel(dist)!;
    const fit = (vs: Scalar[]) => {
      const xs = vs.filter((v): v is number => typeof v === "number" && Number.isFinite(v)).map(model.toModel);
      return new ParzenEstimator(xs, this.opts.weights(xs.length), model.domain, this.opts.priorWeight);
    };
    const l = fit(values(below));
    const g = fit(values(above));
    let best: number | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < this.opts.nEiCandidates; i++) {
      const value = model.toValue(l.sample(rng));
      let score: number;
      if (model.cell) {
        const [a, b] = model.cell(value);
        score = l.logCellMass(a, b) - g.logCellMass(a, b);
      } else {
        const x = model.toModel(value);
        score = l.logPdf(x) - g.logPdf(x);
      }
      if (best === undefined || score > bestScore) {
        best = value;
        bestScore = score;
      }
    }
    return best!;
  }

  /** Categories: weighted counts plus the prior weight on every option, below vs above. */
  private pickChoice(options: Scalar[], below: Scalar[], above: Scalar[], rng: Rng): Scalar {
    const probs = (vs: Scalar[]) => {
      const w = this.opts.weights(vs.length);
      const counts = options.map(() => this.opts.priorWeight);
      vs.forEach((v, i) => {
        const k = options.indexOf(v);
        if (k >= 0) counts[k] += w[i];
      });
      const total = counts.reduce((s, c) => s + c, 0);
      return counts.map((c) => c / total);
    };
    const l = probs(below);
    const g = probs(above);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < this.opts.nEiCandidates; i++) {
      const k = rng.weighted(l);
      const score = Math.log(l[k]) - Math.log(g[k]);
      if (score > bestScore) {
        best = k;
        bestScore = score;
      }
    }
    return options[best];
  }
}
