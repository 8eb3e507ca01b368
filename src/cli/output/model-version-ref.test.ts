import assert from "node:assert/strict";
import { test } from "node:test";
import { versionRanges } from "./model-version-ref.js";

test("version lists read as ranges: runs of three or more joined, pairs and gaps listed", () => {
  assert.equal(versionRanges([]), "");
  assert.equal(versionRanges([1]), "1");
  assert.equal(versionRanges([2, 1]), "1, 2");
  assert.equal(versionRanges([1, 2, 3, 5, 7, 8, 9, 10, 12]), "1–3, 5, 7–10, 12");
  assert.equal(versionRanges([3, 3, 1, 2]), "1–3");
  assert.equal(versionRanges(Array.from({ length: 400 }, (_, i) => 400 - i)), "1–400");
});
