/**
 * Assessments and trace–run links over HTTP (the app `ciclo server` builds,
 * on SQLite): the wire MLflow 3.3's client sends and reads (a FieldMask as
 * camelCase text, an expectation's serialized_value), hostile input refused in
 * MLflow's error format with nothing changed, and another experiment's trace
 * or run refused with authentication on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../../../auth/http/auth-test-app.js";
import { assertEmptyOk, assertError, ok, openTestApp, type TestApp } from "../../../testing/test-app.js";
import { startBody, TRACE_TABLES, V3 } from "./trace-test-fixture.js";

const TABLES = [...TRACE_TABLES, "assessments", "trace_run_links"] as const;

/** CreateAssessment's body as the 3.3 client sends a `log_feedback`. */
function feedback(extra: Record<string, unknown> = {}) {
  return {
    assessment: {
      assessment_name: "relevance",
      trace_id: "ignored-the-path-wins",
      source: { source_type: "LLM_JUDGE", source_id: "gpt-judge" },
      create_time: "2025-02-01T10:00:00.000Z",
      last_update_time: "2025-02-01T10:00:00.000Z",
      feedback: { value: 0.6 },
      rationale: "partly answers",
      metadata: { "mlflow.assessment.sourceRunId": "run-x" },
      valid: true,
      ...extra,
    },
  };
}

