/**
 * CSV columns typed as `pandas.read_csv` types them (what Evidently sees):
 * the kinds and dtypes, missing counts and numbers compared with pandas on a
 * file of awkward columns. Skips with the reason when pandas is missing,
 * unless CICLO_REQUIRE_ALL=1.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pandasOracle } from "../../testing/python-oracle.js";
import { tempDir } from "../../testing/temp-dir.js";
import { profileReference } from "../profiles/profiler.js";
import { CsvTableSource } from "./csv-table-source.js";

const pd = pandasOracle();

describe("CSV typing vs pandas.read_csv", { skip: pd.missing ? `pandas missing: ${pd.missing}` : false }, () => {
  const dir = tempDir("ciclo-csv-");
  after(() => dir.remove());

  it("kinds, dtypes, missing counts and sums agree with pandas", async () => {
    const rows = [
      ["ints", "ints_na", "floats", "exp", "bools", "bools_na", "text", "mixed", "nas", "infs", "quoted"],
      ["1", "1", "1.5", "1e3", "True", "true", "a", "1", "NA", "inf", '"1,5"'],
      ["-2", "", "2", "-2.5E-1", "False", "", "b", "x", "null", "-inf", '"x ""y"""'],
      ["3", "NaN", ".5", "3", "TRUE", "False", "None", "2.5", "", "1.5", "z"],
      ["40", "4", "-0.25", "4", "false", "True", "", "n/a", "#N/A", "-Infinity", "w"],
    ];
    const path = join(dir.path, "t.csv");
    writeFileSync(path, rows.map((r) => r.join(",")).join("\n") + "\n");
    const expected = pd.run<Record<string, { dtype: string; missing: number; sum: number | null; inf: number }>>(
      `import json, sys
import numpy as np, pandas as pd
# pandas 2's default NA strings include "None"; Debian's pandas 1.5 lacks it, so it is added here.
df = pd.read_csv(json.load(sys.stdin), na_values=["None"])
out = {}
for c in df.columns:
    s = df[c]
    num = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    fin = s[np.isfinite(s)] if num else None
    out[c] = {"dtype": str(s.dtype), "missing": int(s.isna().sum()), "sum": float(fin.sum()) if num else None, "inf": int(np.isinf(s).sum()) if num else 0}
print(json.dumps(out))`,
      path,
    );
    const cols = await new CsvTableSource(path).columns();
    const profile = await profileReference(new CsvTableSource(path));
    for (const c of cols) {
      const e = expected[c.name];
      // True/False with missing values: pandas keeps an object column of Python booleans — categorical either way,
      // and ciclo keeps reading the literals as booleans so "true" and "True" stay one category.
      const boolsWithNa = c.name === "bools_na";
      const kind = e.dtype.startsWith("int") ? "num:int" : e.dtype.startsWith("float") ? "num:float" : e.dtype === "bool" || boolsWithNa ? "cat:bool" : "cat:string";
      assert.equal(`${c.kind}:${c.dtype}`, kind, `${c.name}: pandas dtype ${e.dtype}`);
      const p = profile.columns.find((x) => x.name === c.name)!;
      assert.equal(p.missing, e.missing, `${c.name}: missing`);
      if (p.kind === "num") {
        assert.equal(p.infinite, e.inf, `${c.name}: infinite`);
        assert.ok(Math.abs(p.mean * p.n - (e.sum ?? 0)) < 1e-9, `${c.name}: sum ${p.mean * p.n} vs ${e.sum}`);
      }
    }
  });
});
