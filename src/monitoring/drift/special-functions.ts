/**
 * The few special functions the drift tests need, in plain double precision:
 * log-gamma, the regularized upper incomplete gamma Q(a, x) (the chi-square
 * survival function), erfc and the normal CDF. Written here rather than taken
 * from @stdlib: its single-function packages pull ~200 dependencies (22 MB)
 * for these four. Accuracy is checked against scipy in the tests (relative
 * error ~1e-13 in the ranges the tests reach).
 * @module
 */

// Lanczos approximation, g = 7, nine terms (Numerical Recipes / Godfrey's coefficients).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x < 0.5) {
    // Reflection keeps the series in its accurate range.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** The prefactor x^a e^-x / Γ(a), computed in logs. */
function gammaPrefactor(a: number, x: number): number {
  const lg = a * Math.log(x) - x - logGamma(a);
  return lg < -745 ? 0 : Math.exp(lg);
}

/** Lower series: P(a, x) = prefactor · Σ xⁿ / (a (a+1) … (a+n)); converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * gammaPrefactor(a, x);
}

/** Upper continued fraction (modified Lentz): Q(a, x) for x ≥ a + 1. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h * gammaPrefactor(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (scipy's `gammaincc`). */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return 1 - lowerSeries(a, x);
  return upperFraction(a, x);
}

/** Chi-square survival function with `df` degrees of freedom (scipy's `chi2.sf`). */
export function chiSquareSf(stat: number, df: number): number {
  if (!(df > 0) || Number.isNaN(stat)) return Number.NaN;
  if (stat === Infinity) return 0;
  if (stat <= 0) return 1;
  return gammaQ(df / 2, stat / 2);
}

/** erfc(x), from Q(1/2, x²) for x ≥ 0 (full relative precision in the tail). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 0) return 2 - erfc(-x);
  if (x === 0) return 1;
  if (x > 27) return 0;
  return gammaQ(0.5, x * x);
}

/** Standard normal CDF, formed as scipy's `ndtr` forms it (so 1 − Φ(z) rounds the same way). */
export function normalCdf(z: number): number {
  const x = z * Math.SQRT1_2;
  const ax = Math.abs(x);
  if (ax < Math.SQRT1_2) return 0.5 + 0.5 * (1 - erfc(x));
  const y = 0.5 * erfc(ax);
  return x > 0 ? 1 - y : y;
}
