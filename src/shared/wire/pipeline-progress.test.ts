import assert from "node:assert/strict";
import { test } from "node:test";
import { pipelineRunTook, stepsDone } from "./pipeline-progress.js";

test("a run's progress counts steps that produced outputs, not skipped or failed ones", () => {
  const steps = (...statuses: string[]) => statuses.map((status) => ({ status }));
  assert.equal(stepsDone(steps("succeeded", "failed", "skipped", "skipped", "skipped", "skipped", "skipped", "skipped")), 1);
  assert.equal(stepsDone(steps("succeeded", "cached", "running", "pending")), 2);
  assert.equal(stepsDone([]), 0);
});

test("a resumed run took the time it ran, not the time it sat failed; the time since its first start is kept apart", () => {
  const MIN = 60_000;
  // Ran 5 minutes, failed, sat failed 3 hours, resumed and ran 2 more minutes.
  const resumed = { created_at: 0, resumed_at: 185 * MIN, earlier_run_ms: 5 * MIN, finished_at: 187 * MIN };
  assert.deepEqual(pipelineRunTook(resumed), { runningMs: 7 * MIN, sinceFirstStartMs: 187 * MIN, resumed: true });
  assert.deepEqual(pipelineRunTook({ created_at: 1000, finished_at: 1000 + 4 * MIN }), { runningMs: 4 * MIN, sinceFirstStartMs: 4 * MIN, resumed: false });
  assert.equal(pipelineRunTook({ created_at: 0, resumed_at: 10 }), undefined, "still running");
});
