import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { erfc, normalCdf } from "./normal-cdf.js";

const PY = "/usr/bin/python3";
const POINTS = [1.4999, 1.5, 1.6, 2.2, -6, -3.5, -2.999, -1, -0.3, 0, 1e-8, 0.1, 0.5, 1, 1.7, 2.5, 2.999, 3, 3.001, 4.2, 5.5, 8, 12, 20, 26.5];

function scipyErfc(xs: number[]): number[] | undefined {
  if (!existsSync(PY)) return undefined;
  try {
    const out = execFileSync(PY, ["-c", `import json,sys; from scipy.special import erfc; print(json.dumps([float(erfc(x)) for x in json.loads(sys.argv[1])]))`, JSON.stringify(xs)], { encoding: "utf8" });
    return JSON.parse(out) as number[];
  } catch {
    return undefined;
  }
}

describe("normal CDF", () => {
  test("erfc matches scipy.special.erfc to 1e-13 relative, tails included", (t) => {
    const want = scipyErfc(POINTS);
    if (!want) {
      if (process.env.CICLO_REQUIRE_ALL === "1") assert.fail("scipy is required (CICLO_REQUIRE_ALL=1)");
      return t.skip("scipy is not importable by /usr/bin/python3");
    }
    POINTS.forEach((x, i) => {
      const got = erfc(x);
      const rel = want[i] === 0 ? Math.abs(got) : Math.abs(got - want[i]) / want[i];
      assert.ok(rel < 1e-13, `erfc(${x}) = ${got}, scipy ${want[i]} (relative error ${rel})`);
    });
  });

  test("known values, symmetry and the far tail", () => {
    assert.equal(normalCdf(0), 0.5);
    assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-15);
    assert.ok(Math.abs(normalCdf(-1) + normalCdf(1) - 1) < 1e-15);
    // Φ(−10) ≈ 7.6199e-24: representable, and not 0 as 1 − Φ(10) would be.
    assert.ok(Math.abs(normalCdf(-10) / 7.61985302416047e-24 - 1) < 1e-12);
    assert.equal(erfc(40), 0);
    assert.equal(erfc(-40), 2);
    assert.ok(Number.isNaN(erfc(NaN)));
  });
});
