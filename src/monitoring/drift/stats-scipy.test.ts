/**
 * Every statistic and p-value against scipy on the same data (/usr/bin/python3,
 * Debian's scipy): statistics to 1e-9, p-values to 1e-6, K-S in both of
 * scipy's modes (exact up to 10,000 values per sample, asymptotic above) and
 * every branch of the Kolmogorov distribution.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scipyOracle } from "../../testing/python-oracle.js";
import { normals } from "../../testing/seeded-data.js";
import { histogramCounts, sturgesEdges } from "./binning.js";
import { fillZeroes, hellingerFromShares, jensenShannon, klDivergence, psi, wasserstein } from "./distances.js";
import { chiSquareTest, proportionsZTest } from "./frequency-tests.js";
import { kolmogorovSf, smirnovSf } from "./kolmogorov-distribution.js";
import { ks2samp } from "./ks-test.js";
import { erfc, gammaQ } from "./special-functions.js";
import { weightedSampleOf } from "./weighted-sample.js";

const py = scipyOracle();
const skip = py.missing ? `scipy missing: ${py.missing}` : false;

function close(actual: number, expected: number, tol: number, what: string): void {
  if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  if (!Number.isFinite(expected)) return assert.equal(actual, expected, what);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs scipy ${expected} (diff ${Math.abs(actual - expected)})`);
}

describe("drift statistics vs scipy", { skip }, () => {
  it("ks_2samp: statistic and p-value in exact and asymptotic modes", () => {
    const ints = (n: number, seed: number, k: number) => normals(n, seed).map((v) => Math.round(v * k));
    const cases: Array<[number[], number[]]> = [
      [normals(5, 1), normals(7, 2, 0.5)],
      [normals(20, 3), normals(20, 4, 0.3)],
      [normals(50, 5), normals(80, 6, 0.2)],
      [normals(100, 7), normals(1000, 8, 0.1)],
      [normals(1000, 9), normals(1000, 10, 0.05)],
      [normals(999, 11), normals(1000, 12, 0.2)],
      [ints(300, 13, 2), ints(400, 14, 2)], // many ties
      [normals(300, 15), normals(10_001, 16, 0.05)], // asymptotic, n ≈ 291
      [normals(1000, 17), normals(20_000, 18, 0.03)], // asymptotic, n ≈ 952
      [normals(60, 19), normals(20_000, 20, 0.2)], // asymptotic, n ≤ 140 (Durbin matrix)
      [normals(120, 21), normals(30_000, 22, 0.6)], // n ≤ 140, large n·x²
      [normals(2000, 23), normals(15_000, 24, 0.5)], // asymptotic, tiny p
      [normals(12_000, 25), normals(12_000, 26, 0.01)], // asymptotic, equal sizes
      [normals(40, 27), normals(40, 28, 2)], // exact, tiny p
    ];
    const expected = py.run<Array<[number, number]>>(
      `import json,sys\nfrom scipy import stats\nprint(json.dumps([list(stats.ks_2samp(a,b)[:2]) for a,b in json.load(sys.stdin)]))`,
      cases,
    );
    cases.forEach(([a, b], i) => {
      const r = ks2samp(weightedSampleOf(a), weightedSampleOf(b));
      close(r.statistic, expected[i][0], 1e-9, `case ${i} statistic`);
      close(r.pvalue, expected[i][1], 1e-6, `case ${i} p-value (${r.method})`);
      if (expected[i][1] < 1e-3) assert.ok(Math.abs(r.pvalue / expected[i][1] - 1) < 1e-6, `case ${i}: relative p ${r.pvalue} vs ${expected[i][1]}`);
    });
  });

  it("the Kolmogorov distribution (kstwo.sf) and Smirnov's one-sided tail on every branch", () => {
    const grid: Array<[number, number]> = [];
    for (const n of [1, 2, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 100_000, 200_000]) {
      for (const x of [0.3 / n, 0.7 / n, 1.5 / n, 0.01, 0.02, 0.04, 0.05, 0.08, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.95, 1 - 0.5 / n]) {
        if (x > 0 && x < 1) grid.push([n, x]);
      }
    }
    const expected = py.run<Array<[number, number]>>(
      `import json,sys\nfrom scipy import stats, special\nprint(json.dumps([[float(stats.kstwo.sf(x, n)), float(special.smirnov(n, x))] for n, x in json.load(sys.stdin)]))`,
      grid,
    );
    grid.forEach(([n, x], i) => {
      close(kolmogorovSf(n, x), expected[i][0], 1e-10, `kstwo.sf(${x}, ${n})`);
      close(smirnovSf(n, x), expected[i][1], 1e-10, `smirnov(${n}, ${x})`);
    });
  });

  it("chi-square, Z-test and the special functions under them", () => {
    const chi: Array<[number[], number[]]> = [
      [[10, 20, 30], [15, 20, 25]],
      [[5, 0, 7, 100], [10, 3, 9, 90]],
      [[1000, 2000, 1500, 3000, 2500], [1100, 1900, 1500, 3100, 2400]],
      [[3, 4], [0, 7]],
    ];
    const z: Array<[number, number, number, number]> = [
      [30, 100, 40, 100],
      [1, 1000, 50, 2000],
      [500, 1000, 480, 1000],
      [0, 10, 10, 10],
    ];
    const g: Array<[number, number]> = [
      [0.5, 0.01], [0.5, 4], [1, 2.5], [2.5, 1], [10, 30], [100, 80], [1000, 1100], [3, 200],
    ];
    const e = [0, 0.1, 0.5, 1, 2, 3.5, 6, 10];
    const out = py.run<{ chi: number[][]; z: number[]; g: number[]; e: number[] }>(
      `import json,sys
import numpy as np
from scipy import stats, special
d = json.load(sys.stdin)
def zt(a, n1, b, n2):
    p1, p2 = a/n1, b/n2
    P = (p1*n1 + p2*n2)/(n1+n2)
    z = (p1-p2)/np.sqrt(P*(1-P)*(1/n1+1/n2))
    return float(2*(1-stats.norm.cdf(np.abs(z))))
with np.errstate(divide="ignore"):
    chi = [list(map(float, stats.chisquare(o, e))) for o, e in d["chi"]]
print(json.dumps({"chi": chi, "z": [zt(*c) for c in d["z"]],
  "g": [float(special.gammaincc(a, x)) for a, x in d["g"]], "e": [float(special.erfc(x)) for x in d["e"]]}).replace("Infinity", "1e999"))`,
      { chi, z, g, e },
    );
    chi.forEach(([o, ex], i) => {
      const r = chiSquareTest(o, ex);
      close(r.statistic, out.chi[i][0], 1e-9, `chisquare ${i} statistic`);
      close(r.pvalue, out.chi[i][1], 1e-6, `chisquare ${i} p`);
    });
    z.forEach((c, i) => close(proportionsZTest(...c).pvalue, out.z[i], 1e-6, `z ${i}`));
    g.forEach(([a, x], i) => close(gammaQ(a, x), out.g[i], 1e-12 * Math.max(1, out.g[i]), `gammaincc(${a}, ${x})`));
    e.forEach((x, i) => assert.ok(Math.abs(erfc(x) / out.e[i] - 1) < 1e-12, `erfc(${x}) ${erfc(x)} vs ${out.e[i]}`));
  });

  it("Jensen-Shannon, KL, PSI, Hellinger, Wasserstein and numpy's Sturges histogram", () => {
    const p = [0.1, 0.2, 0.3, 0.4, 0];
    const q = [0.25, 0.25, 0.2, 0.1, 0.2];
    const a = normals(700, 31);
    const b = normals(900, 32, 0.3, 1.4);
    const pooled = [...a, ...b];
    const out = py.run<{ js: number; kl: number; psi: number; hel: number; w: number; edges: number[]; ca: number[] }>(
      `import json,sys
import numpy as np
from scipy import stats
from scipy.spatial import distance
d = json.load(sys.stdin)
p, q = np.array(d["p"]), np.array(d["q"])
def fz(x):
    x = x.copy(); m = min(x[x != 0]); np.place(x, x == 0, m/10**6 if m <= 0.0001 else 0.0001); return x
pf, qf = fz(p), fz(q)
a, b = np.array(d["a"]), np.array(d["b"])
edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
print(json.dumps({"js": float(distance.jensenshannon(p, q)), "kl": float(stats.entropy(pf, qf)),
  "psi": float(np.sum((pf - qf) * np.log(pf / qf))), "hel": float(np.sqrt(1 - np.clip(np.sum(np.sqrt(p * q)), 0, 1))),
  "w": float(stats.wasserstein_distance(a, b)), "edges": edges.tolist(), "ca": np.histogram(a, edges)[0].tolist()}))`,
      { p, q, a, b },
    );
    close(jensenShannon(p, q), out.js, 1e-9, "jensenshannon");
    close(klDivergence(fillZeroes(p), fillZeroes(q)), out.kl, 1e-9, "kl_div");
    close(psi(fillZeroes(p), fillZeroes(q)), out.psi, 1e-9, "psi");
    close(hellingerFromShares(p, q), out.hel, 1e-9, "hellinger");
    close(wasserstein(weightedSampleOf(a), weightedSampleOf(b)), out.w, 1e-9, "wasserstein");
    const edges = sturgesEdges(Math.min(...pooled), Math.max(...pooled), pooled.length);
    assert.equal(edges.length, out.edges.length);
    edges.forEach((v, i) => assert.equal(v, out.edges[i], `edge ${i}`));
    assert.deepEqual([...histogramCounts(weightedSampleOf(a), edges)], out.ca);
  });
});
