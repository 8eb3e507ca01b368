/**
 * MLflow 2's trace routes over HTTP (StartTrace, EndTrace, GetTraceInfo,
 * SearchTraces under /api/2.0/mlflow): the wire MLflow 2.14+ clients send,
 * the same traces the V3 routes see, bad input refused with nothing changed,
 * and the experiment checked with authentication on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../../../auth/http/auth-test-app.js";
import { assertError, ok, openTestApp, type TestApp } from "../../../testing/test-app.js";
import { TRACE_TABLES } from "./trace-test-fixture.js";

const kv = (o: Record<string, string>) => Object.entries(o).map(([key, value]) => ({ key, value }));

describe("MLflow 2 trace routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => fx.close());

  test("start, end, get and search; the V3 routes read the same trace", async () => {
    const exp = await fx.createExperiment();
    const t0 = Date.now();
    const started = ok(await fx.call("POST", "/traces", { experiment_id: exp, timestamp_ms: 1_700_000_000_000, request_metadata: kv({ "mlflow.traceInputs": "{}" }), tags: kv({ "mlflow.traceName": "v2" }) })).trace_info;
    assert.match(started.request_id, /^[0-9a-f]{32}$/);
    // Laid out as a UUIDv7 (the id keys trace_info): the server's clock when it named the trace (not the client's timestamp), then version 7.
    const ms = parseInt(started.request_id.slice(0, 12), 16);
    assert.ok(ms >= t0 && ms <= Date.now(), `${started.request_id} starts with the time it was named`);
    assert.equal(started.request_id[12], "7");
    assert.deepEqual({ ...started, request_id: "x" }, {
      request_id: "x",
      experiment_id: exp,
      timestamp_ms: 1_700_000_000_000,
      execution_time_ms: 0,
      status: "IN_PROGRESS",
      request_metadata: kv({ "mlflow.traceInputs": "{}" }),
      tags: kv({ "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/${started.request_id}/artifacts`, "mlflow.traceName": "v2" }),
    });
    const id = started.request_id as string;
    const ended = ok(await fx.call("PATCH", `/traces/${id}`, { timestamp_ms: 1_700_000_000_250, status: "OK", request_metadata: kv({ "mlflow.traceOutputs": "42" }), tags: kv({ topic: "math" }) })).trace_info;
    assert.deepEqual([ended.execution_time_ms, ended.status], [250, "OK"]);
    assert.deepEqual(ok(await fx.call("GET", `/traces/${id}/info`)), { trace_info: ended });
    const v3 = ok(await fx.call("GET", `/traces/${id}`, undefined, { prefix: "/api/3.0/mlflow" })).trace.trace_info;
    assert.deepEqual([v3.state, v3.execution_duration, v3.tags.topic, v3.trace_metadata["mlflow.traceOutputs"]], ["OK", "0.250s", "math", "42"]);
    const found = ok(await fx.call("GET", "/traces", undefined, { query: { experiment_ids: exp, filter: "tags.topic = 'math'", max_results: "10" } }));
    assert.deepEqual(found, { traces: [ended] });
    assert.deepEqual(ok(await fx.call("GET", "/traces", undefined, { query: { experiment_ids: [exp, "424242"], filter: "trace.status = 'ERROR'" } })), {});
  });

  test("bad input: MLflow's error, its status, nothing changed", async () => {
    const exp = await fx.createExperiment();
    const id = ok(await fx.call("POST", "/traces", { experiment_id: exp, timestamp_ms: 1000 })).trace_info.request_id as string;
    const before = await fx.snapshot(TRACE_TABLES);
    assertError(await fx.call("POST", "/traces", { timestamp_ms: 1 }), 400, "INVALID_PARAMETER_VALUE", /'experiment_id'/);
    assertError(await fx.call("POST", "/traces", { experiment_id: "999999" }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("POST", "/traces", { experiment_id: exp, tags: [{ key: "k", value: "v".repeat(8001) }] }), 400, "INVALID_PARAMETER_VALUE", /limit is 8000/);
    assertError(await fx.call("PATCH", `/traces/${id}`, { status: "OK" }), 400, "INVALID_PARAMETER_VALUE", /'timestamp_ms'/);
    assertError(await fx.call("PATCH", `/traces/${id}`, { timestamp_ms: 2000, status: "DONE" }), 400, "INVALID_PARAMETER_VALUE", /Invalid trace status 'DONE'/);
    assertError(await fx.call("PATCH", `/traces/${id}`, { timestamp_ms: 999, status: "OK" }), 400, "INVALID_PARAMETER_VALUE", /before the trace's start/);
    assertError(await fx.call("PATCH", `/traces/${id}`, { timestamp_ms: 2000, status: "OK", tags: [{ key: "", value: "v" }] }), 400, "INVALID_PARAMETER_VALUE", /must not be empty/);
    assertError(await fx.call("PATCH", "/traces/tr-missing", { timestamp_ms: 2000, status: "OK" }), 404, "RESOURCE_DOES_NOT_EXIST", /tr-missing/);
    assertError(await fx.call("GET", "/traces/tr-missing/info"), 404, "RESOURCE_DOES_NOT_EXIST", "Trace with ID 'tr-missing' not found.");
    assertError(await fx.call("GET", "/traces", undefined, { query: { experiment_ids: exp, filter: "span.name = 'x'" } }), 400, "INVALID_PARAMETER_VALUE", /not supported/);
    assertError(await fx.call("GET", "/traces", undefined, { query: { experiment_ids: exp, max_results: "0" } }), 400, "INVALID_PARAMETER_VALUE", /max_results/);
    assertError(await fx.call("GET", "/traces", undefined, { query: { experiment_ids: exp, max_results: "501" } }), 400, "INVALID_PARAMETER_VALUE", /It must be at most 500/);
    assert.deepEqual(await fx.snapshot(TRACE_TABLES), before);
  });
});

describe("MLflow 2 trace routes with authentication on", () => {
  let fx: AuthTestApp;
  before(async () => {
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS" });
  });
  after(async () => fx.close());

  test("another user's experiment: hidden for start, end, get and search", async () => {
    const bob = await fx.addUser("bob");
    const exp = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/create", { name: "admins" })).experiment_id as string;
    const id = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/traces", { experiment_id: exp, timestamp_ms: 1000 })).trace_info.request_id as string;
    const before = await fx.snapshot(TRACE_TABLES);
    assertError(await fx.as(bob, "POST", "/api/2.0/mlflow/traces", { experiment_id: exp }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(bob, "PATCH", `/api/2.0/mlflow/traces/${id}`, { timestamp_ms: 2000, status: "OK" }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(bob, "GET", `/api/2.0/mlflow/traces/${id}/info`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(bob, "GET", `/api/2.0/mlflow/traces?experiment_ids=${exp}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual(await fx.snapshot(TRACE_TABLES), before);
  });
});
