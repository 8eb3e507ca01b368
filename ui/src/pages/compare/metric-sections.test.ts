/** The Compare grid's sections: grouping by prefix, order, search, folds, and the first charts the prefetch loads. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CHARTS_PER_SECTION, firstCharts, foldedSections, metricSections, prefixOf } from "./metric-sections";

const KEYS = ["val/loss", "train/loss", "loss", "system/cpu", "train/acc", "val/acc", "lr", "train/layer10/grad", "train/layer2/grad"];

describe("metric sections", () => {
  test("grouped by the prefix before the first slash, prefixes alphabetical, keys without one last", () => {
    assert.equal(prefixOf("train/layer2/grad"), "train");
    assert.equal(prefixOf("loss"), "");
    assert.equal(prefixOf("/odd"), "");
    const s = metricSections(KEYS, "", new Set());
    assert.deepEqual(
      s.map((x) => [x.id, x.title, x.keys]),
      [
        ["system", "system", ["system/cpu"]],
        ["train", "train", ["train/acc", "train/layer2/grad", "train/layer10/grad", "train/loss"]],
        ["val", "val", ["val/acc", "val/loss"]],
        ["", "Other", ["loss", "lr"]],
      ],
    );
    assert.deepEqual(metricSections(["loss", "acc"], "", new Set()).map((x) => x.title), ["Metrics"]);
  });

  test("folds: system metrics start folded; the URL's list replaces the default; '-' folds none", () => {
    assert.deepEqual([...foldedSections(undefined)], ["system"]);
    assert.deepEqual([...foldedSections(["-"])], []);
    assert.deepEqual([...foldedSections(["val", "train"])].sort(), ["train", "val"]);
    const s = metricSections(KEYS, "", foldedSections(undefined));
    assert.deepEqual(s.filter((x) => x.folded).map((x) => x.id), ["system"]);
  });

  test("the search narrows every section (case-insensitive) and shows matches unfolded", () => {
    const s = metricSections(KEYS, "ACC", foldedSections(["train", "val"]));
    assert.deepEqual(s.map((x) => [x.id, x.keys, x.folded]), [
      ["train", ["train/acc"], false],
      ["val", ["val/acc"], false],
    ]);
    assert.deepEqual(metricSections(KEYS, "nothing", new Set()), []);
  });

  test("the first charts: unfolded sections top to bottom, at most a section's page each", () => {
    const s = metricSections(KEYS, "", foldedSections(undefined));
    assert.deepEqual(firstCharts(s, 3), ["train/acc", "train/layer2/grad", "train/layer10/grad"]);
    const many = Array.from({ length: 40 }, (_, i) => `a/m${i}`).concat(["b/x"]);
    const first = firstCharts(metricSections(many, "", new Set()), 100);
    assert.equal(first.length, CHARTS_PER_SECTION + 1);
    assert.equal(first[first.length - 1], "b/x");
  });
});
