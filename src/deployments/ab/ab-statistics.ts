/**
 * The significance tests of an A/B comparison, in plain double precision:
 * the two-proportion z-test (accuracy or error rate of two variants) and
 * Welch's unequal-variance t-test (a continuous per-request loss), each with
 * its two-sided p-value and the difference B − A with a confidence interval.
 * Student's t distribution comes from the regularized incomplete beta
 * function (a continued fraction, modified Lentz); quantiles by bisection on
 * the distribution's tail. Checked against scipy in ab-statistics.test.ts.
 * @module
 */
import { logGamma, normalCdf } from "../../monitoring/index.js";

const EPS = 1e-16;
const TINY = 1e-300;

/** Continued fraction of I_x(a, b) (valid and fast for x < (a + 1) / (a + b + 2)). */
function betaFraction(a: number, b: number, x: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 10_000; m++) {
    const m2 = 2 * m;
    // Even step.
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b) (scipy's `betainc`), given x and
 * 1 − x separately so a caller that knows 1 − x exactly loses no digits.
 */
export function betaIncReg(a: number, b: number, x: number, oneMinusX = 1 - x): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (oneMinusX <= 0) return 1;
  const logFront = a * Math.log(x) + b * Math.log(oneMinusX) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaFraction(b, a, oneMinusX)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom, t ≥ 0 (half of I_{df/(df+t²)}(df/2, 1/2)). */
function tUpperTail(t: number, df: number): number {
  if (t === Infinity) return 0;
  const t2 = t * t;
  return 0.5 * betaIncReg(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

/** Two-sided p-value of a t statistic (scipy's `2 * t.sf(|t|, df)`). */
export function tTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  return Math.min(1, 2 * tUpperTail(Math.abs(t), df));
}

/** Two-sided p-value of a z statistic (scipy's `2 * norm.sf(|z|)`). */
export function zTwoSided(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** The x > 0 whose upper tail is `tail` (0 < tail < 0.5), by bisection to the last bit. */
function upperQuantile(tail: number, upper: (x: number) => number): number {
  let lo = 0;
  let hi = 1;
  while (upper(hi) > tail) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 2000; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) break;
    if (upper(mid) > tail) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/** scipy's `norm.ppf(1 - alpha / 2)`: the two-sided critical value. */
export function zCritical(alpha: number): number {
  return upperQuantile(alpha / 2, (z) => normalCdf(-z));
}

/** scipy's `t.ppf(1 - alpha / 2, df)`. */
export function tCritical(alpha: number, df: number): number {
  return upperQuantile(alpha / 2, (t) => tUpperTail(t, df));
}

export interface Difference {
  /** B − A. */
  estimate: number;
  low: number;
  high: number;
  /** 1 − alpha. */
  confidence: number;
}

export interface TestResult {
  statistic: number;
  pValue: number;
  /** Welch–Satterthwaite degrees of freedom (t-test only). */
  df?: number;
  difference: Difference;
}

/**
 * Two-proportion z-test of `xB / nB` against `xA / nA`: the statistic uses
 * the pooled proportion (what a 2×2 chi-square without continuity
 * correction tests: z² = χ²); the interval of pB − pA is Wald's, from each
 * proportion's own variance. With no variation at all (every answer right,
 * or every one wrong, in both) the statistic is 0 and p is 1.
 */
export function twoProportionZTest(xA: number, nA: number, xB: number, nB: number, alpha = 0.05): TestResult {
  if (!(nA > 0 && nB > 0)) throw new RangeError("both samples need at least one observation");
  const pA = xA / nA;
  const pB = xB / nB;
  const pooled = (xA + xB) / (nA + nB);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  const z = se0 === 0 ? 0 : (pB - pA) / se0;
  const se = Math.sqrt((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
  const half = zCritical(alpha) * se;
  const diff = pB - pA;
  return { statistic: z, pValue: se0 === 0 ? 1 : zTwoSided(z), difference: { estimate: diff, low: diff - half, high: diff + half, confidence: 1 - alpha } };
}

function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i];
  mean /= xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}

/**
 * Welch's t-test of sample B's mean against sample A's (scipy's
 * `ttest_ind(b, a, equal_var=False)`), with the interval of mean(B) −
 * mean(A) at the Welch–Satterthwaite degrees of freedom. Each sample needs
 * two values; with no variance in either the test is undefined (NaN).
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, alpha = 0.05): TestResult {
  if (a.length < 2 || b.length < 2) throw new RangeError("each sample needs at least two observations");
  const A = meanVar(a);
  const B = meanVar(b);
  const va = A.variance / a.length;
  const vb = B.variance / b.length;
  const se = Math.sqrt(va + vb);
  const diff = B.mean - A.mean;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  if (se === 0) return { statistic: Number.NaN, pValue: Number.NaN, df: Number.NaN, difference: { estimate: diff, low: Number.NaN, high: Number.NaN, confidence: 1 - alpha } };
  const t = diff / se;
  const half = tCritical(alpha, df) * se;
  return { statistic: t, pValue: tTwoSided(t, df), df, difference: { estimate: diff, low: diff - half, high: diff + half, confidence: 1 - alpha } };
}
