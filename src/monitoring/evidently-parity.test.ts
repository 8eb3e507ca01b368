/**
 * The default preset's tests, scores and verdicts against Evidently's
 * DataDriftPreset on the same generated CSV files: numeric and categorical
 * shifts, new categories, missing and infinite values, constant columns, few
 * distinct values, target/prediction columns, small (≤ 1,000 rows) and large
 * references, and per-column overrides of every test. Scores that ciclo
 * computes exactly must agree to 1e-9; estimates from cells within their
 * stated error bound (or 1e-3 where no bound is stated). Skips with the reason
 * when Evidently is missing (CICLO_EVIDENTLY_PATH), unless CICLO_REQUIRE_ALL=1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { evidentlyOracle } from "../testing/python-oracle.js";
import { tempDir } from "../testing/temp-dir.js";
import { driftFiles } from "./drift-files.js";
import type { StatTestId } from "./drift/stat-tests.js";

const ev = evidentlyOracle();
const skip = ev.missing ? `Evidently missing: ${ev.missing}` : false;

const IDS: Record<string, StatTestId> = {
  "K-S p_value": "ks",
  "chi-square p_value": "chisquare",
  "Z-test p_value": "z",
  "Wasserstein distance (normed)": "wasserstein",
  "Jensen-Shannon distance": "jensenshannon",
  PSI: "psi",
  "Kullback-Leibler divergence": "kl_div",
  "Hellinger distance": "hellinger",
};

interface Case {
  name: string;
  nRef: number;
  nCur: number;
  tests?: Record<string, StatTestId>;
  thresholds?: Record<string, number>;
}

// Writes each case's CSVs (numpy, seeded), runs Evidently's preset on them, prints its results.
const ORACLE = `
import json, sys, os, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from evidently.report import Report
from evidently.metric_preset import DataDriftPreset
d = json.load(sys.stdin)
out = {}
for i, c in enumerate(d["cases"]):
    rng = np.random.default_rng(100 + i)
    def frame(n, cur):
        s = 0.4 if cur else 0.0
        f = pd.DataFrame({
            "shifted": rng.normal(s, 1, n),
            "same": rng.normal(0, 1, n),
            "skewed": rng.exponential(1 + s, n),
            "ints": rng.integers(0, 40 if not cur else 44, n),
            "few": rng.integers(0, 4, n),
            "flag": rng.choice([0, 1], n, p=[0.7, 0.3] if not cur else [0.6, 0.4]),
            "city": rng.choice(["rome", "oslo", "lima", "kyiv"], n, p=[0.4, 0.3, 0.2, 0.1] if not cur else [0.3, 0.3, 0.2, 0.2]),
            "tier": rng.choice(["a", "b", "c"] + (["d"] if cur else []), n),
            "steady": rng.choice(["x", "y"], n),
            "const": np.full(n, 7.0),
            "const_cat": ["k"] * n if not cur else list(rng.choice(["k", "j"], n, p=[0.9, 0.1])),
            "gaps": rng.normal(1 if cur else 0, 2, n),
            "target": rng.integers(0, 3, n),
            "prediction": rng.uniform(0, 1, n),
        })
        f.loc[rng.random(n) < 0.1, "gaps"] = np.nan
        f.loc[rng.random(n) < 0.01, "gaps"] = np.inf
        f.loc[rng.random(n) < 0.05, "city"] = None
        return f
    ref, cur = frame(c["nRef"], False), frame(c["nCur"], True)
    rp, cp = os.path.join(d["dir"], c["name"] + "-ref.csv"), os.path.join(d["dir"], c["name"] + "-cur.csv")
    ref.to_csv(rp, index=False); cur.to_csv(cp, index=False)
    ref, cur = pd.read_csv(rp), pd.read_csv(cp)
    kw = {}
    if c.get("tests"): kw["per_column_stattest"] = c["tests"]
    if c.get("thresholds"): kw["per_column_stattest_threshold"] = c["thresholds"]
    r = Report(metrics=[DataDriftPreset(**kw)]); r.run(reference_data=ref, current_data=cur)
    res = r.as_dict()["metrics"][1]["result"]
    out[c["name"]] = {"share": res["share_of_drifted_columns"], "drifted": res["dataset_drift"],
        "columns": {k: {"type": v["column_type"], "test": v["stattest_name"], "score": v["drift_score"], "threshold": v["stattest_threshold"], "drifted": v["drift_detected"]}
                    for k, v in res["drift_by_columns"].items()}}
print(json.dumps(out))
`;

describe("drift verdicts and scores vs Evidently's DataDriftPreset", { skip }, () => {
  const dir = tempDir("ciclo-evidently-");
  after(() => dir.remove());
  const every: Record<string, StatTestId> = { shifted: "psi", same: "kl_div", skewed: "hellinger", ints: "jensenshannon", few: "psi", city: "kl_div", tier: "hellinger", steady: "psi", gaps: "ks" };
  const cases: Case[] = [
    { name: "small", nRef: 600, nCur: 700 },
    { name: "tiny", nRef: 40, nCur: 12_000 },
    { name: "large", nRef: 6000, nCur: 9000 },
    { name: "overrides-small", nRef: 900, nCur: 500, tests: every, thresholds: { shifted: 0.05, city: 0.02 } },
    { name: "overrides-large", nRef: 5000, nCur: 4000, tests: { ...every, gaps: "wasserstein", few: "hellinger", steady: "jensenshannon" }, thresholds: { same: 0.01 } },
  ];
  let expected: Record<string, { share: number; drifted: boolean; columns: Record<string, { type: string; test: string; score: number; threshold: number; drifted: boolean }> }>;

  it("runs Evidently on the generated files", () => {
    expected = ev.run(ORACLE, { dir: dir.path, cases });
    assert.equal(Object.keys(expected).length, cases.length);
  });

  for (const c of cases) {
    it(`case ${c.name}: same columns, types, tests, verdicts; scores within their bounds`, async () => {
      const want = expected[c.name];
      const { report } = await driftFiles(
        { reference: join(dir.path, `${c.name}-ref.csv`), current: join(dir.path, `${c.name}-cur.csv`) },
        { tests: c.tests, thresholds: c.thresholds },
      );
      assert.deepEqual(report.columns.map((x) => x.column).sort(), Object.keys(want.columns).sort());
      for (const col of report.columns) {
        const e = want.columns[col.column];
        const where = `${c.name}/${col.column} (${col.test}, ${col.method})`;
        assert.equal(col.type, e.type, `${where}: type`);
        assert.equal(col.test, IDS[e.test], `${where}: test`);
        assert.equal(col.threshold, e.threshold, `${where}: threshold`);
        const tol = col.method === "exact" ? 1e-9 * Math.max(1, Math.abs(e.score)) : Math.max(col.errorBound ?? 0, 1e-3 * Math.max(1, Math.abs(e.score)));
        assert.ok(col.score !== null && Math.abs(col.score - e.score) <= tol, `${where}: score ${col.score} vs Evidently ${e.score} (tolerance ${tol})`);
        assert.equal(col.drifted, e.drifted, `${where}: verdict`);
      }
      assert.equal(report.dataset.share, want.share);
      assert.equal(report.dataset.drifted, want.drifted);
    });
  }
});
