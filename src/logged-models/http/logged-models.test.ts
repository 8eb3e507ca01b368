/**
 * HTTP tests of the logged-model routes and runs/outputs over real SQLite:
 * MLflow's response shapes, its errors, and bad input that changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestApp, ok, type TestApp, assertEmptyOk, assertError, SEE_DOCS, LOGGED_MODEL_TABLES } from "../../testing/test-app.js";

describe("logged-model routes", () => {
  let fx: TestApp;
  let exp: string;
  let run: string;
  before(async () => {
    fx = await openTestApp();
    exp = ok(await fx.call("POST", "/experiments/create", { name: "lm-routes" })).experiment_id;
    run = ok(await fx.call("POST", "/runs/create", { experiment_id: exp, start_time: 1_700_000_000_000 })).run.info.run_id;
  });
  after(async () => {
    await fx.close();
  });
  const createModel = async (body: Record<string, unknown> = {}) =>
    ok(await fx.call("POST", "/logged-models", { experiment_id: exp, name: "model", ...body })).model;

  test("create answers MLflow's LoggedModel: fields in proto order, model_type \"\" when unsent", async () => {
    const t0 = Date.now();
    const r = await fx.call("POST", "/logged-models", {
      experiment_id: exp,
      name: "model",
      source_run_id: run,
      params: [{ key: "alpha", value: "0.5" }],
      tags: [{ key: "mlflow.user", value: "alice" }],
    });
    const { model } = ok(r);
    const id = model.info.model_id;
    assert.match(id, /^m-[0-9a-f]{32}$/);
    // Laid out as a UUIDv7 (the id keys logged_models): creation milliseconds first, then version 7.
    const ms = parseInt(id.slice(2, 14), 16);
    assert.ok(ms >= t0 && ms <= Date.now(), `${id} starts with its creation time`);
    assert.equal(id[14], "7");
    assert.deepEqual(Object.keys(model.info), [
      "model_id", "experiment_id", "name", "creation_timestamp_ms", "last_updated_timestamp_ms", "artifact_uri", "status", "model_type", "source_run_id", "tags",
    ]);
    assert.deepEqual(model.info, {
      model_id: id,
      experiment_id: exp,
      name: "model",
      creation_timestamp_ms: model.info.creation_timestamp_ms,
      last_updated_timestamp_ms: model.info.creation_timestamp_ms,
      artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
      status: "LOGGED_MODEL_PENDING",
      model_type: "",
      source_run_id: run,
      tags: [{ key: "mlflow.user", value: "alice" }],
    });
    assert.deepEqual(model.data, { params: [{ key: "alpha", value: "0.5" }] });
    // Pretty JSON like MLflow's is not required, but the get answers the same model on both prefixes.
    for (const prefix of ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]) {
      assert.deepEqual(ok(await fx.call("GET", `/logged-models/${id}`, undefined, { prefix })).model, model);
    }
  });

  test("create without a name generates one; experiment_id may be a number", async () => {
    const { model } = ok(await fx.call("POST", "/logged-models", { experiment_id: Number(exp) }));
    assert.match(model.info.name, /^[a-z]+-[a-z]+-\d+$/);
    assert.equal(model.info.source_run_id, "");
    assert.deepEqual(model.data, {});
  });

  test("bad create input gets MLflow's errors and creates nothing", async () => {
    const before = await fx.snapshot(LOGGED_MODEL_TABLES);
    assertError(await fx.call("POST", "/logged-models", { name: "m" }), 400, "INVALID_PARAMETER_VALUE", `Missing value for required parameter 'experiment_id'.${SEE_DOCS}`);
    assertError(await fx.call("POST", "/logged-models", { experiment_id: "" }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'experiment_id'/);
    assertError(await fx.call("POST", "/logged-models", { experiment_id: "424242" }), 404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=424242 exists");
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, source_run_id: "f".repeat(32) }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, name: "a/b" }), 400, "INVALID_PARAMETER_VALUE", /Invalid model name/);
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, name: "x".repeat(501) }), 400, "INVALID_PARAMETER_VALUE", "'name' exceeds the maximum length of 500 characters");
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, model_type: "t".repeat(501) }), 400, "INVALID_PARAMETER_VALUE");
    assertError(
      await fx.call("POST", "/logged-models", { experiment_id: exp, params: [{ key: "a", value: "1" }, { key: "a", value: "2" }] }),
      400,
      "INVALID_PARAMETER_VALUE",
      /Duplicate parameter keys/,
    );
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, tags: [{ key: "", value: "1" }] }), 400, "INVALID_PARAMETER_VALUE", /tags\[0\]\.key/);
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, params: [{ key: "k".repeat(256), value: "1" }] }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("POST", "/logged-models", { experiment_id: exp, tags: "nope" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("POST", "/logged-models", '{"experiment_id":'), 400, "INVALID_PARAMETER_VALUE", /Malformed JSON/);
    assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
  });

  test("get/delete of an unknown or deleted model: 404 with MLflow's message; allow_deleted reads it", async () => {
    assertError(await fx.call("GET", "/logged-models/m-bogus"), 404, "RESOURCE_DOES_NOT_EXIST", "Logged model with ID 'm-bogus' not found.");
    assertError(await fx.call("DELETE", "/logged-models/m-bogus"), 404, "RESOURCE_DOES_NOT_EXIST", "Logged model with ID 'm-bogus' not found.");
    const m = await createModel();
    const id = m.info.model_id;
    assertEmptyOk(await fx.call("DELETE", `/logged-models/${id}`, {}));
    assertError(await fx.call("GET", `/logged-models/${id}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.equal(ok(await fx.call("GET", `/logged-models/${id}`, undefined, { query: { allow_deleted: "true" } })).model.info.model_id, id);
  });

  test("finalize takes the status by name or number and returns the model; bad status changes nothing", async () => {
    const id = (await createModel()).info.model_id;
    const ready = ok(await fx.call("PATCH", `/logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" })).model;
    assert.equal(ready.info.status, "LOGGED_MODEL_READY");
    assert.equal(ok(await fx.call("PATCH", `/logged-models/${id}`, { status: 3 })).model.info.status, "LOGGED_MODEL_UPLOAD_FAILED");
    const before = await fx.snapshot(LOGGED_MODEL_TABLES);
    assertError(await fx.call("PATCH", `/logged-models/${id}`, {}), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'status'/);
    assertError(await fx.call("PATCH", `/logged-models/${id}`, { status: "DONE" }), 400, "INVALID_PARAMETER_VALUE", /parameter 'status'/);
    assertError(await fx.call("PATCH", `/logged-models/${id}`, { status: 0 }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("PATCH", `/logged-models/${id}`, { model_id: "m-other", status: 2 }), 400, "INVALID_PARAMETER_VALUE", /does not match/);
    assertError(await fx.call("PATCH", "/logged-models/m-bogus", { status: 2 }), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
  });

  test("tags: PATCH upserts, DELETE removes (keys with slashes too), a missing tag is 404", async () => {
    const id = (await createModel({ tags: [{ key: "a", value: "1" }] })).info.model_id;
    assertEmptyOk(await fx.call("PATCH", `/logged-models/${id}/tags`, { tags: [{ key: "a", value: "2" }, { key: "x/y", value: "3" }] }));
    assert.deepEqual(ok(await fx.call("GET", `/logged-models/${id}`)).model.info.tags, [{ key: "a", value: "2" }, { key: "x/y", value: "3" }]);
    assertEmptyOk(await fx.call("DELETE", `/logged-models/${id}/tags/${encodeURIComponent("x/y")}`));
    assertError(await fx.call("DELETE", `/logged-models/${id}/tags/x`), 404, "RESOURCE_DOES_NOT_EXIST", `No tag with key 'x' found for model with ID '${id}'.`);
    const before = await fx.snapshot(LOGGED_MODEL_TABLES);
    assertError(await fx.call("PATCH", `/logged-models/${id}/tags`, { tags: [{ key: "b", value: "v".repeat(65_536) }] }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("PATCH", "/logged-models/m-bogus/tags", { tags: [{ key: "b", value: "1" }] }), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
    assert.deepEqual(ok(await fx.call("GET", `/logged-models/${id}`)).model.info.tags, [{ key: "a", value: "2" }]);
  });

  test("params: POST logs new keys, repeats are idempotent, changes are refused", async () => {
    const id = (await createModel({ params: [{ key: "alpha", value: "0.5" }] })).info.model_id;
    assertEmptyOk(await fx.call("POST", `/logged-models/${id}/params`, { model_id: id, params: [{ key: "alpha", value: "0.5" }, { key: "beta", value: "1" }] }));
    const before = await fx.snapshot(LOGGED_MODEL_TABLES);
    assertError(await fx.call("POST", `/logged-models/${id}/params`, { params: [{ key: "alpha", value: "0.9" }] }), 400, "INVALID_PARAMETER_VALUE", /Changing param values is not allowed/);
    assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
    assert.deepEqual(ok(await fx.call("GET", `/logged-models/${id}`)).model.data.params, [{ key: "alpha", value: "0.5" }, { key: "beta", value: "1" }]);
  });

  test("runs/outputs links a model to the run; runs/get and runs/search show outputs and inputs", async () => {
    const r = ok(await fx.call("POST", "/runs/create", { experiment_id: exp, start_time: 1 })).run.info.run_id;
    const id = (await createModel({ source_run_id: r })).info.model_id;
    assertEmptyOk(await fx.call("POST", "/runs/outputs", { run_id: r, models: [{ model_id: id, step: 0 }] }));
    assertEmptyOk(await fx.call("POST", "/runs/log-inputs", { run_id: r, models: [{ model_id: id }] }));
    const got = ok(await fx.call("GET", "/runs/get", undefined, { query: { run_id: r, run_uuid: r } })).run;
    assert.deepEqual(got.outputs, { model_outputs: [{ model_id: id, step: 0 }] });
    assert.deepEqual(got.inputs, { model_inputs: [{ model_id: id }] });
    const found = ok(await fx.call("POST", "/runs/search", { experiment_ids: [exp], filter: `attributes.run_id = '${r}'` })).runs;
    assert.deepEqual(found[0].outputs, got.outputs);
    const before = await fx.snapshot(LOGGED_MODEL_TABLES);
    assertError(await fx.call("POST", "/runs/outputs", { run_id: r, models: [{ model_id: "m-bogus", step: 1 }] }), 404, "RESOURCE_DOES_NOT_EXIST", "Logged model with ID 'm-bogus' not found.");
    assertError(await fx.call("POST", "/runs/outputs", { models: [{ model_id: id }] }), 400, "INVALID_PARAMETER_VALUE", /'run_id'/);
    assertError(await fx.call("POST", "/runs/outputs", { run_id: r, models: [{ step: 1 }] }), 400, "INVALID_PARAMETER_VALUE", /models\[0\]\.model_id/);
    assertError(await fx.call("POST", "/runs/outputs", { run_id: "0".repeat(32), models: [{ model_id: id }] }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("POST", "/runs/log-inputs", { run_id: r, models: [{ model_id: "m-bogus" }] }), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
  });

  test("search: filter, order_by objects, datasets, max_results default and cap 50, pages", async () => {
    const e = ok(await fx.call("POST", "/experiments/create", { name: fx.uniq("lm-search") })).experiment_id;
    const r = ok(await fx.call("POST", "/runs/create", { experiment_id: e, start_time: 1 })).run.info.run_id;
    const made: string[] = [];
    for (let i = 0; i < 55; i++) {
      const m = ok(await fx.call("POST", "/logged-models", { experiment_id: e, name: `m${i}`, params: [{ key: "i", value: String(i) }] })).model;
      made.push(m.info.model_id);
      assertEmptyOk(await fx.call("POST", "/runs/log-metric", { run_id: r, key: "acc", value: i / 100, timestamp: 1000 + i, step: 0, model_id: m.info.model_id, dataset_name: "val", dataset_digest: "d" }));
    }
    const first = ok(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], order_by: [{ field_name: "metrics.acc", ascending: false }] }));
    assert.equal(first.models.length, 50);
    assert.equal(first.models[0].info.model_id, made[54]);
    assert.deepEqual(first.models[0].data.metrics, [
      { key: "acc", value: 0.54, timestamp: 1054, step: 0, dataset_name: "val", dataset_digest: "d", model_id: made[54], run_id: r },
    ]);
    const rest = ok(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], order_by: [{ field_name: "metrics.acc", ascending: false }], page_token: first.next_page_token }));
    assert.deepEqual(rest.models.map((m: any) => m.info.model_id), made.slice(0, 5).reverse());
    assert.equal(rest.next_page_token, undefined);
    const filtered = ok(
      await fx.call("POST", "/logged-models/search", {
        experiment_ids: [e],
        filter: "metrics.acc > 0.5 AND params.i != '52'",
        datasets: [{ dataset_name: "val" }],
        order_by: [{ field_name: "name" }],
        max_results: 10,
      }),
    );
    assert.deepEqual(filtered.models.map((m: any) => m.info.name), ["m51", "m53", "m54"]);
    assert.deepEqual(ok(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], filter: "name = 'none'" })), {});
    assertError(await fx.call("POST", "/logged-models/search", {}), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'experiment_ids'/);
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], max_results: 51 }), 400, "INVALID_PARAMETER_VALUE", /It must be at most 50/);
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], filter: "metrics.acc > 'x'" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], filter: "foo.bar = 1" }), 400, "INVALID_PARAMETER_VALUE", /Invalid entity type/);
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], order_by: [{ field_name: "params.i" }] }), 400, "INVALID_PARAMETER_VALUE", "Invalid order by field name: params.i. Only metrics are supported.");
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], order_by: [{ field_name: "bogus" }] }), 400, "INVALID_PARAMETER_VALUE", "Invalid order by field name: bogus");
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], datasets: [{ dataset_digest: "d" }] }), 400, "INVALID_PARAMETER_VALUE", "`dataset_name` in the `datasets` clause must be specified.");
    assertError(await fx.call("POST", "/logged-models/search", { experiment_ids: [e], page_token: first.next_page_token }), 400, "INVALID_PARAMETER_VALUE");
  });

  test("unknown MLflow routes (trace artifacts for MLflow's UI, gateway, GenAI) answer ENDPOINT_NOT_FOUND in MLflow's envelope", async () => {
    const cases: Array<[("GET" | "POST" | "PATCH" | "DELETE"), string]> = [
      // The V2 and V3 trace routes, assessments, link-to-run and OTLP's /v1/traces are served (src/tracking/traces); these are not.
      ["GET", "/ajax-api/2.0/mlflow/get-trace-artifact?request_id=tr-1"],
      ["GET", "/api/2.0/mlflow/unified-traces"],
      ["POST", "/api/3.0/mlflow/gateway/endpoints"],
      ["POST", "/api/3.0/mlflow/datasets/create"],
      ["POST", "/api/3.0/mlflow/scorers/register"],
      ["GET", "/api/3.0/mlflow/workspaces"],
      ["POST", "/api/2.0/mlflow/webhooks"],
      // logged-models are `since major 2`: not served under /api/3.0.
      ["POST", "/api/3.0/mlflow/logged-models"],
    ];
    for (const [method, url] of cases) {
      const r = await fx.request(method, url, method === "GET" ? undefined : "{}", method === "GET" ? {} : { "content-type": "application/json" });
      assertError(r, 404, "ENDPOINT_NOT_FOUND", `No API endpoint for ${method} ${url.split("?")[0]}`);
    }
  });
});
