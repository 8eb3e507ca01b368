/**
 * Distances between two distributions given as shares over the same bins
 * (Jensen–Shannon, PSI, Kullback–Leibler, Hellinger), and the Wasserstein-1
 * distance between two samples. Formulas and edge cases as scipy computes
 * them (natural logarithms; `rel_entr` conventions for zeros).
 * @module
 */
import { ecdfSteps, type WeightedSample } from "./weighted-sample.js";

/** scipy.special.rel_entr: x·ln(x/y), 0 when x = 0 (y ≥ 0), ∞ when y = 0 < x. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** `scipy.spatial.distance.jensenshannon(p, q)`: both normalized, natural log. */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const sp = sum(p);
  const sq = sum(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  return Math.sqrt((left + right) / 2);
}

/** Population stability index Σ (r − c)·ln(r / c) (shares must be free of zeros: see `fillZeroes`). */
export function psi(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += (ref[i] - cur[i]) * Math.log(ref[i] / cur[i]);
  return s;
}

/** `scipy.stats.entropy(ref, cur)`: KL(ref ‖ cur) after normalizing both to sum 1. */
export function klDivergence(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  const sr = sum(ref);
  const sc = sum(cur);
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += relEntr(ref[i] / sr, cur[i] / sc);
  return s;
}

/** Hellinger distance from shares of the same keys: √(1 − clip(Σ √(p·q), 0, 1)). */
export function hellingerFromShares(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let bc = 0;
  for (let i = 0; i < p.length; i++) bc += Math.sqrt(p[i] * q[i]);
  return Math.sqrt(1 - Math.min(1, Math.max(0, bc)));
}

/**
 * Hellinger distance from densities on equal-width bins, as Evidently's numeric
 * branch: Σ √(h1·h2)·w with h = count / (width · n) (numpy's `density=True`).
 */
export function hellingerFromHistograms(c1: ArrayLike<number>, c2: ArrayLike<number>, edges: ArrayLike<number>): number {
  const n1 = sum(c1);
  const n2 = sum(c2);
  const nb = edges.length - 1;
  const binWidth = (edges[nb] - edges[0]) / nb;
  let bc = 0;
  for (let i = 0; i < nb; i++) {
    const db = edges[i + 1] - edges[i];
    const h1 = c1[i] / db / n1;
    const h2 = c2[i] / db / n2;
    bc += Math.sqrt(h1 * h2) * binWidth;
  }
  return Math.sqrt(1 - Math.min(1, Math.max(0, bc)));
}

/**
 * Evidently's zero filling for PSI and KL: empty bins get the smallest non-zero
 * share / 10⁶ when that share is ≤ 0.0001, else 0.0001. Returns a copy.
 */
export function fillZeroes(shares: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(shares);
  let minNonZero = Infinity;
  for (const v of out) if (v !== 0 && v < minNonZero) minNonZero = v;
  if (minNonZero === Infinity) return out;
  const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

/** `scipy.stats.wasserstein_distance(u, v)`: ∫ |U(x) − V(x)| dx between the ECDFs. */
export function wasserstein(u: WeightedSample, v: WeightedSample): number {
  let total = 0;
  let prev: { x: number; diff: number } | undefined;
  for (const s of ecdfSteps(u, v)) {
    if (prev) total += prev.diff * (s.x - prev.x);
    prev = { x: s.x, diff: Math.abs(s.ca / u.n - s.cb / v.n) };
  }
  return total;
}