describe("assessment routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => fx.close());

  test("create, get, override, update, delete; the trace info carries them", async () => {
    const exp = await fx.createExperiment();
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-as1"), { prefix: V3 }));
    const t0 = Date.now();
    const a1 = ok(await fx.call("POST", "/traces/tr-as1/assessments", feedback(), { prefix: V3 })).assessment;
    assert.match(a1.assessment_id, /^a-[0-9a-f]{32}$/);
    // Laid out as a UUIDv7 (the id keys assessments): creation milliseconds first, then version 7.
    const ms = parseInt(a1.assessment_id.slice(2, 14), 16);
    assert.ok(ms >= t0 && ms <= Date.now(), `${a1.assessment_id} starts with its creation time`);
    assert.equal(a1.assessment_id[14], "7");
    assert.deepEqual(a1, {
      assessment_id: a1.assessment_id,
      assessment_name: "relevance",
      trace_id: "tr-as1",
      source: { source_type: "LLM_JUDGE", source_id: "gpt-judge" },
      create_time: "2025-02-01T10:00:00.000Z",
      last_update_time: "2025-02-01T10:00:00.000Z",
      feedback: { value: 0.6 },
      rationale: "partly answers",
      metadata: { "mlflow.assessment.sourceRunId": "run-x" },
      valid: true,
    });
    assert.deepEqual(ok(await fx.call("GET", `/traces/tr-as1/assessments/${a1.assessment_id}`, undefined, { prefix: V3 })), { assessment: a1 });
    // An expectation of a list travels as JSON text (serialized_value), a scalar one as a value.
    const listed = { serialization_format: "JSON_FORMAT", value: '["a", {"b": 2}]' };
    const e1 = ok(
      await fx.call("POST", "/traces/tr-as1/assessments", { assessment: { assessment_name: "expected", source: { source_type: "HUMAN", source_id: "bob" }, expectation: { serialized_value: listed } } }, { prefix: V3 }),
    ).assessment;
    assert.deepEqual(e1.expectation, { serialized_value: { serialization_format: "JSON_FORMAT", value: '["a",{"b":2}]' } });
    const e2 = ok(await fx.call("POST", "/traces/tr-as1/assessments", { assessment: { assessment_name: "n", source: { source_type: 3 }, expectation: { value: "42" } } }, { prefix: V3 })).assessment;
    assert.deepEqual([e2.expectation, e2.source], [{ value: "42" }, { source_type: "CODE" }]);
    // override_feedback: a new feedback naming the old one, which turns invalid.
    const o = ok(await fx.call("POST", "/traces/tr-as1/assessments", feedback({ feedback: { value: 0.9 }, source: { source_type: "HUMAN", source_id: "rev" }, overrides: a1.assessment_id }), { prefix: V3 })).assessment;
    assert.equal(o.overrides, a1.assessment_id);
    const info = ok(await fx.call("GET", "/traces/tr-as1", undefined, { prefix: V3 })).trace.trace_info;
    const validity = Object.fromEntries(info.assessments.map((a: any) => [a.assessment_id, a.valid]));
    assert.deepEqual(validity, { [a1.assessment_id]: false, [o.assessment_id]: true, [e1.assessment_id]: true, [e2.assessment_id]: true });
    // Oldest first: the two of 2025 (by the client's create_time) before the two created now.
    assert.deepEqual(new Set(info.assessments.slice(0, 2).map((a: any) => a.assessment_id)), new Set([a1.assessment_id, o.assessment_id]));
    assert.equal(info.assessments.length, 4);
    // Search answers them too.
    const found = ok(await fx.call("POST", "/traces/search", { locations: [{ mlflow_experiment: { experiment_id: exp } }] }, { prefix: V3 })).traces;
    assert.equal(found[0].assessments.length, 4);
    // update_assessment: the mask is protobuf JSON's camelCase text; metadata merges; source stays.
    const u = ok(
      await fx.call(
        "PATCH",
        `/traces/tr-as1/assessments/${o.assessment_id}`,
        { assessment: { assessment_id: o.assessment_id, trace_id: "tr-as1", assessment_name: "relevance2", feedback: { value: { score: [1, 2] } }, rationale: "better", metadata: { k: "v" } }, update_mask: "assessmentName,feedback,rationale,metadata" },
        { prefix: V3 },
      ),
    ).assessment;
    assert.deepEqual([u.assessment_name, u.feedback, u.rationale, u.metadata, u.source], ["relevance2", { value: { score: [1, 2] } }, "better", { "mlflow.assessment.sourceRunId": "run-x", k: "v" }, { source_type: "HUMAN", source_id: "rev" }]);
    assert.ok(u.last_update_time > u.create_time);
    // Deleting the override makes the overridden one valid again; deleting again is no error.
    assertEmptyOk(await fx.call("DELETE", `/traces/tr-as1/assessments/${o.assessment_id}`, undefined, { prefix: V3 }));
    assertEmptyOk(await fx.call("DELETE", `/traces/tr-as1/assessments/${o.assessment_id}`, undefined, { prefix: V3 }));
    assert.equal(ok(await fx.call("GET", `/traces/tr-as1/assessments/${a1.assessment_id}`, undefined, { prefix: V3 })).assessment.valid, true);
    // StartTraceV3 carries the assessments logged while the trace was active.
    const started = ok(await fx.call("POST", "/traces", startBody(exp, "tr-as2", { assessments: [feedback().assessment] }), { prefix: V3 })).trace.trace_info;
    assert.equal(started.assessments[0].trace_id, "tr-as2");
    assert.deepEqual(started.assessments[0].feedback, { value: 0.6 });
    // An override inside the start marks the feedback it replaces invalid, as CreateAssessment does.
    const judged = feedback({ assessment_id: "a-judge" }).assessment;
    const fixed = feedback({ assessment_id: "a-fixed", overrides: "a-judge", source: { source_type: "HUMAN", source_id: "rev" }, feedback: { value: 0.9 } }).assessment;
    const s3 = ok(await fx.call("POST", "/traces", startBody(exp, "tr-as3", { assessments: [fixed, judged] }), { prefix: V3 })).trace.trace_info;
    assert.deepEqual(s3.assessments.map((a: any) => [a.assessment_id, a.valid, a.overrides]).sort(), [["a-fixed", true, "a-judge"], ["a-judge", false, undefined]]);
    assert.equal(ok(await fx.call("GET", "/traces/tr-as3/assessments/a-judge", undefined, { prefix: V3 })).assessment.valid, false);
    // Deleting the override makes it valid again.
    assertEmptyOk(await fx.call("DELETE", "/traces/tr-as3/assessments/a-fixed", undefined, { prefix: V3 }));
    assert.equal(ok(await fx.call("GET", "/traces/tr-as3/assessments/a-judge", undefined, { prefix: V3 })).assessment.valid, true);
  });

  test("hostile input: MLflow's error, its status, nothing changed", async () => {
    const exp = await fx.createExperiment();
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-bad"), { prefix: V3 }));
    const a = ok(await fx.call("POST", "/traces/tr-bad/assessments", { assessment: { assessment_name: "e", source: { source_type: "HUMAN" }, expectation: { value: 1 } } }, { prefix: V3 })).assessment;
    const before = await fx.snapshot(TABLES);
    const create = (body: unknown, trace = "tr-bad") => fx.call("POST", `/traces/${trace}/assessments`, body, { prefix: V3 });
    assertError(await create(feedback(), "tr-missing"), 404, "RESOURCE_DOES_NOT_EXIST", "Trace with ID 'tr-missing' not found.");
    assertError(await create({}), 400, "INVALID_PARAMETER_VALUE", /'assessment'/);
    assertError(await create(feedback({ assessment_name: "" })), 400, "INVALID_PARAMETER_VALUE", /assessment_name/);
    assertError(await create(feedback({ assessment_name: "n".repeat(251) })), 400, "INVALID_PARAMETER_VALUE", /limit is 250/);
    assertError(await create(feedback({ feedback: undefined })), 400, "INVALID_PARAMETER_VALUE", "Exactly one of `expectation` or `feedback` should be specified.");
    assertError(await create(feedback({ expectation: { value: 1 } })), 400, "INVALID_PARAMETER_VALUE", /Exactly one/);
    assertError(await create(feedback({ feedback: {} })), 400, "INVALID_PARAMETER_VALUE", /`value` or an `error`/);
    assertError(await create(feedback({ feedback: { value: "x".repeat(70_000) } })), 400, "INVALID_PARAMETER_VALUE", /limit is 65536/);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    assertError(await create(feedback({ feedback: { value: deep } })), 400, "INVALID_PARAMETER_VALUE", /nests deeper than 32/);
    assertError(await create(feedback({ rationale: "r".repeat(65_537) })), 400, "INVALID_PARAMETER_VALUE", /rationale.*limit/);
    assertError(await create(feedback({ source: { source_type: "ROBOT" } })), 400, "INVALID_PARAMETER_VALUE", /Invalid assessment source type 'ROBOT'/);
    assertError(await create(feedback({ create_time: "tomorrow" })), 400, "INVALID_PARAMETER_VALUE", /RFC 3339/);
    assertError(await create(feedback({ overrides: "a-missing" })), 404, "RESOURCE_DOES_NOT_EXIST", /a-missing/);
    assertError(await create(feedback({ assessment_id: a.assessment_id })), 400, "RESOURCE_ALREADY_EXISTS", /already exists/);
    assertError(await create(feedback({ assessment_id: "../x" })), 400, "INVALID_PARAMETER_VALUE", /Invalid assessment_id/);
    assertError(await create(feedback({ metadata: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])) })), 400, "INVALID_PARAMETER_VALUE", /at most 100 metadata/);
    assertError(await create({ assessment: { assessment_name: "e", expectation: { serialized_value: { serialization_format: "PICKLE", value: "x" } } } }), 400, "INVALID_PARAMETER_VALUE", /Only JSON_FORMAT/);
    assertError(await create({ assessment: { assessment_name: "e", expectation: { serialized_value: { serialization_format: "JSON_FORMAT", value: "{nope" } } } }), 400, "INVALID_PARAMETER_VALUE", /not valid JSON/);
    assertError(await create({ assessment: { assessment_name: "e", expectation: { value: 1 }, error: { error_message: "x" } } }), 400, "INVALID_PARAMETER_VALUE", /Cannot set `error`/);
    assertError(await create({ assessment: "nope" }), 400, "INVALID_PARAMETER_VALUE");
    // A start whose override names no assessment of the new trace (another trace's counts for nothing): no trace.
    const overriding = feedback({ overrides: a.assessment_id }).assessment;
    assertError(await fx.call("POST", "/traces", startBody(exp, "tr-bad-start", { assessments: [overriding] }), { prefix: V3 }), 404, "RESOURCE_DOES_NOT_EXIST", new RegExp(`${a.assessment_id}' not found for trace 'tr-bad-start'`));

    const update = (id: string, body: unknown, trace = "tr-bad") => fx.call("PATCH", `/traces/${trace}/assessments/${id}`, body, { prefix: V3 });
    assertError(await update(a.assessment_id, { assessment: { feedback: { value: 1 } }, update_mask: "feedback" }), 400, "INVALID_PARAMETER_VALUE", "Cannot update feedback value on an Expectation assessment.");
    assertError(await update(a.assessment_id, { assessment: { assessment_name: "x" } }), 400, "INVALID_PARAMETER_VALUE", /'update_mask'/);
    assertError(await update(a.assessment_id, { assessment: { valid: false }, update_mask: "valid" }), 400, "INVALID_PARAMETER_VALUE", /Cannot update the assessment's 'valid'/);
    assertError(await update(a.assessment_id, { assessment: { assessment_name: "" }, update_mask: "assessmentName" }), 400, "INVALID_PARAMETER_VALUE", /assessment_name/);
    assertError(await update(a.assessment_id, { assessment: { metadata: { k: "v".repeat(8001) } }, update_mask: { paths: ["metadata"] } }), 400, "INVALID_PARAMETER_VALUE", /limit is 8000/);
    assertError(await update("a-missing", { assessment: { assessment_name: "x" }, update_mask: "assessmentName" }), 404, "RESOURCE_DOES_NOT_EXIST", "Assessment with ID 'a-missing' not found for trace 'tr-bad'");
    assertError(await update(a.assessment_id, { assessment: { assessment_name: "x" }, update_mask: "assessmentName" }, "tr-missing"), 404, "RESOURCE_DOES_NOT_EXIST", /Trace with ID 'tr-missing' not found/);
    assertError(await fx.call("GET", "/traces/tr-bad/assessments/a-missing", undefined, { prefix: V3 }), 404, "RESOURCE_DOES_NOT_EXIST", /a-missing/);

    const link = (body: unknown) => fx.call("POST", "/traces/link-to-run", body);
    const run = await fx.createRun(exp);
    assertError(await link({ trace_ids: ["tr-bad"] }), 400, "INVALID_PARAMETER_VALUE", /'run_id'/);
    assertError(await link({ trace_ids: Array.from({ length: 101 }, (_, i) => `tr-${i}`), run_id: run }), 400, "INVALID_PARAMETER_VALUE", /more than 100 traces/);
    assertError(await link({ trace_ids: ["tr-bad"], run_id: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST", /Run with id=nope not found/);
    assertError(await link({ trace_ids: ["tr-bad", "tr-missing"], run_id: run }), 404, "RESOURCE_DOES_NOT_EXIST", /tr-missing/);
    assert.deepEqual(await fx.snapshot(TABLES), before);
  });

  test("link-to-run: search_traces(run_id=...) finds linked traces beside the run's own", async () => {
    const exp = await fx.createExperiment();
    const run = await fx.createRun(exp);
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-own", { trace_metadata: { "mlflow.sourceRun": run }, request_time: "2025-01-01T00:00:01Z" }), { prefix: V3 }));
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-linked", { request_time: "2025-01-01T00:00:02Z" }), { prefix: V3 }));
    ok(await fx.call("POST", "/traces", startBody(exp, "tr-other", { request_time: "2025-01-01T00:00:03Z" }), { prefix: V3 }));
    assertEmptyOk(await fx.call("POST", "/traces/link-to-run", { trace_ids: ["tr-linked"], run_id: run }));
    assertEmptyOk(await fx.call("POST", "/traces/link-to-run", { trace_ids: [], run_id: run }));
    const found = ok(await fx.call("POST", "/traces/search", { locations: [{ mlflow_experiment: { experiment_id: exp } }], filter: `run_id = '${run}'` }, { prefix: V3 }));
    assert.deepEqual(found.traces.map((t: any) => t.trace_id), ["tr-linked", "tr-own"]);
  });
});

