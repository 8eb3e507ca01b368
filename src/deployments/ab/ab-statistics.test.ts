/**
 * The A/B tests' statistics against scipy on the same data (/usr/bin/python3,
 * Debian's scipy): statistics, critical values and interval bounds to 1e-9,
 * p-values to 1e-6 (and relatively to 1e-6 where they are tiny). The z-test is
 * checked through scipy's 2×2 chi-square without continuity correction
 * (χ² = z², same p-value); Welch's test through `ttest_ind(equal_var=False)`.
 * Student's t quantiles are checked through scipy's `betaincinv`
 * (t = √(df (1/x − 1)) for x = betaincinv(df/2, 1/2, alpha)), exact to 1e-16
 * on the closed forms of df = 1 and 2: `t.ppf` (cephes' stdtrit) is good to
 * only ~1e-9 relative there (636.61924943 against tan's 636.61924877 at
 * df = 1, alpha = 0.001), so it is held to 1e-8 relative.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scipyOracle } from "../../testing/python-oracle.js";
import { normals, rng } from "../../testing/seeded-data.js";
import { abReport, inferTask, type VariantInput } from "./ab-report.js";
import { betaIncReg, tCritical, tTwoSided, twoProportionZTest, welchTTest, zCritical } from "./ab-statistics.js";

const py = scipyOracle();
const skip = py.missing ? `scipy missing: ${py.missing}` : false;

function close(actual: number, expected: number, tol: number, what: string): void {
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol * scale, `${what}: ${actual} vs scipy ${expected} (diff ${Math.abs(actual - expected)})`);
}

function pClose(actual: number, expected: number, what: string): void {
  close(actual, expected, 1e-6, what);
  // Tiny p-values relatively too (above double's normal range; below it both are 0 or denormal).
  if (expected < 1e-3 && expected > 1e-300) assert.ok(Math.abs(actual / expected - 1) < 1e-6, `${what}: relative ${actual} vs ${expected}`);
}

describe("A/B statistics vs scipy", { skip }, () => {
  it("betainc, the t distribution's two-sided tail and its critical values, the normal's", () => {
    const beta: Array<[number, number, number]> = [];
    for (const a of [0.5, 1, 2.5, 10, 150, 2000]) for (const b of [0.5, 1, 3, 40]) for (const x of [1e-6, 0.01, 0.3, 0.5, 0.77, 0.99, 0.999999]) beta.push([a, b, x]);
    const tails: Array<[number, number]> = [];
    for (const df of [1, 2, 3.7, 10, 29.5, 100, 1000, 50_000]) for (const t of [0, 0.01, 0.5, 1.96, 3, 8, 40]) tails.push([t, df]);
    const crit: Array<[number, number]> = [];
    for (const alpha of [0.2, 0.1, 0.05, 0.01, 0.001]) for (const df of [1, 2, 5, 17.3, 60, 400, 1e5]) crit.push([alpha, df]);
    const alphas = [0.5, 0.2, 0.1, 0.05, 0.01, 1e-4, 1e-8];
    const out = py.run<{ beta: number[]; tails: number[]; crit: number[]; ppf: number[]; z: number[] }>(
      `import json,sys,math
from scipy import stats, special
d = json.load(sys.stdin)
print(json.dumps({
  "beta": [float(special.betainc(a, b, x)) for a, b, x in d["beta"]],
  "tails": [float(2 * stats.t.sf(abs(t), df)) for t, df in d["tails"]],
  "crit": [float(math.sqrt(df * (1 / special.betaincinv(df / 2, 0.5, a) - 1))) for a, df in d["crit"]],
  "ppf": [float(stats.t.ppf(1 - a / 2, df)) for a, df in d["crit"]],
  "z": [float(stats.norm.ppf(1 - a / 2)) for a in d["alphas"]],
}))`,
      { beta, tails, crit, alphas },
    );
    beta.forEach(([a, b, x], i) => close(betaIncReg(a, b, x), out.beta[i], 1e-9, `betainc(${a}, ${b}, ${x})`));
    tails.forEach(([t, df], i) => pClose(tTwoSided(t, df), out.tails[i], `2·t.sf(${t}, ${df})`));
    crit.forEach(([a, df], i) => {
      close(tCritical(a, df), out.crit[i], 1e-9, `t quantile 1 - ${a}/2, df ${df} (betaincinv)`);
      close(tCritical(a, df), out.ppf[i], 1e-8, `t.ppf(1 - ${a}/2, ${df})`);
    });
    // The closed forms: Cauchy (df = 1) and df = 2.
    for (const a of [0.1, 0.05, 0.001]) {
      close(tCritical(a, 1), 1 / Math.tan((a / 2) * Math.PI), 1e-12, `df 1, alpha ${a}`);
      close(tCritical(a, 2), Math.sqrt(2 / (4 * (a / 2) * (1 - a / 2)) - 2), 1e-12, `df 2, alpha ${a}`);
    }
    alphas.forEach((a, i) => close(zCritical(a), out.z[i], 1e-9, `norm.ppf(1 - ${a}/2)`));
  });

  it("two-proportion z-test: statistic, p-value and the interval of pB − pA", () => {
    const cases: Array<[number, number, number, number, number]> = [
      [45, 100, 60, 100, 0.05],
      [800, 1000, 820, 1000, 0.05],
      [30, 50, 45, 50, 0.01],
      [5, 10, 9, 12, 0.1],
      [990, 1000, 999, 1000, 0.05],
      [5000, 10000, 5100, 10000, 0.05],
      [1, 1000, 20, 1000, 0.05], // tiny p
      [700, 1000, 40, 400, 0.05], // B much worse, unequal sizes
    ];
    const out = py.run<Array<{ chi2: number; p: number; lo: number; hi: number }>>(
      `import json,sys,math
from scipy import stats
res = []
for xa, na, xb, nb, alpha in json.load(sys.stdin):
    chi2, p, _, _ = stats.chi2_contingency([[xb, nb - xb], [xa, na - xa]], correction=False)
    pa, pb = xa / na, xb / nb
    h = stats.norm.ppf(1 - alpha / 2) * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    res.append({"chi2": float(chi2), "p": float(p), "lo": pb - pa - h, "hi": pb - pa + h})
print(json.dumps(res))`,
      cases,
    );
    cases.forEach(([xa, na, xb, nb, alpha], i) => {
      const r = twoProportionZTest(xa, na, xb, nb, alpha);
      close(r.statistic ** 2, out[i].chi2, 1e-9, `case ${i}: z² vs chi2`);
      assert.equal(Math.sign(r.statistic), Math.sign(xb / nb - xa / na), `case ${i}: z has the sign of pB − pA`);
      pClose(r.pValue, out[i].p, `case ${i} p-value`);
      close(r.difference.estimate, xb / nb - xa / na, 1e-12, `case ${i} difference`);
      close(r.difference.low, out[i].lo, 1e-9, `case ${i} CI low`);
      close(r.difference.high, out[i].hi, 1e-9, `case ${i} CI high`);
      assert.equal(r.difference.confidence, 1 - alpha);
    });
    // No variation at all: no evidence of a difference.
    assert.equal(twoProportionZTest(50, 50, 80, 80).pValue, 1);
  });

  it("Welch's t-test: statistic, p-value, degrees of freedom and the interval of mean(B) − mean(A)", () => {
    const cases: Array<[number[], number[], number]> = [
      [normals(30, 1), normals(30, 2, 0.5), 0.05],
      [normals(12, 3, 0, 1), normals(40, 4, 0.2, 3), 0.05],
      [normals(500, 5, 1, 0.5), normals(700, 6, 1.02, 0.6), 0.01],
      [normals(2000, 7), normals(2000, 8, 0.3), 0.05], // tiny p
      [normals(5, 9), normals(3, 10, 1, 4), 0.1],
      [normals(200, 11).map(Math.abs), normals(150, 12, 0, 1.3).map(Math.abs), 0.05], // absolute errors
    ];
    const out = py.run<Array<{ t: number; p: number; df: number; lo: number; hi: number }>>(
      `import json,sys,math
import numpy as np
from scipy import stats, special
res = []
for a, b, alpha in json.load(sys.stdin):
    a, b = np.array(a), np.array(b)
    r = stats.ttest_ind(b, a, equal_var=False)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    h = math.sqrt(df * (1 / special.betaincinv(df / 2, 0.5, alpha) - 1)) * math.sqrt(va + vb)
    d = b.mean() - a.mean()
    res.append({"t": float(r.statistic), "p": float(r.pvalue), "df": float(df), "lo": float(d - h), "hi": float(d + h)})
print(json.dumps(res))`,
      cases,
    );
    cases.forEach(([a, b, alpha], i) => {
      const r = welchTTest(a, b, alpha);
      close(r.statistic, out[i].t, 1e-9, `case ${i} t`);
      pClose(r.pValue, out[i].p, `case ${i} p-value`);
      close(r.df!, out[i].df, 1e-9, `case ${i} df`);
      close(r.difference.low, out[i].lo, 1e-9, `case ${i} CI low`);
      close(r.difference.high, out[i].hi, 1e-9, `case ${i} CI high`);
    });
    assert.ok(Number.isNaN(welchTTest([1, 1, 1], [2, 2]).pValue), "no variance: undefined");
  });
});

describe("A/B report", () => {
  const variant = (deployment: string, pairs: VariantInput["pairs"]): VariantInput => ({ deployment, modelVersion: "1", traffic: 50, ops: { requests: pairs.length, errors: 0 }, pairs });
  /** n labelled rows of a classifier right with probability `acc` (seeded). */
  const classified = (n: number, acc: number, seed: number) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => {
      const label = r() < 0.5 ? 1 : 0;
      return { label, prediction: r() < acc ? label : 1 - label };
    });
  };

  it("declares the more accurate classifier better, refuses a verdict below the minimum sample, and infers the task", () => {
    const a = variant("blue", classified(400, 0.7, 1));
    const b = variant("green", classified(400, 0.9, 2));
    assert.equal(inferTask([a, b]), "classification");
    const r = abReport([a, b], { alpha: 0.05, minSamples: 30, loss: "absolute" });
    assert.equal(r.task, "classification");
    assert.equal(r.test?.verdict, "significant");
    assert.equal(r.test?.better, "green");
    assert.ok(r.test!.result!.difference.estimate > 0.1);
    const few = abReport([variant("blue", classified(20, 0.7, 3)), variant("green", classified(400, 0.9, 4))], { alpha: 0.05, minSamples: 30, loss: "absolute" });
    assert.equal(few.test?.verdict, "insufficient_data");
    assert.equal(few.test?.result, undefined);
    const none = abReport([variant("blue", []), variant("green", [])], { alpha: 0.05, minSamples: 30, loss: "absolute" });
    assert.equal(none.test, undefined);
    assert.match(none.notes.join(" "), /No labelled predictions/);
  });

  it("a regressor: MAE and RMSE per variant, Welch's t-test on the absolute error; lower loss wins", () => {
    const label = normals(300, 5, 10, 3);
    const a = variant("blue", label.map((y, i) => ({ label: y, prediction: y + normals(300, 6, 0, 1)[i] })));
    const b = variant("green", label.map((y, i) => ({ label: y, prediction: y + normals(300, 7, 0, 2)[i] })));
    const r = abReport([a, b], { alpha: 0.05, minSamples: 30, loss: "absolute" });
    assert.equal(r.task, "regression");
    assert.ok(r.variants[0].mae! < r.variants[1].mae!);
    assert.ok(r.variants[0].rmse! > r.variants[0].mae!);
    assert.equal(r.test?.method, "Welch t-test");
    assert.equal(r.test?.verdict, "significant");
    assert.equal(r.test?.better, "blue");
  });
});
