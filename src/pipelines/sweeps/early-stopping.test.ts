import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Asha } from "./asha.js";
import type { TrialCurve } from "./early-stopping.js";
import { MedianStopping } from "./median-stopping.js";

const curve = (number: number, state: TrialCurve["state"], pts: Array<[number, number]>): TrialCurve => ({ number, state, points: pts.map(([step, value]) => ({ step, value })) });

describe("ASHA on scripted curves (η = 2, rungs at steps 1, 2, 4, 8)", () => {
  test("promotes the best 1/η at each rung and stops the rest, each rung deciding once", () => {
    const asha = new Asha("min", { minResource: 1, reductionFactor: 2 });
    assert.deepEqual([0, 1, 2, 3].map((k) => asha.rungStep(k)), [1, 2, 4, 8]);
    const t0 = curve(0, "complete", [[1, 0.9], [2, 0.8], [4, 0.7], [8, 0.6]]);
    const t1 = curve(1, "running", [[1, 0.5]]);
    const all = () => [t0, t1, t2, t3];
    const t2 = curve(2, "running", []);
    const t3 = curve(3, "running", []);
    // Rung 0 holds {0.9, 0.5}: the best 1 of 2 goes on.
    assert.deepEqual(asha.decide(t1, all()), { stop: false });
    t1.points.push({ step: 2, value: 0.45 });
    assert.deepEqual(asha.decide(t1, all()), { stop: false }, "rung 1 {0.8, 0.45}");
    t2.points.push({ step: 1, value: 1.2 });
    const d2 = asha.decide(t2, all());
    assert.equal(d2.stop, true);
    assert.equal(d2.reason, "ASHA rung 0 (step 1): 1.2 is not in the best 1 of 3 (cutoff 0.5).");
    t3.points.push({ step: 1, value: 0.6 });
    assert.deepEqual(asha.decide(t3, all()), { stop: false }, "rung 0 now has 4 values: the best 2 (0.5, 0.6) go on");
    t3.points.push({ step: 2, value: 0.7 });
    assert.equal(asha.decide(t3, all()).reason, "ASHA rung 1 (step 2): 0.7 is not in the best 1 of 3 (cutoff 0.45).");
    // t1 was promoted at rungs 0 and 1 when it got there; better values arriving later do not undo that.
    assert.deepEqual(asha.decide(t1, all()), { stop: false });
  });

  test("a trial seen first past several rungs is judged at each, with its first value at or past the rung", () => {
    const asha = new Asha("min", { minResource: 1, reductionFactor: 2 });
    const done = [curve(0, "complete", [[1, 1], [2, 0.2], [4, 0.1]]), curve(1, "complete", [[1, 2], [2, 0.3], [4, 0.2]])];
    const late = curve(2, "running", [[3, 0.5]]);
    // Rung 0: {1, 2, 0.5} → best 1 is 0.5: goes on. Rung 1 (step 2, value at step 3 = 0.5): {0.2, 0.3, 0.5} → stopped.
    assert.equal(asha.decide(late, [...done, late]).reason, "ASHA rung 1 (step 2): 0.5 is not in the best 1 of 3 (cutoff 0.2).");
  });

  test("the first trial at a rung goes on; maximising; no rung at or past max resource; NaN stops", () => {
    const asha = new Asha("max", { minResource: 2, reductionFactor: 3, maxResource: 18 });
    const a = curve(0, "running", [[2, 0.5]]);
    assert.deepEqual(asha.decide(a, [a]), { stop: false });
    const b = curve(1, "running", [[2, 0.4]]);
    assert.equal(asha.decide(b, [a, b]).stop, true, "lower accuracy loses when maximising");
    const c = curve(2, "running", [[2, 0.9], [6, 0.9], [18, 0.1], [54, 0.1]]);
    assert.deepEqual(asha.decide(c, [a, b, c]), { stop: false });
    const d = curve(3, "running", [[2, 0.95], [6, 0.1], [18, 0.0]]);
    assert.equal(asha.decide(d, [a, b, c, d]).reason, "ASHA rung 1 (step 6): 0.1 is not in the best 1 of 2 (cutoff 0.9).");
    const e = curve(4, "running", [[2, NaN]]);
    assert.equal(asha.decide(e, [a, b, c, d, e]).stop, true);
  });
});

describe("median stopping rule on scripted curves", () => {
  const done = [curve(0, "complete", [[1, 1.0], [2, 0.8], [3, 0.6]]), curve(1, "complete", [[1, 0.5], [2, 0.4], [3, 0.3]])];

  test("stops a trial whose best so far is worse than the median of completed trials' running averages at that step", () => {
    const rule = new MedianStopping("min", { minTrials: 2 });
    // Step 2: running averages 0.9 and 0.45, median 0.675; best so far 0.85 → stop.
    const lagging = curve(2, "running", [[1, 0.9], [2, 0.85]]);
    assert.equal(rule.decide(lagging, [...done, lagging]).reason, "median rule at step 2: best 0.85 is worse than the median 0.675 of 2 completed trials' running averages.");
    // Step 1: averages 1.0 and 0.5, median 0.75; best 0.6 → go on.
    const fine = curve(3, "running", [[1, 0.6]]);
    assert.deepEqual(rule.decide(fine, [...done, fine]), { stop: false });
  });

  test("nothing stops before min trials have completed or during warm-up; maximising mirrors", () => {
    const lagging = curve(2, "running", [[1, 9], [2, 9]]);
    assert.deepEqual(new MedianStopping("min", { minTrials: 3 }).decide(lagging, [...done, lagging]), { stop: false });
    assert.deepEqual(new MedianStopping("min", { minTrials: 2, warmupSteps: 3 }).decide(lagging, [...done, lagging]), { stop: false });
    const up = [curve(0, "complete", [[1, 1], [2, 2]]), curve(1, "complete", [[1, 3], [2, 4]])];
    const low = curve(2, "running", [[1, 1], [2, 1.5]]);
    assert.equal(new MedianStopping("max", { minTrials: 2 }).decide(low, [...up, low]).stop, true, "median of (1.5, 3.5) is 2.5 > 1.5");
  });
});
