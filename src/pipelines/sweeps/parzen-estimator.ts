/**
 * The Parzen estimator of TPE for one numeric parameter (Bergstra et al.
 * 2011, §4; the adaptive bandwidths of Hyperopt's `adaptive_parzen_normal`,
 * which Optuna's univariate TPE keeps): a mixture of truncated Gaussians, one
 * per observation plus one prior component, in the parameter's own scale
 * (log scale for log distributions).
 *
 * - The prior sits at the domain's centre with σ = the domain's width (for
 *   `normal`, the distribution's own μ and σ) and weight `priorWeight`.
 * - An observation's σ is the larger distance to its sorted neighbours (the
 *   prior counts as one, the domain's ends do not), clipped to
 *   [width / min(100, 1 + n), width] — the "magic clip" that keeps early
 *   estimators from collapsing onto a few points.
 * - Observation weights come from the sampler (older trials count less).
 * Quantised parameters get probability masses of their grid cell instead of
 * densities, so l(x)/g(x) compares like with like.
 * @module
 */
import { normalCdf } from "./normal-cdf.js";
import type { Rng } from "./rng.js";

export interface NumericDomain {
  /** Bounds in the estimator's scale (log for log distributions); ±Infinity for `normal`. */
  low: number;
  high: number;
  priorMu: number;
  priorSigma: number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** log of Φ(b) − Φ(a) for a < b, without cancellation in either tail. */
function logMass(a: number, b: number): number {
  if (a >= b) return -Infinity;
  // In the upper tail, 1 − Φ(a) − (1 − Φ(b)) keeps the digits Φ(b) − Φ(a) would lose.
  const m = a > 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
  if (m > 0) return Math.log(m);
  // Both ends beyond ~38σ: the density at the nearer end times the width.
  const near = Math.min(Math.abs(a), Math.abs(b));
  return -0.5 * near * near - LOG_SQRT_2PI + Math.log(b - a);
}

function logSumExp(xs: number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}

export class ParzenEstimator {
  readonly mus: number[];
  readonly sigmas: number[];
  readonly logWeights: number[];
  /** log of each component's mass inside the domain (its truncation constant). */
  private readonly logZ: number[];

  /**
   * @param obs observations in the estimator's scale, in trial order
   * @param obsWeights one weight per observation (same order)
   */
  constructor(obs: readonly number[], obsWeights: readonly number[], readonly domain: NumericDomain, priorWeight: number) {
    const bounded = Number.isFinite(domain.low) && Number.isFinite(domain.high);
    const width = bounded ? domain.high - domain.low : domain.priorSigma;
    const points = obs.map((x, i) => ({ mu: x, w: obsWeights[i], prior: false }));
    points.push({ mu: domain.priorMu, w: priorWeight, prior: true });
    points.sort((a, b) => a.mu - b.mu || Number(a.prior) - Number(b.prior));
    const n = points.length;
    const minSigma = width / Math.min(100, 1 + n);
    this.mus = points.map((p) => p.mu);
    this.sigmas = points.map((p, i) => {
      if (p.prior) return domain.priorSigma;
      // The domain's ends are not neighbours (Optuna's consider_endpoints=False, Hyperopt's rule).
      const left = i > 0 ? p.mu - points[i - 1].mu : 0;
      const right = i < n - 1 ? points[i + 1].mu - p.mu : 0;
      return Math.min(width, Math.max(minSigma, left, right));
    });
    const total = points.reduce((s, p) => s + p.w, 0);
    this.logWeights = points.map((p) => Math.log(p.w / total));
    this.logZ = this.mus.map((mu, i) => (bounded ? logMass((domain.low - mu) / this.sigmas[i], (domain.high - mu) / this.sigmas[i]) : 0));
  }

  /** Draws one value in [low, high] (rejection: a component keeps ≥ 1/3 of its mass inside, as μ is inside and σ ≤ width). */
  sample(rng: Rng): number {
    const i = rng.weighted(this.logWeights.map(Math.exp));
    const { low, high } = this.domain;
    for (let tries = 0; tries < 1000; tries++) {
      const x = this.mus[i] + this.sigmas[i] * rng.normal();
      if (x >= low && x <= high) return x;
    }
    return Math.min(high, Math.max(low, this.mus[i]));
  }

  /** log density at x (continuous parameters). */
  logPdf(x: number): number {
    return logSumExp(
      this.mus.map((mu, i) => {
        const z = (x - mu) / this.sigmas[i];
        return this.logWeights[i] - 0.5 * z * z - LOG_SQRT_2PI - Math.log(this.sigmas[i]) - this.logZ[i];
      }),
    );
  }

  /** log probability of the cell [a, b] (quantised parameters; a, b in the estimator's scale). */
  logCellMass(a: number, b: number): number {
    return logSumExp(this.mus.map((mu, i) => this.logWeights[i] + logMass((a - mu) / this.sigmas[i], (b - mu) / this.sigmas[i]) - this.logZ[i]));
  }
}
