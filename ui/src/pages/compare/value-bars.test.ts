/** A metric each run logged once becomes one bar per run; a metric with a history stays a line chart. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { valueBars } from "./value-bars";

const run = (id: string, ys: number[]) => ({ id, label: id, color: "#000", xs: ys.map((_, i) => i), ys });

test("one value per run: bars from zero, equal values equal bars (their dots hid each other)", () => {
  const bars = valueBars([run("a", [0.92]), run("b", [0.97]), run("c", [0.97])], new Set())!;
  assert.deepEqual(bars.map((b) => [b.id, b.value, b.from]), [["a", 0.92, 0], ["b", 0.97, 0], ["c", 0.97, 0]]);
  assert.equal(bars[1]!.to, 1);
  assert.equal(bars[2]!.to, bars[1]!.to);
  assert.ok(Math.abs(bars[0]!.to - 0.92 / 0.97) < 1e-12);
});

test("negative values: bars grow both ways from zero", () => {
  const [neg, pos] = valueBars([run("n", [-1]), run("p", [3])], new Set())!;
  assert.deepEqual([neg!.from, neg!.to, pos!.from, pos!.to], [0, 0.25, 0.25, 1]);
});

test("a run with a history keeps the line chart; hidden runs and runs without the metric get no bar", () => {
  assert.equal(valueBars([run("a", [0.5]), run("b", [0.4, 0.3])], new Set()), undefined);
  assert.deepEqual(valueBars([run("a", [0.5]), run("b", [0.4]), run("c", [])], new Set(["b"]))!.map((b) => b.id), ["a"]);
  assert.equal(valueBars([run("a", [0.5])], new Set(["a"])), undefined, "nothing to show");
  assert.deepEqual(valueBars([run("a", [NaN, 2])], new Set())!.map((b) => b.value), [2], "NaN is not a value");
});
