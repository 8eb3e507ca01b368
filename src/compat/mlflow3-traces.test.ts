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
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test, type TestContext } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { findMlflowPython } from "../testing/mlflow-python.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./mlflow3-traces.py", import.meta.url));

/** Runs mlflow3-traces.py against `server` (as `credentials`, when given) and checks its summary. */
async function roundTrip(t: TestContext, server: LiveTrackingServer, credentials: Record<string, string> = {}): Promise<void> {
  const mp = await findMlflowPython("3.3", join(server.dir, "py"));
  if (!mp) return t.skip("MLflow 3.3 cannot run here");
  const env = { ...process.env };
  for (const k of ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]) delete env[k];
  const { stdout } = await run(mp.python, [SCRIPT, server.url], {
    env: { ...env, ...mp.env, MLFLOW_TRACKING_URI: server.url, ...credentials },
    cwd: server.dir,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 240_000,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`the MLflow 3.3 traces script failed: ${err.message.split("\n")[0]}\n${(err.stderr ?? "").slice(-6000)}`);
  });
  const r = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.ok(String(r.mlflow).startsWith("3.3"), r.mlflow);
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
    server = await startLiveTrackingServer({
      env: { CICLO_AUTH: "1", CICLO_ADMIN_USERNAME: ADMIN.username, CICLO_ADMIN_PASSWORD: ADMIN.password, CICLO_DEFAULT_PERMISSION: "NO_PERMISSIONS" },
    });
  });
  after(async () => {
    await server.close();
  });

  // The user creates the experiment (its creator gets MANAGE); every trace call and traces.json upload is checked on it.
  test("the same round trip as the experiment's creator", { timeout: 300_000 }, async (t) => {
    const anonymous = await fetch(`${server.url}/api/3.0/mlflow/traces/search`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(anonymous.status, 401, "authentication must be on");
    const res = await fetch(`${server.url}/api/2.0/mlflow/users/create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}` },
      body: JSON.stringify({ username: "tracer", password: "tracer-password-1" }),
    });
    assert.equal(res.status, 200, await res.text());
    await roundTrip(t, server, { MLFLOW_TRACKING_USERNAME: "tracer", MLFLOW_TRACKING_PASSWORD: "tracer-password-1" });
  });
});
