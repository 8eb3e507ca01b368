/**
 * Tests on category counts: chi-square goodness of fit and the two-proportion
 * Z-test, in the form Evidently applies them.
 * @module
 */
import { chiSquareSf, normalCdf } from "./special-functions.js";

export interface PTestResult {
  statistic: number;
  pvalue: number;
}

/**
 * `scipy.stats.chisquare(observed, expected)`: Σ (o − e)² / e with k − 1 degrees
 * of freedom. An expected count of 0 with an observed one above 0 (a category
 * the reference never had) makes the statistic infinite and p = 0.
 */
export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>): PTestResult {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i] - expected[i];
    stat += (d * d) / expected[i];
  }
  return { statistic: stat, pvalue: chiSquareSf(stat, observed.length - 1) };
}

/**
 * Evidently's chi-square drift test: the current counts against the reference
 * *proportions* scaled to the current size (expected = ref count · n_cur / n_ref).
 * The reference proportions are taken as exact, so this is a goodness-of-fit
 * test, not a two-sample test.
 */
export function evidentlyChiSquare(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>, nRef: number, nCur: number): PTestResult {
  const k = nCur / nRef;
  const expected = Float64Array.from({ length: refCounts.length }, (_, i) => refCounts[i] * k);
  return chiSquareTest(curCounts, expected);
}

/**
 * Two-proportion Z-test, two-sided, as Evidently computes it: the share of
 * rows not equal to the first category (in sorted order) in each sample, the
 * pooled standard error, and p = 2·(1 − Φ(|z|)). `refOther`/`curOther` count
 * those rows. Both samples holding one and the same value gives p = 1.
 */
export function proportionsZTest(refOther: number, nRef: number, curOther: number, nCur: number): PTestResult {
  const p1 = refOther / nRef;
  const p2 = curOther / nCur;
  const pooled = (p1 * nRef + p2 * nCur) / (nRef + nCur);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / nRef + 1 / nCur));
  return { statistic: z, pvalue: 2 * (1 - normalCdf(Math.abs(z))) };
}
