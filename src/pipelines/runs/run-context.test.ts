/**
 * Whether a step runs once its needs have finished, as GitHub Actions decides
 * for jobs: without a status function in `if:`, a failed, cancelled or
 * skipped need (direct or not) skips the step — a skipped need is not a
 * success; `if: always()` or `!cancelled() && !failure()` run it anyway (the
 * latter not after a failure); cached needs count as succeeded; the reason
 * recorded names what happened.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StepSpec } from "../definition/pipeline-spec.js";
import { stepDecision } from "./run-context.js";

const step = (cond?: string): StepSpec => ({ id: "s", uses: "run", run: "true", with: {}, needs: ["n"], env: {}, retries: 0, retryDelaySeconds: 1, cache: false, ...(cond !== undefined && { if: cond }) });
const decide = (cond: string | undefined, needStates: string[], inputs: Record<string, unknown> = {}) => stepDecision(step(cond), { inputs, steps: {}, pipeline: {}, needStates, cancelled: false });

test("after needs that succeeded or were cached, the default if: runs the step; a false if: skips it, saying so", () => {
  assert.deepEqual(decide(undefined, ["succeeded", "cached"]), { run: true });
  assert.deepEqual(decide("inputs.go", ["succeeded"], { go: true }), { run: true });
  assert.deepEqual(decide("inputs.go", ["succeeded"], { go: false }), { run: false, why: "if: inputs.go was false" });
});

test("a skipped need skips the step unless its if: calls a status function", () => {
  const skipped = decide(undefined, ["succeeded", "skipped"]);
  assert.equal(skipped.run, false);
  assert.match((skipped as { why: string }).why, /a step it needs was skipped/);
  // A true if: without a status function does not rescue it (success() is implied and false), and the reason is the skipped need, not the if.
  const withIf = decide("inputs.go", ["skipped"], { go: true });
  assert.equal(withIf.run, false);
  assert.match((withIf as { why: string }).why, /was skipped/);
  assert.equal(decide("success()", ["skipped"]).run, false, "success() is false after a skipped need");
  assert.deepEqual(decide("always()", ["skipped"]), { run: true });
  assert.deepEqual(decide("!cancelled() && !failure()", ["skipped", "succeeded"]), { run: true });
});

test("a failed need skips the step; failure() and always() run it; !cancelled() && !failure() does not", () => {
  assert.deepEqual(decide(undefined, ["failed", "skipped"]), { run: false, why: "a step it needs did not succeed" });
  assert.deepEqual(decide("failure()", ["failed"]), { run: true });
  assert.deepEqual(decide("always()", ["failed"]), { run: true });
  assert.deepEqual(decide("!cancelled() && !failure()", ["failed"]), { run: false, why: "if: !cancelled() && !failure() was false" });
  assert.deepEqual(decide(undefined, ["cancelled"]), { run: false, why: "a step it needs did not succeed" });
});
