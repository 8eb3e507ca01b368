/** What an endpoint history entry changed, as `ciclo endpoints history` and the endpoint page show it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { historyChange } from "./deployments-history.js";

test("endpoints history: the CHANGE cell says what an entry set (traffic before → after, mirror, a step's analysis, a model)", () => {
  const entry = (action: string, detail: unknown, deployment?: string) => ({ id: "1", endpoint: "fraud", action, detail, timestamp: 0, ...(deployment && { deployment }) });
  assert.equal(
    historyChange(entry("traffic.set", { from: { traffic: { blue: 100, green: 0 }, mirror_traffic: { green: 10 } }, traffic: { blue: 90, green: 10 }, mirror_traffic: {} })),
    "blue=100 → blue=90 green=10; mirror green=10 → -",
  );
  assert.equal(historyChange(entry("traffic.set", { from: { traffic: { blue: 100 }, mirror_traffic: {} }, traffic: { blue: 100, green: 0 }, mirror_traffic: { green: 10 } })), "blue=100; mirror - → green=10");
  assert.equal(historyChange(entry("traffic.set", { traffic: { blue: 100 }, mirror_traffic: {} }, "blue")), "blue=100");
  assert.equal(
    historyChange(entry("rollout.step", { rollout_id: "1", step: 2, traffic: { blue: 0, green: 100 }, mirror: {}, analysis: { window: { requests: 36, errors: 0, p99Ms: 27.03 }, candidate_percent: 50 } }, "green")),
    "green=100; judged at 50 %: 36 requests, 0 errors, p99 27.0 ms",
  );
  assert.equal(historyChange(entry("deployment.created", { model_uri: "models:/fraud/2", replicas: 1, target: "local" }, "green")), "models:/fraud/2 × 1");
  assert.equal(historyChange(entry("rollout.started", { stable: "blue", candidate: "green", strategy: "canary" }, "green")), "blue → green");
  assert.equal(historyChange(entry("endpoint.created", { strategy: "canary" })), "");
  assert.equal(historyChange(entry("endpoint.deleted", null)), "");
});
