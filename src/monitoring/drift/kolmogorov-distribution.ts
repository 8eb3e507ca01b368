/**
 * The distribution of the two-sided one-sample Kolmogorov statistic D_n —
 * what scipy's `kstwo.sf(d, n)` computes, and what `ks_2samp` uses for its
 * asymptotic p-value (with n = round(n1·n2 / (n1 + n2))).
 *
 * The method for each (n, x) region follows Simard & L'Ecuyer (2011), as
 * scipy routes it: Ruben–Gambino closed forms at the ends, twice the exact
 * one-sided Smirnov tail where that is accurate, the Durbin matrix
 * (Marsaglia–Tsang–Wang 2003) for small n·x², and the Pelz–Good expansion
 * for large n. One difference: where scipy uses Pomeranz's recursion (n ≤ 140,
 * 0.754693 < n·x² ≤ 4) this uses the Durbin matrix, which is also exact there;
 * the tests check both agree with scipy to 1e-10.
 * @module
 */
import { logGamma } from "./special-functions.js";

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

const clip = (p: number) => (p < 0 ? 0 : p > 1 ? 1 : p);

/** ln(n! / nⁿ) by Stirling's series (the Bernoulli-number terms to 1/n¹⁵). */
function logFactorialOverPower(n: number): number {
  const r = 1 / n;
  const r2 = r * r;
  const series = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))));
  return Math.log(n) / 2 - n + 0.5 * Math.log(2 * Math.PI) + series;
}

/**
 * One-sided Smirnov tail P(D_n⁺ ≥ x), the Birnbaum–Tingey sum
 * x · Σ_{j ≤ n(1−x)} C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1), each term in logs.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const jmax = Math.floor(n * (1 - x) + 1e-12);
  const lnN1 = logGamma(n + 1);
  let sum = 0;
  for (let j = 0; j <= jmax; j++) {
    const a = 1 - x - j / n;
    if (a <= 0) {
      if (n - j === 0) sum += Math.exp(lnN1 - logGamma(j + 1) + (j - 1) * Math.log(x + j / n));
      continue;
    }
    const lt = lnN1 - logGamma(j + 1) - logGamma(n - j + 1) + (n - j) * Math.log(a) + (j - 1) * Math.log(x + j / n);
    sum += Math.exp(lt);
  }
  return clip(x * sum);
}

/** Square matrix product of m×m row-major arrays. */
function matMul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      const bo = k * m;
      const oo = i * m;
      for (let j = 0; j < m; j++) out[oo + j] += aik * b[bo + j];
    }
  }
  return out;
}

/** P(D_n ≤ d) by the Durbin matrix: n!/nⁿ · (Hⁿ)[k−1][k−1], with powers of 2¹²⁸ kept apart to avoid overflow. */
export function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array<ArrayBuffer> = new Float64Array(m * m);
  // Column 0 and the last row carry the boundary terms; the band holds 1/(i−j+1)!.
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let j = 1; j <= m; j++) invFact[j] = invFact[j - 1] / j;
  for (let i = 0; i < m; i++) {
    for (let j = 1; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1];
  }
  const v = new Float64Array(m);
  for (let i = 0; i < m; i++) v[i] = (1 - h ** (i + 1)) * invFact[i + 1];
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * invFact[m];
  for (let i = 0; i < m; i++) H[i * m] = v[i];
  for (let j = 0; j < m; j++) H[(m - 1) * m + j] = v[m - 1 - j];
  let P: Float64Array<ArrayBuffer> = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let pExp = 0;
  let hExp = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      P = matMul(P, H, m);
      pExp += hExp;
    }
    H = matMul(H, H, m);
    hExp *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      hExp += 128;
    }
  }
  let p = P[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      pExp -= 128;
    }
  }
  return clip(p * 2 ** pExp);
}

/** P(D_n ≤ x) by the Pelz–Good asymptotic series (four terms in 1/√n). */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const pi2 = Math.PI * Math.PI;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Horner in q⁸ over the odd terms m = 2k − 1.
  for (let kk = maxk; kk >= 1; kk--) {
    const m = 2 * kk - 1;
    const m2 = m * m;
    const qp = q ** (8 * kk);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m2 * m2, k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qp + c[i];
  }
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const denom = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * sqrt2pi) / denom[i];
  q = Math.exp(-pi2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let kk = maxk; kk >= 1; kk--) {
    const k2 = kk * kk;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kpi = Math.PI * kk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2] += (k2extra * pi2 * sqrt2pi) / (-36 * z * z2);
  K[3] += (k3extra * pi2 * sqrt2pi) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i] / n ** (i / 2);
  return sum;
}

/** P(D_n > x): scipy's `kstwo.sf(x, n)`. */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return clip(1 - durbinMatrixCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}
