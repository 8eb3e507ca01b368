import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fanovaImportances, treeMainEffects } from "./fanova.js";
import { createRng } from "./rng.js";
import { parameterImportances } from "./sweep-summary.js";
import type { TrialRecord } from "./sampler.js";
import { parseSearchSpace } from "./search-space-parser.js";
import type { ParamValues } from "./search-space.js";

describe("fANOVA importances", () => {
  test("a tree's main effects by hand: one split on x0 explains all of the variance", () => {
    const tree = { leaf: false as const, feature: 0, threshold: 0.5, left: { leaf: true as const, value: 0 }, right: { leaf: true as const, value: 2 } };
    assert.deepEqual(treeMainEffects(tree, [0, 0], [1, 1]), [1, 0]);
    // Split at 0.25: marginal 0 on a quarter, 2 on three quarters; all variance is still x0's.
    assert.deepEqual(treeMainEffects({ ...tree, threshold: 0.25 }, [0, 0], [1, 1]), [1, 0]);
  });

  test("ranks parameters by how much of the objective they explain; a dead parameter gets ~0", () => {
    const rng = createRng(3);
    const x = Array.from({ length: 200 }, () => [rng.uniform(), rng.uniform(), rng.uniform()]);
    const y = x.map(([a, b]) => 10 * a + 2 * Math.sin(6 * b));
    const imp = fanovaImportances(x, y, [0, 0, 0], [1, 1, 1], createRng(4));
    assert.ok(Math.abs(imp.reduce((s, v) => s + v, 0) - 1) < 1e-9);
    assert.ok(imp[0] > imp[1] && imp[1] > imp[2], imp.join(", "));
    assert.ok(imp[0] > 0.6 && imp[2] < 0.05, imp.join(", "));
  });

  test("catches a non-monotone effect a correlation would miss", () => {
    const rng = createRng(5);
    const x = Array.from({ length: 150 }, () => [rng.uniform(), rng.uniform()]);
    const y = x.map(([a, b]) => (a - 0.5) ** 2 * 40 + b);
    const imp = fanovaImportances(x, y, [0, 0], [1, 1], createRng(6));
    assert.ok(imp[0] > 0.8, imp.join(", "));
  });

  test("from trials: log-scaled and categorical parameters, conditional ones left out and said so", () => {
    const space = parseSearchSpace("lr: { loguniform: [1.0e-5, 1] }\nopt: { choice: [a, b, c] }\nm:\n  choice:\n    s: { C: { uniform: [0, 1] } }\n    t: {}\n", "s.yaml");
    const rng = createRng(8);
    const trials: TrialRecord[] = Array.from({ length: 60 }, (_, number) => {
      const lr = 10 ** (-5 * rng.uniform());
      const opt = ["a", "b", "c"][rng.int(0, 2)];
      const m = rng.uniform() < 0.5 ? "s" : "t";
      const params: ParamValues = m === "s" ? { lr, opt, m, C: rng.uniform() } : { lr, opt, m };
      return { number, params, state: "complete", value: Math.abs(Math.log10(lr) + 2.5) + (opt === "c" ? 0.2 : 0) };
    });
    const { importances, note } = parameterImportances(space, trials, 1);
    assert.deepEqual(importances.map((i) => i.param), ["lr", "opt", "m"]);
    assert.match(note ?? "", /not rated \(active in only some trials\): C/);
    assert.deepEqual(parameterImportances(space, trials.slice(0, 3), 1).importances, []);
  });
});