describe("assessment and link routes with authentication on", () => {
  let fx: AuthTestApp;
  before(async () => {
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS" });
  });
  after(async () => fx.close());

  test("a trace's assessments follow its experiment; link-to-run needs EDIT on every trace and on the run", async () => {
    const alice = await fx.addUser("alice");
    const mine = ok(await fx.as(alice, "POST", "/api/2.0/mlflow/experiments/create", { name: "alice-exp" })).experiment_id as string;
    const theirs = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/create", { name: "admin-exp" })).experiment_id as string;
    ok(await fx.as(alice, "POST", `${V3}/traces`, startBody(mine, "tr-mine")));
    ok(await fx.as(ADMIN, "POST", `${V3}/traces`, startBody(theirs, "tr-theirs")));
    const theirA = ok(await fx.as(ADMIN, "POST", `${V3}/traces/tr-theirs/assessments`, feedback())).assessment.assessment_id as string;
    const myRun = ok(await fx.as(alice, "POST", "/api/2.0/mlflow/runs/create", { experiment_id: mine })).run.info.run_id as string;
    const theirRun = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/runs/create", { experiment_id: theirs })).run.info.run_id as string;
    const before = await fx.snapshot(TABLES);
    // Another experiment's trace is hidden (as missing) for every assessment route.
    assertError(await fx.as(alice, "POST", `${V3}/traces/tr-theirs/assessments`, feedback()), 404, "RESOURCE_DOES_NOT_EXIST", "Trace with ID 'tr-theirs' not found.");
    assertError(await fx.as(alice, "GET", `${V3}/traces/tr-theirs/assessments/${theirA}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(alice, "PATCH", `${V3}/traces/tr-theirs/assessments/${theirA}`, { assessment: { assessment_name: "x" }, update_mask: "assessmentName" }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(alice, "DELETE", `${V3}/traces/tr-theirs/assessments/${theirA}`), 404, "RESOURCE_DOES_NOT_EXIST");
    // Overriding their assessment from my trace names an assessment of my trace only: not found.
    assertError(await fx.as(alice, "POST", `${V3}/traces/tr-mine/assessments`, feedback({ overrides: theirA })), 404, "RESOURCE_DOES_NOT_EXIST", /not found for trace 'tr-mine'/);
    // Links: their trace to my run, my trace to their run, both refused.
    assertError(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/link-to-run", { trace_ids: ["tr-mine", "tr-theirs"], run_id: myRun }), 404, "RESOURCE_DOES_NOT_EXIST", /tr-theirs/);
    assertError(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/link-to-run", { trace_ids: ["tr-mine"], run_id: theirRun }), 404, "RESOURCE_DOES_NOT_EXIST", new RegExp(theirRun));
    assert.deepEqual(await fx.snapshot(TABLES), before);
    // READ on their experiment: reads allowed, changes refused.
    const r = await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/permissions/create", { experiment_id: theirs, username: "alice", permission: "READ" });
    assert.equal(r.status, 200, r.text);
    assert.equal(ok(await fx.as(alice, "GET", `${V3}/traces/tr-theirs/assessments/${theirA}`)).assessment.assessment_id, theirA);
    assertError(await fx.as(alice, "DELETE", `${V3}/traces/tr-theirs/assessments/${theirA}`), 403, "PERMISSION_DENIED");
    assertError(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/link-to-run", { trace_ids: ["tr-theirs"], run_id: myRun }), 403, "PERMISSION_DENIED");
    // My own: allowed.
    ok(await fx.as(alice, "POST", `${V3}/traces/tr-mine/assessments`, feedback()));
    assertEmptyOk(await fx.as(alice, "POST", "/api/2.0/mlflow/traces/link-to-run", { trace_ids: ["tr-mine"], run_id: myRun }));
  });
});
