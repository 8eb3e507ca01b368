/** What Compare knows about its runs: colours, values of any key, the default metric, what differs, the point budget. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WireRun } from "../../api/tracking-api";
import { COARSE_POINTS, defaultMetric, differs, diffKey, displayValue, needsCoarse, pointsPerRun, runColor, valueOf, type CompareRun } from "./compare-data";

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

  test("diff equality: as shown or typed — numbers numerically, missing apart from empty, formatted attributes as shown", () => {
    assert.equal(differs(["a", "a", "a"], "params.x"), false);
    assert.equal(differs(["a", undefined], "params.x"), true);
    assert.equal(differs([undefined, undefined], "params.x"), false);
    // Missing and empty are different values, shown differently.
    assert.equal(differs(["", undefined], "tags.note"), true);
    assert.equal(differs(["", ""], "tags.note"), false);
    assert.equal(displayValue("tags.note", ""), "(empty)");
    assert.equal(displayValue("tags.note", undefined), "—");
    // Numbers compare numerically, whether logged as metrics or typed as params.
    assert.equal(differs([1, 1], "metrics.acc"), false);
    assert.equal(differs([NaN, NaN], "metrics.acc"), false);
    assert.equal(differs(["0.1", "0.10", "1e-1"], "params.lr"), false);
    assert.equal(differs(["0.1", "0.2"], "params.lr"), true);
    // Text that is not a plain decimal compares exactly as typed.
    assert.equal(differs(["0x10", "16"], "params.seed"), true);
    assert.equal(differs([" 1", "1"], "params.seed"), true);
    assert.equal(differs(["Adam", "adam"], "params.opt"), true);
    // The "Started" bug: two runs started seconds apart show the same minute and are not flagged.
    const t = Date.UTC(2025, 0, 6, 9, 30, 5);
    assert.equal(displayValue("attributes.start_time", t), displayValue("attributes.start_time", t + 20_000));
    assert.equal(differs([t, t + 20_000], "attributes.start_time"), false);
    assert.equal(differs([t, t + 3_600_000], "attributes.start_time"), true);
    assert.equal(differs([65_000, 65_020], "attributes.duration"), false);
    assert.equal(diffKey("attributes.duration", 65_000), diffKey("attributes.duration", 65_040));
    assert.equal(differs([65_000, 125_000], "attributes.duration"), true);
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
