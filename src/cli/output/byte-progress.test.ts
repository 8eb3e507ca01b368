import assert from "node:assert/strict";
import { test } from "node:test";
import { createByteProgress } from "./byte-progress.js";
import type { ProgressBar } from "./progress-bar.js";

function recorder(): ProgressBar & { updates: Array<[number, number, string]> } {
  const updates: Array<[number, number, string]> = [];
  return { updates, update: (d, t, l) => updates.push([d, t, l]), log: () => {}, stop: () => {} };
}

test("byte progress: counts in a readable unit picked from the total, grows with late totals", () => {
  const bar = recorder();
  const p = createByteProgress(30 * 1024 * 1024, "uploading model", bar);
  p.add(10 * 1024 * 1024);
  assert.deepEqual(bar.updates.at(-1), [10, 30, "MiB  uploading model"]);
  const small = recorder();
  const q = createByteProgress(0, "downloading", small);
  q.grow(500);
  q.add(200);
  assert.deepEqual(small.updates.at(-1), [200, 500, "B  downloading"]);
  q.grow(20_000);
  q.setLabel("downloading b");
  assert.deepEqual(small.updates.at(-1), [0, 21, "KiB  downloading b"]);
  q.add(25_000); // more than announced: the total follows
  assert.deepEqual(small.updates.at(-1), [24, 25, "KiB  downloading b"]);
  assert.equal(q.done, 25_200);
});
