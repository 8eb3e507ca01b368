/**
 * Bad input over HTTP: every rejection carries MLflow's `{"error_code","message"}`
 * envelope with the right status, and leaves the store exactly as it was.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { startServer, type RunningServer } from "./main.js";
import { tempDir } from "../testing/temp-dir.js";
import { AJAX, API, assertError, openTestApp, SEE_DOCS, type Reply, type TestApp } from "../testing/test-app.js";
import { serverModules } from "../modules.js";

interface Case {
  name: string;
  send: () => Promise<Reply>;
  status: number;
  code: string;
  /** Expected message; a function when it names ids created in `before`. */
  message: string | RegExp | (() => string);
}

describe("bad input", () => {
  let fx: TestApp;
  let exp: string;
  let run: string;
  before(async () => {
    fx = await openTestApp();
    exp = await fx.createExperiment("bad-input");
    run = await fx.createRun(exp, { run_name: "victim" });
    const r = await fx.post("/runs/log-batch", {
      run_id: run,
      metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
      params: [{ key: "p", value: "old" }],
      tags: [{ key: "t", value: "v" }],
    });
    assert.equal(r.status, 200, r.text);
  });
  after(async () => {
    await fx.close();
  });

  /** Everything the API can see: all experiments, all runs with their data, and the history of "m". */
  const snapshot = async () => {
    const exps = (await fx.post("/experiments/search", { view_type: "ALL", max_results: 50000 })).json;
    const ids = exps.experiments.map((e: { experiment_id: string }) => e.experiment_id);
    const runs = (await fx.post("/runs/search", { experiment_ids: ids, run_view_type: "ALL", max_results: 50000 })).json;
    const history = (await fx.get("/metrics/get-history", { run_id: run, metric_key: "m" })).json;
    return { exps, runs, history };
  };

  /** Sends each case, checks the envelope, then checks that nothing changed. */
  const check = (cases: Case[]) => {
    for (const c of cases) {
      test(c.name, async () => {
        const before = await snapshot();
        assertError(await c.send(), c.status, c.code, typeof c.message === "function" ? c.message() : c.message);
        assert.deepEqual(await snapshot(), before, "the request changed the store");
      });
    }
  };
  const invalid = (name: string, send: () => Promise<Reply>, message: Case["message"]): Case => ({
    name,
    send,
    status: 400,
    code: "INVALID_PARAMETER_VALUE",
    message,
  });
  const missing = (param: string) => `Missing value for required parameter '${param}'.${SEE_DOCS}`;
  const typeHint = (value: string, param: string, type: string) =>
    `Invalid value ${value} for parameter '${param}' supplied. Hint: Value was of type '${type}'.${SEE_DOCS}`;

  describe("malformed bodies", () => {
    check([
      invalid("malformed JSON", () => fx.post("/runs/set-tag", `{"run_id": "${run}", "key": "t", `), /^Malformed JSON request body/),
      invalid("a JSON array", () => fx.post("/experiments/create", '["x"]'), /must be a JSON object/),
      invalid("a JSON number", () => fx.post("/experiments/create", "42"), /must be a JSON object/),
      invalid("JSON null", () => fx.post("/experiments/create", "null"), /must be a JSON object/),
      invalid("a JSON string that is not JSON inside", () => fx.post("/experiments/create", '"hello"'), /^Malformed JSON request body/),
    ]);
  });

  describe("wrong types", () => {
    check([
      invalid("number for the experiment name", () => fx.post("/experiments/create", { name: 123 }), typeHint("123", "name", "int")),
      invalid("number for a param value", () => fx.post("/runs/log-parameter", { run_id: run, key: "q", value: 5 }), typeHint("5", "value", "int")),
      invalid("number for a tag key", () => fx.post("/runs/set-tag", { run_id: run, key: 7, value: "v" }), typeHint("7", "key", "int")),
      invalid("bool metric value", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: true, timestamp: 2 }), typeHint("True", "value", "bool")),
      invalid("non-numeric string metric value", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: "high", timestamp: 2 }), typeHint("high", "value", "str")),
      invalid("non-numeric string timestamp", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: 1, timestamp: "yesterday" }), typeHint("yesterday", "timestamp", "str")),
      invalid("a float-spelled number keeps its point (Python's repr)", () => fx.post("/experiments/create", '{"name": "e", "artifact_location": 9.0}'), typeHint("9.0", "artifact_location", "float")),
      invalid("fractional step", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: 1, timestamp: 2, step: 1.5 }), typeHint("1.5", "step", "float")),
      invalid("bool metric value inside a batch", () => fx.post("/runs/log-batch", { run_id: run, metrics: [{ key: "m", value: false, timestamp: 2 }] }), typeHint("False", "metrics[0].value", "bool")),
      invalid("object for the tags list", () => fx.post("/runs/log-batch", { run_id: run, tags: { t: "x" } }), typeHint("{'t': 'x'}", "tags", "dict")),
      invalid("unknown run status", () => fx.post("/runs/update", { run_id: run, status: "DONE" }), typeHint("DONE", "status", "str")),
      invalid("negative timestamp", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: 1, timestamp: -1 }), /^Got invalid timestamp -1 for metric 'm'/),
    ]);
  });

  describe("missing and empty required fields", () => {
    check([
      invalid("experiment name absent", () => fx.post("/experiments/create", {}), missing("name")),
      invalid("experiment name empty", () => fx.post("/experiments/create", { name: "" }), missing("name")),
      invalid("experiment_id absent on GET", () => fx.get("/experiments/get"), missing("experiment_id")),
      invalid("experiment_name absent on GET", () => fx.get("/experiments/get-by-name", { other: "x" }), missing("experiment_name")),
      invalid("run id absent on runs/get", () => fx.get("/runs/get", { metric_key: "m" }), missing("run_id")),
      invalid("run id absent on log-metric", () => fx.post("/runs/log-metric", { key: "m", value: 1, timestamp: 2 }), missing("run_id")),
      invalid("metric timestamp absent", () => fx.post("/runs/log-metric", { run_id: run, key: "m", value: 1 }), missing("timestamp")),
      invalid("metric value absent", () => fx.post("/runs/log-metric", { run_id: run, key: "m", timestamp: 2 }), missing("value")),
      invalid("empty metric key", () => fx.post("/runs/log-metric", { run_id: run, key: "", value: 1, timestamp: 2 }), missing("key")),
      invalid("empty param key", () => fx.post("/runs/log-parameter", { run_id: run, key: "", value: "v" }), missing("key")),
      invalid("empty tag key", () => fx.post("/runs/set-tag", { run_id: run, key: "", value: "v" }), missing("key")),
      invalid("batch metric without a timestamp", () => fx.post("/runs/log-batch", { run_id: run, metrics: [{ key: "m", value: 1 }] }), `Invalid value [{'key': 'm', 'value': 1}] for parameter 'metrics' supplied. Hint: Value was of type 'list'. ${missing("metrics[0].timestamp")}`),
      invalid("batch param with an empty key", () => fx.post("/runs/log-batch", { run_id: run, params: [{ key: "a", value: "1" }, { key: "", value: "2" }] }), `Invalid value [{'key': 'a', 'value': '1'}, {'key': '', 'value': '2'}] for parameter 'params' supplied. Hint: Value was of type 'list'. ${missing("params[1].key")}`),
      invalid("metric_key absent on get-history", () => fx.get("/metrics/get-history", { run_id: run }), missing("metric_key")),
      invalid("empty POST body", () => fx.post("/runs/delete", ""), missing("run_id")),
    ]);
  });

  describe("unknown ids and duplicates", () => {
    const ghost = "0123456789abcdef0123456789abcdef";
    const notFound = (name: string, send: () => Promise<Reply>, message: string): Case => ({
      name,
      send,
      status: 404,
      code: "RESOURCE_DOES_NOT_EXIST",
      message,
    });
    check([
      notFound("runs/get", () => fx.get("/runs/get", `run_uuid=${ghost}&run_id=${ghost}`), `Run with id=${ghost} not found`),
      notFound("log-metric", () => fx.post("/runs/log-metric", { run_id: ghost, key: "m", value: 1, timestamp: 1 }), `Run with id=${ghost} not found`),
      notFound("log-batch", () => fx.post("/runs/log-batch", { run_id: ghost, params: [{ key: "a", value: "b" }] }), `Run with id=${ghost} not found`),
      notFound("update", () => fx.post("/runs/update", { run_id: ghost, status: "FINISHED" }), `Run with id=${ghost} not found`),
      notFound("delete", () => fx.post("/runs/delete", { run_id: ghost }), `Run with id=${ghost} not found`),
      notFound("get-history", () => fx.get("/metrics/get-history", { run_id: ghost, metric_key: "m" }), `Run with id=${ghost} not found`),
      notFound("experiments/get", () => fx.get("/experiments/get", { experiment_id: "987654" }), "No Experiment with id=987654 exists"),
      notFound("runs/create in an unknown experiment", () => fx.post("/runs/create", { experiment_id: "987654" }), "No Experiment with id=987654 exists"),
      notFound("experiments/get-by-name", () => fx.get("/experiments/get-by-name", { experiment_name: "ghost" }), "Could not find experiment with name 'ghost'"),
      { name: "duplicate experiment name", send: () => fx.post("/experiments/create", { name: "bad-input" }), status: 400, code: "RESOURCE_ALREADY_EXISTS", message: /bad-input/ },
      { name: "rename onto an existing name", send: () => fx.post("/experiments/update", { experiment_id: exp, new_name: "Default" }), status: 400, code: "RESOURCE_ALREADY_EXISTS", message: /Default/ },
    ]);
  });

  describe("limits", () => {
    const k251 = "k".repeat(251);
    const kv = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: "v" }));
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: "fresh", value: i, timestamp: 1, step: i }));
    const batchLimit = (limit: number, entity: string, got: number) =>
      `A batch logging request can contain at most ${limit} ${entity}. Got ${got} ${entity}. Please split up ${entity} across multiple requests and try again.`;
    check([
      invalid("param key over 250", () => fx.post("/runs/log-parameter", { run_id: run, key: k251, value: "v" }), /^Param key 'k+' had length 251, which exceeded length limit of 250$/),
      invalid("metric key over 250", () => fx.post("/runs/log-metric", { run_id: run, key: k251, value: 1, timestamp: 1 }), /^Metric name 'k+' had length 251, which exceeded length limit of 250$/),
      invalid("tag key over 250", () => fx.post("/runs/set-tag", { run_id: run, key: k251, value: "v" }), /^Tag key 'k+' had length 251/),
      // ciclo rejects over-long param values instead of truncating them as MLflow does.
      invalid("param value over 6000", () => fx.post("/runs/log-parameter", { run_id: run, key: "long", value: "v".repeat(6001) }), /had length 6001, which exceeded length limit of 6000$/),
      invalid("tag value over 8000", () => fx.post("/runs/set-tag", { run_id: run, key: "long", value: "v".repeat(8001) }), /had length 8001, which exceeded length limit of 8000$/),
      invalid("1001 metrics", () => fx.post("/runs/log-batch", { run_id: run, metrics: metrics(1001) }), batchLimit(1000, "metrics", 1001)),
      invalid("101 params", () => fx.post("/runs/log-batch", { run_id: run, params: kv(101, "p") }), batchLimit(100, "params", 101)),
      invalid("101 tags", () => fx.post("/runs/log-batch", { run_id: run, tags: kv(101, "t") }), batchLimit(100, "tags", 101)),
      invalid("1001 entities in total", () => fx.post("/runs/log-batch", { run_id: run, metrics: metrics(901), params: kv(50, "p"), tags: kv(50, "t") }), batchLimit(1000, "metrics, params, and tags", 1001)),
      invalid("duplicate param keys in one batch", () => fx.post("/runs/log-batch", { run_id: run, params: [{ key: "x", value: "1" }, { key: "x", value: "2" }] }), "Duplicate parameter keys have been submitted: ['x']. Please ensure the request contains only one param value per param key."),
      invalid("a changed param value", () => fx.post("/runs/log-parameter", { run_uuid: run, run_id: run, key: "p", value: "new" }), () => `Changing param values is not allowed. Param with key='p' was already logged with value='old' for run ID='${run}'. Attempted logging new value 'new'.`),
      // All or nothing: the metric and tag of a batch whose param conflicts are not written either.
      invalid("a changed param value in a batch with other data", () => fx.post("/runs/log-batch", { run_id: run, metrics: [{ key: "m", value: 5, timestamp: 9, step: 9 }], params: [{ key: "p", value: "new" }], tags: [{ key: "t", value: "changed" }] }), /^Changing param values is not allowed\. Param with key='p' was already logged with value='old'/),
    ]);

    test("values exactly at the limits are accepted", async () => {
      const id = await fx.createRun(exp);
      const ok = await fx.post("/runs/log-batch", {
        run_id: id,
        params: [{ key: "k".repeat(250), value: "v".repeat(6000) }],
        tags: [{ key: "tag", value: "v".repeat(8000) }],
        metrics: metrics(899),
      });
      assert.equal(ok.status, 200, ok.text);
      const data = (await fx.getRun(id)).data;
      assert.equal(data.params[0].value.length, 6000);
      assert.equal(data.tags.find((t: { key: string }) => t.key === "tag").value.length, 8000);
    });
  });

  describe("search input", () => {
    const search = (body: Record<string, unknown>) => fx.post("/runs/search", { experiment_ids: [exp], ...body });
    const filters = [
      "metrics.m >",
      "params.p = old",
      "params.p == 'old'",
      "tags.t > 'v'",
      "metrics.m > 'one'",
      "nosuchtype.x = 'y'",
      "attributes.nope = 'x'",
      "params.p = 'old' AND",
      "(params.p = 'old'",
      "params.p = 'x'; DROP TABLE runs; --",
      "params.p = 'x' OR 1=1",
      "params.p = 'x' UNION SELECT run_uuid FROM runs",
      "1=1",
      "params.p = 'x' /* comment */",
      "attributes.run_id IN ('a', 1)",
    ];
    check(filters.map((filter) => invalid(`run filter ${JSON.stringify(filter)}`, () => search({ filter }), /./)));
    check([
      invalid("experiment filter with SQL", () => fx.post("/experiments/search", { filter: "name = 'x' OR 1=1; DELETE FROM experiments" }), /./),
      invalid("experiment filter on an unknown attribute", () => fx.get("/experiments/search", { filter: "owner = 'me'" }), /owner/),
      invalid("order_by on an unknown entity", () => search({ order_by: ["foo.bar DESC"] }), /foo/),
      invalid("order_by with a bad direction", () => search({ order_by: ["metrics.m SIDEWAYS"] }), /^Invalid ordering key in order_by clause 'metrics.m SIDEWAYS'/),
      invalid("order_by with SQL", () => search({ order_by: ["start_time; DROP TABLE runs"] }), /./),
      invalid("experiments order_by on a tag", () => fx.post("/experiments/search", { order_by: ["tags.team"] }), /./),
      invalid("garbage page_token", () => search({ page_token: "not-a-token!!" }), /page token/),
      invalid("MLflow's offset page_token", () => search({ page_token: "eyJvZmZzZXQiOiAxMDAwfQ==" }), /page token/),
      invalid("experiments garbage page_token", () => fx.get("/experiments/search", { page_token: "%%%" }), /page token/),
      invalid("run search max_results 0", () => search({ max_results: 0 }), "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer"),
      invalid("run search max_results 50001", () => search({ max_results: 50001 }), "Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000"),
      invalid("experiment search max_results 0", () => fx.post("/experiments/search", { max_results: 0 }), /It must be a positive integer$/),
      invalid("experiment search max_results 50001", () => fx.get("/experiments/search", { max_results: 50001 }), /It must be at most 50000$/),
      invalid("get-history max_results 0", () => fx.get("/metrics/get-history", { run_id: run, metric_key: "m", max_results: 0 }), /It must be a positive integer$/),
      invalid("bad run_view_type", () => search({ run_view_type: "SOMETIMES" }), /run_view_type/),
    ]);

    test("SQL inside quoted values and keys is only data", async () => {
      for (const filter of [
        "params.p = 'x'' OR ''1''=''1'",
        "params.`p'; DROP TABLE runs; --` = 'x'",
        "tags.t LIKE '%'' OR 1=1 --'",
      ]) {
        const r = await search({ filter });
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        assert.deepEqual(r.json, {}, filter);
      }
      assert.equal((await search({ filter: "params.p = 'old'" })).json.runs.length, 1, "tables intact");
    });

    test("a page token is bound to its query and its order_by", async () => {
      await fx.createRun(exp);
      const first = await search({ max_results: 1, order_by: ["attributes.run_name ASC"] });
      const token = first.json.next_page_token;
      assert.ok(token);
      assertError(await search({ max_results: 1, order_by: ["attributes.run_name DESC"], page_token: token }), 400, "INVALID_PARAMETER_VALUE", /order_by/);
      assertError(await fx.post("/experiments/search", { page_token: token }), 400, "INVALID_PARAMETER_VALUE", /page token/);
    });
  });

  describe("transport", () => {
    const WRONG_TYPE = "Bad Request. Content-Type must be one of ['application/json'].";
    check([
      invalid("text/plain body", () => fx.post("/experiments/create", { name: "plain" }, { contentType: "text/plain" }), WRONG_TYPE),
      invalid("form body", () => fx.post("/experiments/create", "name=form", { contentType: "application/x-www-form-urlencoded" }), WRONG_TYPE),
      invalid("a body without Content-Type", () => fx.post("/experiments/create", '{"name": "untyped"}', { contentType: "" }), "Bad Request. Content-Type header is missing."),
      { name: "unknown route", send: () => fx.get("/experiments/list"), status: 404, code: "ENDPOINT_NOT_FOUND", message: "No API endpoint for GET /api/2.0/mlflow/experiments/list" },
      { name: "unknown ajax route", send: () => fx.post("/runs/nope", {}, { prefix: AJAX }), status: 404, code: "ENDPOINT_NOT_FOUND", message: /runs\/nope/ },
      { name: "GET on a POST-only route", send: () => fx.get("/runs/create"), status: 404, code: "ENDPOINT_NOT_FOUND", message: /runs\/create/ },
      { name: "outside the API", send: () => fx.request("GET", "/api/2.0/nothing?x=1"), status: 404, code: "ENDPOINT_NOT_FOUND", message: "No API endpoint for GET /api/2.0/nothing" },
      { name: "a malformed percent-escape in the path", send: () => fx.request("GET", `${API}/runs/%zz`), status: 400, code: "BAD_REQUEST", message: /not a valid url/ },
      // JSON.stringify overflows on the value while the error message is built; the envelope must survive it.
      invalid("a value nested 10,000 deep", () => fx.post("/runs/log-batch", `{"run_id": "${run}", "tags": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`), /for parameter 'tags\[0\]' supplied/),
    ]);

    test("a JSON Content-Type with a charset is accepted", async () => {
      const r = await fx.post("/experiments/create", { name: "charset" }, { contentType: "application/json; charset=utf-8" });
      assert.equal(r.status, 200, r.text);
    });

    test("a body over the limit is refused with 413 and writes nothing", async () => {
      const small = await openTestApp({ bodyLimit: 2048 });
      try {
        const id = await small.createRun("0");
        const r = await small.post("/runs/set-tag", { run_id: id, key: "big", value: "x".repeat(4096) });
        assertError(r, 413, "INVALID_PARAMETER_VALUE", /too large/);
        assert.equal((await small.getRun(id)).data.tags.some((t: { key: string }) => t.key === "big"), false);
        assert.equal((await small.post("/runs/set-tag", { run_id: id, key: "ok", value: "x" })).status, 200);
      } finally {
        await small.close();
      }
    });

    test("the default body limit is 16 MiB", async () => {
      assert.equal(fx.app.initialConfig.bodyLimit, 16 * 1024 * 1024);
      const before = await snapshot();
      const r = await fx.post("/runs/set-tag", { run_id: run, key: "huge", value: "x".repeat(16 * 1024 * 1024) });
      assertError(r, 413, "INVALID_PARAMETER_VALUE", /too large/);
      assert.deepEqual(await snapshot(), before);
    });
  });

  describe("over a real port", () => {
    let dir: ReturnType<typeof tempDir>;
    let server: RunningServer;
    before(async () => {
      dir = tempDir();
      server = await startServer(
        {
          backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`,
          defaultArtifactRoot: "mlflow-artifacts:/",
          artifactsDestination: join(dir.path, "artifacts"),
          serveArtifacts: true,
          host: "127.0.0.1",
          port: 0,
          logLevel: "silent",
        }, { modules: serverModules() }
      );
    });
    after(async () => {
      await server.close();
      dir.remove();
    });

    test("a request line over 16 KiB reaches validation (MLflow's 400, not Node's 431)", async () => {
      const ids = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(32, "0"));
      const url = `${server.url}${API}/metrics/get-history-bulk-interval?metric_key=loss&${ids.map((id) => `run_ids=${id}`).join("&")}`;
      assert.ok(url.length > 16 * 1024, `url is ${url.length} chars`);
      const res = await fetch(url);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error_code: "INVALID_PARAMETER_VALUE",
        message: "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 500 run_ids.",
      });
    });

    test("a long request line with 100 run ids is served", async () => {
      const created = (await (await fetch(`${server.url}${API}/experiments/create`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"long-url"}' })).json()) as { experiment_id: string };
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${server.url}${API}/runs/create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ experiment_id: created.experiment_id }) });
        ids.push(((await res.json()) as { run: { info: { run_id: string } } }).run.info.run_id);
      }
      const padding = "x".repeat(12 * 1024); // unknown query keys are ignored, as in MLflow
      const url = `${server.url}${API}/metrics/get-history-bulk-interval?metric_key=loss&${ids.map((id) => `run_ids=${id}`).join("&")}&pad=${padding}`;
      assert.ok(url.length > 16 * 1024);
      const res = await fetch(url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), {});
    });
  });
});
