/**
 * The scoring app through inject(): MLflow's scoring protocol (every JSON
 * format, CSV, params, content types, errors) and the Open Inference Protocol
 * v2 (health, metadata, infer, bad tensors), on the real linear-regressor ONNX
 * model in a real inference thread. Values are checked against the fixture's
 * expected outputs (computed by scikit-learn when the fixture was made).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { FIXTURE_EXPECTED, linearModel, slowModel } from "../../testing/model-fixtures.js";
import { metricValue, startScoringKit, type ScoringKit } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";

const expected = JSON.parse(readFileSync(FIXTURE_EXPECTED, "utf8"))["linear-regressor"] as { X: number[][]; variable: number[] };
const X = expected.X;
const Y = expected.variable;
const tmp = tempDir("ciclo-scoring-app-");
let kit: ScoringKit;
let slow: ScoringKit;

const post = (k: ScoringKit, url: string, payload: unknown, contentType = "application/json") =>
  k.app.inject({ method: "POST", url, headers: { "content-type": contentType }, payload: typeof payload === "string" ? payload : JSON.stringify(payload) });

function assertClose(actual: number[], want: number[]): void {
  assert.equal(actual.length, want.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - want[i]) < 1e-4, `row ${i}: ${a} vs ${want[i]}`));
}

/** `{"predictions": {"variable": [[y], …]}}` → [y, …]. */
const ys = (body: unknown) => ((body as { predictions: { variable: number[][] } }).predictions.variable).map((r) => r[0]);

before(async () => {
  kit = await startScoringKit(await linearModel(tmp.path), { name: "linear", version: "3" });
  slow = await startScoringKit(await slowModel(tmp.path), { name: "slow" });
});
after(async () => {
  await kit.close();
  await slow.close();
  tmp.remove();
});

describe("MLflow scoring protocol", () => {
  test("/ping, /health and /version", async () => {
    for (const url of ["/ping", "/health"]) {
      const r = await kit.app.inject({ method: "GET", url });
      assert.equal(r.statusCode, 200);
      assert.equal(r.body, "\n");
    }
    const v = await kit.app.inject({ method: "GET", url: "/version" });
    assert.equal(v.statusCode, 200);
    assert.match(v.body, /^\d+\.\d+\.\d+/);
  });

  test("inputs (tensor), instances, dataframe_split and dataframe_records give the model's values", async () => {
    const bodies = [
      { inputs: X },
      { instances: X },
      { dataframe_split: { columns: ["a", "b", "c"], index: [0, 1, 2, 3, 4], data: X } },
      { dataframe_records: X.map(([a, b, c]) => ({ a, b, c })) },
      { inputs: { X } },
    ];
    for (const body of bodies) {
      const r = await post(kit, "/invocations", body);
      assert.equal(r.statusCode, 200, r.body);
      const p = (r.json() as { predictions: unknown }).predictions;
      const values = Array.isArray(p) ? (p as Array<{ variable: number }>).map((x) => x.variable) : ys(r.json());
      assertClose(values, Y);
    }
  });

  test("CSV with text/csv (charset utf-8 allowed)", async () => {
    const csv = `a,b,c\n${X.map((r) => r.join(",")).join("\n")}\n`;
    const r = await post(kit, "/invocations", csv, "text/csv; charset=utf-8");
    assert.equal(r.statusCode, 200, r.body);
    // A tensor-signature model stacks the CSV columns into X and answers with its named output tensor.
    assertClose(ys(r.json()), Y);
  });

  test("params reach the model (validated against the params schema)", async () => {
    const ok = await post(slow, "/invocations", { dataframe_records: [{ x: 1 }, { x: 2.5 }], params: { busy_ms: 1 } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { predictions: [2, 5] });
    const bad = await post(slow, "/invocations", { dataframe_records: [{ x: 1 }], params: { busy_ms: "soon" } });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { message: string }).message, /busy_ms/);
  });

  test("415 for other content types, charsets and parameters (plain text, as MLflow)", async () => {
    for (const ct of ["text/plain", "application/json; charset=latin-1", "application/json; format=pandas-split", "application/x-www-form-urlencoded"]) {
      const r = await post(kit, "/invocations", { inputs: X }, ct);
      assert.equal(r.statusCode, 415, ct);
      assert.match(String(r.headers["content-type"]), /^text\/plain/);
    }
    const none = await kit.app.inject({ method: "POST", url: "/invocations", payload: "{}" });
    assert.equal(none.statusCode, 415);
  });

  test("400 with MLflow's error body for bad requests, naming what is wrong", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ inputs: X, instances: X }, /exactly one/],
      [{ columns: ["a"], data: [[1]] }, /scoring protocol changed in MLflow 2\.0/],
      [[1, 2, 3], /JSON object/],
      ["{not json", /Failed to parse input from JSON/],
      [{ inputs: [[1, 2]] }, /Shape of input 'X' \[1, 2\] does not match the expected shape \[-1, 3\]/],
      [{ inputs: [["a", "b", "c"]] }, /not a number/],
    ];
    for (const [body, message] of cases) {
      const r = await post(kit, "/invocations", body);
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      const err = r.json() as { error_code: string; message: string };
      assert.equal(err.error_code, "BAD_REQUEST");
      assert.match(err.message, message);
    }
    const missing = await post(slow, "/invocations", { dataframe_records: [{ z: 1 }] });
    assert.equal(missing.statusCode, 400);
    assert.match((missing.json() as { message: string }).message, /missing inputs \['x'\]/);
  });

  test("one bad request in a batch does not fail the others", async () => {
    const [good, bad, good2] = await Promise.all([
      post(kit, "/invocations", { inputs: [X[0]] }),
      post(kit, "/invocations", { inputs: [[1, 2]] }),
      post(kit, "/invocations", { inputs: [X[1]] }),
    ]);
    assert.equal(good.statusCode, 200);
    assert.equal(bad.statusCode, 400);
    assert.equal(good2.statusCode, 200);
    assertClose([...ys(good.json()), ...ys(good2.json())], [Y[0], Y[1]]);
  });

  test("404 for unknown routes, 405 for a wrong method, 413 past the body limit", async () => {
    const nf = await kit.app.inject({ method: "GET", url: "/nope" });
    assert.equal(nf.statusCode, 404);
    assert.equal((nf.json() as { error_code: string }).error_code, "ENDPOINT_NOT_FOUND");
    const m = await kit.app.inject({ method: "GET", url: "/invocations" });
    assert.equal(m.statusCode, 405);
    const small = await startScoringKit(await linearModel(tmp.path, "linear-small"), { maxBodyBytes: 64 });
    try {
      const big = await post(small, "/invocations", { inputs: Array.from({ length: 20 }, () => X[0]) });
      assert.equal(big.statusCode, 413);
    } finally {
      await small.close();
    }
  });

  test("while loading: /ping and scoring answer 503, liveness 200", async () => {
    const loading = await startScoringKit(await linearModel(tmp.path, "linear-loading"), { loading: true });
    try {
      assert.equal((await loading.app.inject({ method: "GET", url: "/ping" })).statusCode, 503);
      assert.equal((await loading.app.inject({ method: "GET", url: "/v2/health/ready" })).statusCode, 503);
      assert.equal((await loading.app.inject({ method: "GET", url: "/v2/health/live" })).statusCode, 200);
      const r = await post(loading, "/invocations", { inputs: X });
      assert.equal(r.statusCode, 503);
      assert.equal(r.headers["retry-after"], "1");
    } finally {
      await loading.close();
    }
  });
});

