/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy's `ks_2samp` with its
 * defaults (method "auto"): the exact p-value when both samples have at most
 * 10,000 values, else the asymptotic one from the Kolmogorov distribution with
 * n = round(n1·n2 / (n1 + n2)). The statistic needs only the two ECDFs at
 * the union of the samples' values, so a profile that knows those (a small
 * reference kept whole, a window counted at the reference's values) gives
 * the exact same result as the raw data.
 * @module
 */
import { kolmogorovSf } from "./kolmogorov-distribution.js";
import { ecdfSteps, type WeightedSample } from "./weighted-sample.js";

/** scipy's `MAX_AUTO_N`: above it, "auto" uses the asymptotic distribution. */
export const KS_MAX_EXACT_N = 10_000;

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: "exact" | "asymp";
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** P(D ≥ h/n) for two samples of size n each: 2 Σ (−1)^(k−1) C(2n, n−kh) / C(2n, n), nested to avoid cancellation. */
function outsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * Probability that a uniformly random lattice path from (0,0) to (m,n) leaves
 * the band |x/m − y/n| < h/lcm(m,n) — the exact two-sided p-value for m ≠ n.
 * Computed directly as an exit probability (Viehmann 2021), which stays in
 * [0, 1] where counting paths would overflow: for inside points
 * P(x,y) = (x·P(x−1,y) + y·P(x,y−1)) / (x+y), and P = 1 outside the band.
 */
function outsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const col = new Float64Array(n + 1);
  // x = 0: straight up the y axis, inside while mg·y < h.
  let lo = 0;
  let hi = Math.min(n, Math.ceil(h / mg) - 1);
  for (let y = 0; y <= n; y++) col[y] = y <= hi ? 0 : 1;
  for (let x = 1; x <= m; x++) {
    const nlo = Math.max(0, Math.floor((ng * x - h) / mg) + 1);
    const nhi = Math.min(n, Math.ceil((ng * x + h) / mg) - 1);
    if (nlo > nhi) return 1;
    for (let y = lo; y < Math.min(nlo, hi + 1); y++) col[y] = 1;
    for (let y = Math.max(nhi + 1, lo); y <= hi; y++) col[y] = 1;
    lo = nlo;
    hi = nhi;
    for (let y = lo; y <= hi; y++) {
      const below = y === 0 ? 0 : col[y - 1];
      col[y] = (x * col[y] + y * below) / (x + y);
    }
  }
  return col[n];
}

/**
 * The p-value for a statistic `d` between samples of sizes n1 and n2
 * (scipy's "auto" method). Returns the statistic as scipy reports it (in exact
 * mode, d rounded to a multiple of 1/lcm(n1, n2)).
 */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  if (n1 <= 0 || n2 <= 0) throw new RangeError("ks: both samples must be non-empty");
  let stat = d;
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    stat = h / lcm;
    if (h === 0) return { statistic: stat, pvalue: 1, method: "exact" };
    const p = n1 === n2 ? outsideSquare(n1, h) : outsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: stat, pvalue: p, method: "exact" };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmogorovSf(roundHalfEven(en), stat);
  return { statistic: stat, pvalue: Math.min(1, Math.max(0, p)), method: "asymp" };
}

/**
 * The two-sided statistic from cumulative counts at increasing points: the
 * largest gap between the ECDFs, formed as scipy forms it (cdf1 − cdf2 in
 * floating point, the larger of its maximum and minus its minimum).
 */
export function ksStatistic(steps: Iterable<{ ca: number; cb: number }>, n1: number, n2: number): number {
  let maxS = 0;
  let minD = 0;
  for (const s of steps) {
    const diff = s.ca / n1 - s.cb / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minD) minD = diff;
  }
  const minS = Math.min(1, -minD);
  return minS > maxS ? minS : maxS;
}

/** `scipy.stats.ks_2samp(a, b)` on two weighted samples. */
export function ks2samp(a: WeightedSample, b: WeightedSample): KsResult {
  return ksPValue(ksStatistic(ecdfSteps(a, b), a.n, b.n), a.n, b.n);
}
