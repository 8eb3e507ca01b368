/**
 * MLflow 3 tracing with the real MLflow 3.3 client (the shared oracle) against
 * a real ciclo server on loopback (mlflow3-traces.py, beside this file):
 * `@mlflow.trace` on nested functions, a span with inputs, outputs and
 * attributes, a failing function (state ERROR), a trace inside a run, then
 * get_trace, search_traces (filters on status, tags, metadata and times;
 * order_by; pages; run_id), set/delete tag and delete_traces by id and by
 * time; a trace under the active logged model found by `model_id`; the same
 * with authentication on, as a non-admin user. Skips with the reason when the oracle cannot run (fails under
 * CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test, type TestContext } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { createUserAs, runMlflowScript, startLiveServerWithAuth } from "../testing/mlflow-script.js";

const SCRIPT = fileURLToPath(new URL("./mlflow3-traces.py", import.meta.url));

/** Runs mlflow3-traces.py against `server` (as `credentials`, when given) and checks its summary. */
async function roundTrip(t: TestContext, server: LiveTrackingServer, credentials: Record<string, string> = {}): Promise<void> {
  const r = await runMlflowScript(t, server, SCRIPT, { credentials, what: "traces script" });
  if (!r) return;
  assert.deepEqual(r.ok, {
    state: "OK",
    spans: ["add", "pipeline", "retrieve"],
    retrieve: { inputs: { query: 41 }, outputs: { docs: ["a", "b"] }, top_k: 2, type: "RETRIEVER" },
    root: { inputs: { x: 41 }, outputs: 42, team: "tour" },
    request_preview: { x: 41 },
    artifact_location_ok: true,
  });
  assert.deepEqual(r.error, { state: "ERROR", span_status: "ERROR", exception: "bad input 7" });
  assert.deepEqual(r.run, { source_run: true });
  assert.deepEqual(r.search, {
    by_status: true,
    oldest_first: true,
    by_name: true,
    of_run: true,
    by_metadata: true,
    all_match: 3,
    has_spans_column: true,
    pages: [true, true, null],
  });
  assert.deepEqual(r.tags, { tagged: true, untagged: 0, missing_tag: "RESOURCE_DOES_NOT_EXIST" });
  assert.deepEqual(r.model, { metadata: true, search: true });
  assert.deepEqual(r.delete, { by_id: 1, by_time: 1, left: true, gone: "RESOURCE_DOES_NOT_EXIST" });
}

describe("the real MLflow 3.3 client's traces against ciclo server", () => {
  let server: LiveTrackingServer;
  before(async () => {
    server = await startLiveTrackingServer();
  });
  after(async () => {
    await server.close();
  });

  test("trace, get, search, tag and delete round trip", { timeout: 300_000 }, (t) => roundTrip(t, server));
});

describe("the real MLflow 3.3 client's traces with authentication on, as a non-admin user", () => {
  const ADMIN = { username: "admin", password: "traces-admin-password-1" };
  let server: LiveTrackingServer;
  before(async () => {
    server = await startLiveServerWithAuth(ADMIN);
  });
  after(async () => {
    await server.close();
  });

  // The user creates the experiment (its creator gets MANAGE); every trace call and traces.json upload is checked on it.
  test("the same round trip as the experiment's creator", { timeout: 300_000 }, async (t) => {
    const anonymous = await fetch(`${server.url}/api/3.0/mlflow/traces/search`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(anonymous.status, 401, "authentication must be on");
    await roundTrip(t, server, await createUserAs(server.url, ADMIN, { username: "tracer", password: "tracer-password-1" }));
  });
});