describe("Open Inference Protocol v2", () => {
  const infer = (body: unknown, url = "/v2/models/linear/infer") => post(kit, url, body);

  test("health, server metadata, model metadata and readiness", async () => {
    assert.deepEqual((await kit.app.inject({ method: "GET", url: "/v2/health/live" })).json(), { live: true });
    assert.deepEqual((await kit.app.inject({ method: "GET", url: "/v2/health/ready" })).json(), { ready: true });
    const server = (await kit.app.inject({ method: "GET", url: "/v2" })).json() as { name: string; extensions: unknown[] };
    assert.equal(server.name, "ciclo");
    for (const url of ["/v2/models/linear", "/v2/models/linear/versions/3"]) {
      const r = await kit.app.inject({ method: "GET", url });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), {
        name: "linear",
        versions: ["3"],
        platform: "onnx_onnxv1",
        inputs: [{ name: "X", datatype: "FP32", shape: [-1, 3] }],
        outputs: [{ name: "variable", datatype: "FP32", shape: [-1, 1] }],
      });
    }
    assert.deepEqual((await kit.app.inject({ method: "GET", url: "/v2/models/linear/versions/3/ready" })).json(), { name: "linear", ready: true });
    assert.equal((await kit.app.inject({ method: "GET", url: "/v2/models/other" })).statusCode, 404);
    assert.equal((await kit.app.inject({ method: "GET", url: "/v2/models/linear/versions/9/ready" })).statusCode, 404);
    assert.equal((await kit.app.inject({ method: "GET", url: "/v2/models/linear/infer" })).statusCode, 405);
  });

  test("infer: flat and nested data, id echoed, outputs filter, version path", async () => {
    const flat = await infer({ id: "req-1", inputs: [{ name: "X", shape: [5, 3], datatype: "FP32", data: X.flat() }] });
    assert.equal(flat.statusCode, 200, flat.body);
    const body = flat.json() as { model_name: string; model_version: string; id: string; outputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }> };
    assert.equal(body.model_name, "linear");
    assert.equal(body.model_version, "3");
    assert.equal(body.id, "req-1");
    assert.equal(body.outputs[0].name, "variable");
    assert.deepEqual(body.outputs[0].shape, [5, 1]);
    assert.equal(body.outputs[0].datatype, "FP32");
    assertClose(body.outputs[0].data, Y);
    const nested = await infer({ inputs: [{ name: "X", shape: [5, 3], datatype: "FP64", data: X }], outputs: [{ name: "variable" }] }, "/v2/models/linear/versions/3/infer");
    assert.equal(nested.statusCode, 200, nested.body);
    assertClose((nested.json() as typeof body).outputs[0].data, Y);
  });

  test("column-signature model: one 1-d tensor per column; params from parameters", async () => {
    const r = await post(slow, "/v2/models/slow/infer", { parameters: { busy_ms: 0 }, inputs: [{ name: "x", shape: [3], datatype: "FP64", data: [1, 2, 3] }] });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((r.json() as { outputs: unknown[] }).outputs, [{ name: "predictions", shape: [3], datatype: "FP64", data: [2, 4, 6] }]);
  });

  test("400 {error} for bad tensors", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ inputs: [{ name: "X", shape: [2, 3], datatype: "FP32", data: [1, 2, 3] }] }, /needs 6 values; "data" has 3/],
      [{ inputs: [{ name: "X", shape: [1, 3], datatype: "FLOAT", data: [1, 2, 3] }] }, /unknown datatype "FLOAT"/],
      [{ inputs: [{ name: "X", shape: [1, 3], datatype: "INT32", data: [1.5, 2, 3] }] }, /not an integer/],
      [{ inputs: [{ name: "X", shape: [1, 3], datatype: "FP32", data: ["a", 2, 3] }] }, /not a number/],
      [{ inputs: [{ name: "X", shape: [1, -3], datatype: "FP32", data: [1, 2, 3] }] }, /non-negative integers/],
      [{ inputs: [{ name: "X", shape: [1, 2], datatype: "FP32", data: [1, 2] }] }, /does not match the expected shape/],
      [{ inputs: [] }, /non-empty list/],
      [{ inputs: [{ name: "Y", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }, /missing inputs \['X'\]/],
      [{ inputs: [{ name: "X", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }], outputs: [{ name: "nope" }] }, /no output 'nope'/],
      ["[1,", /Failed to parse input from JSON/],
    ];
    for (const [body, message] of cases) {
      const r = await infer(body);
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      assert.match((r.json() as { error: string }).error, message);
    }
  });
});

