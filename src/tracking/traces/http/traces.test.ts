/**
 * The trace routes over HTTP (the app `ciclo server` builds, on SQLite): the
 * wire MLflow 3.3's client sends and reads, bad input refused in MLflow's
 * error format without changing anything, and permissions on the trace's
 * experiment with authentication on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../../../auth/http/auth-test-app.js";
import { assertEmptyOk, assertError, ok, openTestApp, type TestApp } from "../../../testing/test-app.js";
import { startBody, TRACE_TABLES, V3 } from "./trace-test-fixture.js";


describe("trace routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => fx.close());

  test("StartTraceV3 stores the trace and names where its spans go; GetTraceInfoV3 and SearchTracesV3 read it", async () => {
    const exp = await fx.createExperiment();
    const started = ok(await fx.call("POST", "/traces", startBody(exp, "tr-0123456789abcdef0123456789abcdef"), { prefix: V3 })).trace.trace_info;
    assert.deepEqual(started, {
      trace_id: "tr-0123456789abcdef0123456789abcdef",
      trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } },
      request_preview: '{"x": 1}',
      response_preview: "2",
      request_time: "2025-01-31T12:00:00.123Z",
      execution_duration: "1.500s",
      state: "OK",
      trace_metadata: { "mlflow.trace_schema.version": "3" },
      tags: { "mlflow.traceName": "predict", "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/tr-0123456789abcdef0123456789abcdef/artifacts` },
    });
    const got = ok(await fx.call("GET", "/traces/tr-0123456789abcdef0123456789abcdef", undefined, { prefix: V3 }));
    assert.deepEqual(got, { trace: { trace_info: started } });
    const found = ok(await fx.call("POST", "/traces/search", { locations: [{ mlflow_experiment: { experiment_id: exp } }], filter: "trace.status = 'OK'" }, { prefix: V3 }));
    assert.deepEqual(found, { traces: [started] });
    const none = ok(await fx.call("POST", "/traces/search", { locations: [{ mlflow_experiment: { experiment_id: exp } }], filter: "tags.x = 'y'" }, { prefix: V3 }));
    assert.deepEqual(none, {});
  });

  test("bad input: MLflow's error, its status, nothing changed", async () => {
    const exp = await fx.createExperiment();
    const before = await fx.snapshot(TRACE_TABLES);
    const start = (body: unknown) => fx.call("POST", "/traces", body, { prefix: V3 });
    assertError(await start(startBody(exp, "../../etc")), 400, "INVALID_PARAMETER_VALUE", /Invalid trace ID/);
    assertError(await start(startBody(exp, "")), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'trace.trace_info.trace_id'/);
    assertError(await start(startBody("999999", "tr-x")), 404, "RESOURCE_DOES_NOT_EXIST", /No Experiment with id=999999 exists/);
    assertError(await start(startBody(exp, "tr-x", { request_time: "yesterday" })), 400, "INVALID_PARAMETER_VALUE", /request_time 'yesterday'.*RFC 3339/);
    assertError(await start(startBody(exp, "tr-x", { execution_duration: "5 minutes" })), 400, "INVALID_PARAMETER_VALUE", /expected seconds/);
    assertError(await start(startBody(exp, "tr-x", { state: "DONE" })), 400, "INVALID_PARAMETER_VALUE", /Invalid trace state 'DONE'/);
    assertError(await start(startBody(exp, "tr-x", { tags: { k: "v".repeat(8001) } })), 400, "INVALID_PARAMETER_VALUE", /limit is 8000/);
    assertError(await start(startBody(exp, "tr-x", { trace_location: { type: "INFERENCE_TABLE", inference_table: { full_table_name: "a.b.c" } } })), 400, "INVALID_PARAMETER_VALUE", /MLflow experiment/);
    assertError(await start({ trace: {} }), 400, "INVALID_PARAMETER_VALUE");
    const deleted = await fx.createExperiment();
    ok(await fx.call("POST", "/experiments/delete", { experiment_id: deleted }));
    assertError(await start(startBody(deleted, "tr-x")), 400, "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);

    const search = (body: unknown) => fx.call("POST", "/traces/search", body, { prefix: V3 });
    const loc = [{ mlflow_experiment: { experiment_id: exp } }];
    assertError(await search({ locations: loc, filter: "trace.colour = 'red'" }), 400, "INVALID_PARAMETER_VALUE", /Invalid attribute key 'colour'/);
    assertError(await search({ locations: loc, filter: "params.x = 'y'" }), 400, "INVALID_PARAMETER_VALUE", /Invalid entity type 'params'/);
    // MLflow 3.3 filters on spans held in its database; here spans are traces.json: said plainly.
    assertError(await search({ locations: loc, filter: "span.name = 'retrieve'" }), 400, "INVALID_PARAMETER_VALUE", /Filtering on 'span.name' is not supported: .*artifact store/);
    assertError(await search({ locations: loc, filter: "timestamp_ms > 'soon'" }), 400, "INVALID_PARAMETER_VALUE", /Expected numeric value/);
    assertError(await search({ locations: loc, order_by: ["colour DESC"] }), 400, "INVALID_PARAMETER_VALUE", /Invalid attribute key 'colour'/);
    assertError(await search({ locations: loc, max_results: 0 }), 400, "INVALID_PARAMETER_VALUE", /max_results/);
    // MLflow 3.3's handler allows 500 a page.
    assertError(await search({ locations: loc, max_results: 501 }), 400, "INVALID_PARAMETER_VALUE", "Invalid value 501 for parameter 'max_results' supplied. It must be at most 500");
    ok(await search({ locations: loc, max_results: 500 }));
    assertError(await search({ locations: loc, page_token: "garbage" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await search({}), 400, "INVALID_PARAMETER_VALUE", /at least one location/);

    assertError(await fx.call("GET", "/traces/tr-missing", undefined, { prefix: V3 }), 404, "RESOURCE_DOES_NOT_EXIST", "Trace with ID 'tr-missing' not found.");
    assertError(await fx.call("PATCH", "/traces/tr-missing/tags", { key: "k", value: "v" }), 404, "RESOURCE_DOES_NOT_EXIST", /not found/);
    assertError(await fx.call("DELETE", "/traces/tr-missing/tags", { key: "k" }), 404, "RESOURCE_DOES_NOT_EXIST", /not found/);
    const del = (body: unknown) => fx.call("POST", "/traces/delete-traces", body);
    assertError(await del({ experiment_id: exp }), 400, "INVALID_PARAMETER_VALUE", "Either `max_timestamp_millis` or `trace_ids` must be specified.");
    assertError(await del({ experiment_id: exp, max_timestamp_millis: 1, request_ids: ["a"] }), 400, "INVALID_PARAMETER_VALUE", /Only one of/);
    assertError(await del({ experiment_id: exp, max_traces: 1, request_ids: ["a"] }), 400, "INVALID_PARAMETER_VALUE", /`max_traces` can't be specified/);
    assertError(await del({ experiment_id: exp, max_timestamp_millis: 1, max_traces: 0 }), 400, "INVALID_PARAMETER_VALUE", /max_traces/);
    assertError(await del({ max_timestamp_millis: 1 }), 400, "INVALID_PARAMETER_VALUE", /experiment_id/);
    assertError(await del({ experiment_id: "999999", max_timestamp_millis: 1 }), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual(await fx.snapshot(TRACE_TABLES), before);
  });

  test("tags through the 2.0 paths the client uses; delete-traces answers the count", async () => {
    const exp = await fx.createExperiment();
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-tags"), { prefix: V3 }));
    assertEmptyOk(await fx.call("PATCH", "/traces/tr-tags/tags", { key: "topic", value: "math" }));
    assert.equal(ok(await fx.call("GET", "/traces/tr-tags", undefined, { prefix: V3 })).trace.trace_info.tags.topic, "math");
    assertError(await fx.call("PATCH", "/traces/tr-tags/tags", { value: "x" }), 400, "INVALID_PARAMETER_VALUE", /'key'/);
    assertEmptyOk(await fx.call("DELETE", "/traces/tr-tags/tags", { key: "topic" }));
    // The key in the query instead (curl users); the same answer.
    assertEmptyOk(await fx.call("PATCH", "/traces/tr-tags/tags", { key: "q", value: "1" }));
    assertEmptyOk(await fx.call("DELETE", "/traces/tr-tags/tags", undefined, { query: { key: "q" } }));
    assert.deepEqual(ok(await fx.call("GET", "/traces/tr-tags", undefined, { prefix: V3 })).trace.trace_info.tags, { "mlflow.traceName": "predict", "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/tr-tags/artifacts` });
    // MLflow 2's SearchTraces is served too: without experiments it says so.
    assertError(await fx.call("GET", "/traces", undefined), 400, "INVALID_PARAMETER_VALUE", /'experiment_ids'/);
    assertError(await fx.call("DELETE", "/traces/tr-tags/tags", { key: "topic" }), 404, "RESOURCE_DOES_NOT_EXIST", "No trace tag with key 'topic' for trace with ID 'tr-tags'");
    assert.deepEqual(ok(await fx.call("POST", "/traces/delete-traces", { experiment_id: exp, request_ids: ["tr-tags", "tr-other"] })), { traces_deleted: 1 });
    assert.deepEqual(ok(await fx.call("POST", "/traces/delete-traces", { experiment_id: exp, max_timestamp_millis: Date.now() })), { traces_deleted: 0 });
  });
});

describe("trace routes with authentication on", () => {
  let fx: AuthTestApp;
  before(async () => {
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS" });
  });
  after(async () => fx.close());

  test("traces follow their experiment: read to get and search, edit to start and tag, manage to delete", async () => {
    const alice = await fx.addUser("alice");
    const exp = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/create", { name: "traced" })).experiment_id as string;
    ok(await fx.as(ADMIN, "POST", `${V3}/traces`, startBody(exp, "tr-auth")));
    const grant = async (permission: string) => {
      const r = await fx.as(ADMIN, permission === "READ" ? "POST" : "PATCH", `/api/2.0/mlflow/experiments/permissions/${permission === "READ" ? "create" : "update"}`, {
        experiment_id: exp,
        username: "alice",
        permission,
      });
      assert.equal(r.status, 200, r.text);
    };
    const search = { locations: [{ mlflow_experiment: { experiment_id: exp } }] };
    // No permission: the trace is hidden.
    assertError(await fx.as(alice, "GET", `${V3}/traces/tr-auth`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(alice, "POST", `${V3}/traces/search`, search), 404, "RESOURCE_DOES_NOT_EXIST");
    await grant("READ");
    assert.equal(ok(await fx.as(alice, "GET", `${V3}/traces/tr-auth`)).trace.trace_info.trace_id, "tr-auth");
    assert.equal(ok(await fx.as(alice, "POST", `${V3}/traces/search`, search)).traces.length, 1);
    assertError(await fx.as(alice, "POST", `${V3}/traces`, startBody(exp, "tr-alice")), 403, "PERMISSION_DENIED");
    assertError(await fx.as(alice, "PATCH", "/api/2.0/mlflow/traces/tr-auth/tags", { key: "k", value: "v" }), 403, "PERMISSION_DENIED");
    await grant("EDIT");
    ok(await fx.as(alice, "POST", `${V3}/traces`, startBody(exp, "tr-alice")));
    assertEmptyOk(await fx.as(alice, "PATCH", "/api/2.0/mlflow/traces/tr-auth/tags", { key: "k", value: "v" }));
    assertError(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/delete-traces", { experiment_id: exp, request_ids: ["tr-auth"] }), 403, "PERMISSION_DENIED");
    await grant("MANAGE");
    assert.deepEqual(ok(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/delete-traces", { experiment_id: exp, request_ids: ["tr-auth"] })), { traces_deleted: 1 });
  });
});
