import assert from "node:assert/strict";
import { test } from "node:test";
import { stepsDone } from "./pipeline-progress.js";

test("a run's progress counts steps that produced outputs, not skipped or failed ones", () => {
  const steps = (...statuses: string[]) => statuses.map((status) => ({ status }));
  assert.equal(stepsDone(steps("succeeded", "failed", "skipped", "skipped", "skipped", "skipped", "skipped", "skipped")), 1);
  assert.equal(stepsDone(steps("succeeded", "cached", "running", "pending")), 2);
  assert.equal(stepsDone([]), 0);
});