test("/metrics: requests, errors, latency, batches and readiness labelled by model and version", async () => {
  await post(kit, "/invocations", { inputs: [X[0]] });
  await post(kit, "/invocations", { inputs: [[1]] });
  const r = await kit.app.inject({ method: "GET", url: "/metrics" });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const labels = { model: "linear", version: "3" };
  assert.ok(metricValue(r.body, "ciclo_serving_requests_total", { ...labels, protocol: "mlflow", code: "200" })! >= 1);
  assert.ok(metricValue(r.body, "ciclo_serving_errors_total", { ...labels, protocol: "mlflow", error_code: "BAD_REQUEST" })! >= 1);
  assert.ok(metricValue(r.body, "ciclo_serving_request_duration_seconds_count", { ...labels, protocol: "mlflow" })! >= 2);
  assert.ok(metricValue(r.body, "ciclo_serving_batch_size_count", labels)! >= 1);
  assert.equal(metricValue(r.body, "ciclo_serving_model_ready", labels), 1);
  assert.equal(metricValue(r.body, "ciclo_serving_queue_depth", labels), 0);
  assert.equal(metricValue(r.body, "ciclo_serving_requests_in_flight", labels), 0);
});

test("draining (after SIGTERM): readiness 503, liveness 200, scoring still answered with Connection: close", async () => {
  const k = await startScoringKit(await linearModel(tmp.path, "linear-draining"), { name: "linear" });
  try {
    k.app.setDraining();
    assert.equal((await k.app.inject({ method: "GET", url: "/ping" })).statusCode, 503);
    assert.deepEqual((await k.app.inject({ method: "GET", url: "/v2/health/ready" })).json(), { ready: false });
    assert.equal((await k.app.inject({ method: "GET", url: "/v2/models/linear/ready" })).statusCode, 503);
    assert.equal((await k.app.inject({ method: "GET", url: "/v2/health/live" })).statusCode, 200);
    const r = await post(k, "/invocations", { inputs: [X[0]] });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers.connection, "close");
    const m = await k.app.inject({ method: "GET", url: "/metrics" });
    assert.equal(metricValue(m.body, "ciclo_serving_model_ready", { model: "linear" }), 0);
  } finally {
    await k.close();
  }
});
