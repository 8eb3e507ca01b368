/** Chart data without a browser: debiased smoothing, plottable values, series joins. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignSeries, MAX_ALIGNED_CELLS, plottable, smooth, xScale } from "./chart-data";

describe("chart data", () => {
  test("smoothing is a debiased EMA: constant input stays constant, NaN passes through", () => {
    assert.deepEqual(smooth([5, 5, 5], 0.9).map((v) => Number(v.toFixed(12))), [5, 5, 5]);
    const s = smooth([0, 10, NaN, 10], 0.5);
    assert.equal(s[0], 0);
    assert.ok(Math.abs(s[1] - 20 / 3) < 1e-12, String(s[1]));
    assert.ok(Number.isNaN(s[2]));
    assert.deepEqual(smooth([1, 2], 0), [1, 2]);
  });

  test("plottable values: non-finite → gap; on a log axis non-positive → gap", () => {
    assert.deepEqual(plottable([1, NaN, Infinity, -2, 0], false), [1, null, null, -2, 0]);
    assert.deepEqual(plottable([1, -2, 0, 3], true), [1, null, null, 3]);
  });

  test("series with the same steps are used as they are; others are joined with gaps; huge joins are refused", () => {
    assert.deepEqual(alignSeries([[0, 1], [0, 1]], [[1, 2], [3, 4]]), [[0, 1], [1, 2], [3, 4]]);
    assert.deepEqual(alignSeries([[0, 2], [1, 2]], [[1, 2], [3, 4]]), [[0, 1, 2], [1, null, 2], [null, 3, 4]]);
    const n = Math.ceil(MAX_ALIGNED_CELLS / 2) + 1;
    const a = Array.from({ length: n }, (_, i) => 2 * i);
    const b = Array.from({ length: n }, (_, i) => 2 * i + 1);
    assert.equal(alignSeries([a, b], [a.map(() => 1), b.map(() => 1)]), undefined);
  });

  test("x scale: automatic for several x values; one x value (a monitor's first window, one step) gets a padded range", () => {
    assert.deepEqual(xScale([[1, 2], [2, 3]], "step"), { time: false, auto: true });
    assert.deepEqual(xScale([[1_796_623_260], [1_796_623_260]], "time"), { time: true, auto: false, min: 1_796_623_260 - 3600, max: 1_796_623_260 + 3600 });
    assert.deepEqual(xScale([[7]], "step"), { time: false, auto: false, min: 6, max: 8 });
    assert.deepEqual(xScale([[], []], "relative"), { time: false, auto: true });
  });
});
