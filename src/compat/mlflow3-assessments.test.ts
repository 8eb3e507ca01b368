/**
 * MLflow 3 assessments and trace–run links with the real MLflow 3.3 client
 * (the shared oracle) against a real ciclo server on loopback
 * (mlflow3-assessments.py, beside this file): log_feedback, log_expectation,
 * get/update/override/delete, feedback logged inside an active trace,
 * link_traces_to_run and search_traces(run_id=); MLflow 2's trace routes
 * through the client's own V2 calls; with authentication off and
 * on (as a non-admin user). Skips with the reason when the oracle cannot run
 * (fails under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test, type TestContext } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { createUserAs, runMlflowScript, startLiveServerWithAuth } from "../testing/mlflow-script.js";

const SCRIPT = fileURLToPath(new URL("./mlflow3-assessments.py", import.meta.url));

async function roundTrip(t: TestContext, server: LiveTrackingServer, credentials: Record<string, string> = {}): Promise<void> {
  const r = await runMlflowScript(t, server, SCRIPT, { credentials, what: "assessments script" });
  if (!r) return;
  assert.deepEqual(r.logged, {
    ids: true,
    get: ["relevance", 0.6, "partly", "LLM_JUDGE", "judge-model", { round: "1" }, true],
    error: ["ValueError", "judge timed out", null],
    span: [true],
    expectations: [["doc", { id: 7 }], "HUMAN"],
  });
  assert.deepEqual(r.update, {
    expectation: ["forty-two", "forty-two"],
    feedback: [{ hits: 3 }, "re-judged", { v: "2" }],
  });
  assert.deepEqual(r.override, { new: [0.9, true, true], old_valid: [false, true], in_trace_info: 6, after_delete: 5 });
  assert.deepEqual(r.inline, [["inline", true]]);
  assert.equal(r.link, true);
  assert.deepEqual(r.v2, {
    start: [32, "IN_PROGRESS", "legacy", true],
    // (The client marks a V2 trace info it parses with mlflow.trace_schema.version 2.)
    end: [300, "OK", { m: "1", m2: "2", "mlflow.trace_schema.version": "2" }, "x"],
    get: [true, 300],
    search: [true],
    v3: ["OK", 300],
  });
  assert.deepEqual(r.errors, {
    unknown_trace: "RESOURCE_DOES_NOT_EXIST",
    unknown_assessment: "RESOURCE_DOES_NOT_EXIST",
    wrong_kind: "INVALID_PARAMETER_VALUE",
    link_unknown_run: "RESOURCE_DOES_NOT_EXIST",
    delete_again: "no error",
  });
}

describe("the real MLflow 3.3 client's assessments and trace links against ciclo server", () => {
  let server: LiveTrackingServer;
  before(async () => {
    server = await startLiveTrackingServer();
  });
  after(async () => {
    await server.close();
  });

  test("feedback, expectations, override, update, delete, link_traces_to_run", { timeout: 300_000 }, (t) => roundTrip(t, server));
});

describe("the real MLflow 3.3 client's assessments with authentication on, as a non-admin user", () => {
  const ADMIN = { username: "admin", password: "assess-admin-password-1" };
  let server: LiveTrackingServer;
  before(async () => {
    server = await startLiveServerWithAuth(ADMIN);
  });
  after(async () => {
    await server.close();
  });

  test("the same round trip as the experiment's creator", { timeout: 300_000 }, async (t) => {
    await roundTrip(t, server, await createUserAs(server.url, ADMIN, { username: "judge", password: "judge-password-1" }));
  });
});
