/**
 * The Compare and Models pages' pure logic, without a browser: plot scales
 * (linear, log for sweeps over decades, categories), the hover's nearest
 * point, run colours, values of any key, the default metric, what differs,
 * the point budget and when a coarse pass goes first, and the models search
 * box's filter.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WireRun } from "../../shared/wire/tracking-wire.js";

// These UI modules import siblings without file extensions (Vite's resolution), which this project's
// NodeNext type-check refuses to follow: they are loaded at run time (tsx resolves them) and used untyped.
const uiModule = (path: string): Promise<any> => import(new URL(`../../../ui/src/${path}`, import.meta.url).href);
const { modelFilter } = await uiModule("api/registry-api.ts");
const { COARSE_POINTS, defaultMetric, differs, needsCoarse, pointsPerRun, runColor, valueOf } = await uiModule("pages/compare/compare-data.ts");
const { makeScale, nearestIndex, niceTicks, rampColor, scaleOptions } = await uiModule("pages/compare/plot-scales.ts");
type CompareRun = { id: string; name: string; color: string; run: WireRun };

function run(id: string, o: { params?: Record<string, string>; metrics?: Record<string, [number | string, number]>; tags?: Record<string, string>; start?: number; end?: number } = {}): WireRun {
  return {
    info: { run_id: id, run_uuid: id, run_name: id, experiment_id: "1", user_id: "u", status: "FINISHED", start_time: o.start, end_time: o.end, lifecycle_stage: "active" },
    data: {
      params: Object.entries(o.params ?? {}).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(o.metrics ?? {}).map(([key, [value, step]]) => ({ key, value, step, timestamp: 0 })),
      tags: Object.entries(o.tags ?? {}).map(([key, value]) => ({ key, value })),
    },
    inputs: {},
  } as unknown as WireRun;
}

describe("plot scales", () => {
  test("numbers get a linear axis with round ticks inside the padded range", () => {
    const s = makeScale([0.2, 0.5, 0.8]);
    assert.equal(s.kind, "linear");
    assert.ok(s.toUnit(0.2)! > 0 && s.toUnit(0.2)! < 0.1);
    assert.ok(s.toUnit(0.8)! < 1 && s.toUnit(0.8)! > 0.9);
    assert.equal(s.toUnit(undefined), undefined);
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    for (const t of s.ticks as Array<{ at: number }>) assert.ok(t.at >= 0 && t.at <= 1, JSON.stringify(t));
  });

  test("a sweep over two decades or more is logarithmic; non-positive values have no position", () => {
    const s = makeScale(["0.1", "0.001", "0.0001"], scaleOptions("params.lr"));
    assert.equal(s.kind, "log");
    assert.equal(s.toUnit("0.0001"), 0);
    assert.equal(s.toUnit("0.1"), 1);
    assert.equal(s.toUnit(0), undefined);
    assert.deepEqual(s.ticks.map((t: { label: string }) => t.label), ["1.000e-4", "0.001", "0.01", "0.1"]);
  });

  test("params with a few values read as categories, sorted numerically; tags and strings always", () => {
    const b = makeScale(["256", "64", "128", "64"], scaleOptions("params.batch_size"));
    assert.equal(b.kind, "category");
    assert.deepEqual(b.ticks.map((t: { label: string }) => t.label), ["64", "128", "256"]);
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

describe("compare data", () => {
  test("colours: the palette, then distinct generated hues", () => {
    const colors = Array.from({ length: 200 }, (_, i) => runColor(i));
    assert.equal(colors[0], "#3b6fe0");
    assert.equal(new Set(colors).size, 200);
  });

  test("values of params, metrics (NaN and infinities), tags and attributes", () => {
    const r = run("a", { params: { lr: "0.1" }, metrics: { loss: [0.5, 9], bad: ["NaN", 1] }, tags: { team: "cv" }, start: 1000, end: 4000 });
    assert.equal(valueOf(r, "params.lr"), "0.1");
    assert.equal(valueOf(r, "metrics.loss"), 0.5);
    assert.ok(Number.isNaN(valueOf(r, "metrics.bad") as number));
    assert.equal(valueOf(r, "tags.team"), "cv");
    assert.equal(valueOf(r, "attributes.duration"), 3000);
    assert.equal(valueOf(r, "attributes.status"), "FINISHED");
    assert.equal(valueOf(r, "params.missing"), undefined);
    assert.equal(valueOf(run("b", { start: 1 }), "attributes.duration"), undefined);
  });

  test("default metric: the one most runs have, ties alphabetical", () => {
    assert.equal(defaultMetric([run("a", { metrics: { z: [1, 0], b: [1, 0] } }), run("b", { metrics: { z: [1, 0] } })]), "z");
    assert.equal(defaultMetric([run("a", { metrics: { z: [1, 0], b: [1, 0] } })]), "b");
    assert.equal(defaultMetric([run("a")]), undefined);
  });

  test("differs: absent counts as a value; numbers compare as numbers", () => {
    assert.equal(differs(["a", "a", "a"]), false);
    assert.equal(differs(["a", undefined]), true);
    assert.equal(differs([undefined, undefined]), false);
    assert.equal(differs([1, 1]), false);
    assert.equal(differs([1, "1"]), true);
  });

  test("point budget per run, and a coarse first pass only for long histories", () => {
    assert.equal(pointsPerRun(2), 1000);
    assert.equal(pointsPerRun(100), 400);
    assert.equal(pointsPerRun(1000), 200);
    const compare = (n: number, lastStep: number): CompareRun[] =>
      Array.from({ length: n }, (_, i) => ({ id: `r${i}`, name: `r${i}`, color: "", run: run(`r${i}`, { metrics: { loss: [1, lastStep] } }) }));
    assert.equal(needsCoarse(compare(100, 9999), "loss"), true);
    assert.equal(needsCoarse(compare(10, 9999), "loss"), false);
    assert.equal(needsCoarse(compare(100, 9999), "acc"), false);
    assert.ok(COARSE_POINTS < 100);
  });
});

describe("models search box", () => {
  test("plain text matches names containing it (LIKE wildcards and quotes escaped); filters pass as written", () => {
    assert.equal(modelFilter("  "), undefined);
    assert.equal(modelFilter("fraud"), "name ILIKE '%fraud%'");
    assert.equal(modelFilter("50%_o'k"), "name ILIKE '%50\\%\\_o''k%'");
    assert.equal(modelFilter("tags.team = 'risk'"), "tags.team = 'risk'");
    assert.equal(modelFilter("name LIKE 'fr%'"), "name LIKE 'fr%'");
    assert.equal(modelFilter("tags.`mlflow.source` != 'x'"), "tags.`mlflow.source` != 'x'");
    assert.equal(modelFilter("models in prod"), "name ILIKE '%models in prod%'");
  });
});
