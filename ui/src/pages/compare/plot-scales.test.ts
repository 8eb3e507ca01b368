/** Plot scales (linear, log for sweeps over decades, categories), the hover's nearest point and the colour ramp. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeScale, nearestIndex, niceTicks, rampColor, scaleOptions } from "./plot-scales";

describe("plot scales", () => {
  test("numbers get a linear axis with round ticks inside the padded range", () => {
    const s = makeScale([0.2, 0.5, 0.8]);
    assert.equal(s.kind, "linear");
    assert.ok(s.toUnit(0.2)! > 0 && s.toUnit(0.2)! < 0.1);
    assert.ok(s.toUnit(0.8)! < 1 && s.toUnit(0.8)! > 0.9);
    assert.equal(s.toUnit(undefined), undefined);
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    for (const t of s.ticks) assert.ok(t.at >= 0 && t.at <= 1, JSON.stringify(t));
  });

  test("a sweep over two decades or more is logarithmic; non-positive values have no position", () => {
    const s = makeScale(["0.1", "0.001", "0.0001"], scaleOptions("params.lr"));
    assert.equal(s.kind, "log");
    assert.equal(s.toUnit("0.0001"), 0);
    assert.equal(s.toUnit("0.1"), 1);
    assert.equal(s.toUnit(0), undefined);
    assert.deepEqual(s.ticks.map((t) => t.label), ["1.000e-4", "0.001", "0.01", "0.1"]);
  });

  test("params with a few values read as categories, sorted numerically; tags and strings always", () => {
    const b = makeScale(["256", "64", "128", "64"], scaleOptions("params.batch_size"));
    assert.equal(b.kind, "category");
    assert.deepEqual(b.ticks.map((t) => t.label), ["64", "128", "256"]);
    assert.deepEqual([b.toUnit("64"), b.toUnit("128"), b.toUnit("256")], [0, 0.5, 1]);
    assert.equal(makeScale([0.1, 0.2, 0.3], scaleOptions("metrics.loss")).kind, "linear");
    assert.equal(makeScale(["adam", "sgd"], scaleOptions("params.optimizer")).kind, "category");
    assert.equal(makeScale(["1", "2"], scaleOptions("tags.fold")).kind, "category");
    const one = makeScale(["x"]);
    assert.equal(one.toUnit("x"), 0.5);
  });

  test("the hover finds the nearest x by binary search; the ramp covers [0, 1]", () => {
    const xs = [0, 10, 20, 35, 50];
    assert.equal(nearestIndex(xs, -5), 0);
    assert.equal(nearestIndex(xs, 14), 1);
    assert.equal(nearestIndex(xs, 16), 2);
    assert.equal(nearestIndex(xs, 49), 4);
    assert.equal(nearestIndex(xs, 1000), 4);
    assert.equal(nearestIndex([7], 3), 0);
    assert.equal(rampColor(0), "rgb(59 111 224)");
    assert.equal(rampColor(1), "rgb(214 69 108)");
    assert.equal(rampColor(undefined), "var(--text-faint)");
  });
});
