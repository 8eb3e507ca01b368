/**
 * HTTP tests of `/mlflow/runs/*` over a real SQLite store: MLflow's success
 * shapes (run_id and run_uuid, `{}` for mutations, `{"run_info"}` from update),
 * both URL prefixes, log-batch, search paging, log-model and log-inputs.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertEmptyOk, assertError, openTestApp, PREFIXES, type TestApp } from "../../testing/test-app.js";

const MODEL = (runId: string, artifactPath = "model") => ({
  artifact_path: artifactPath,
  flavors: { python_function: { loader_module: "mlflow.sklearn" } },
  utc_time_created: "2024-01-01 00:00:00.000000",
  run_id: runId,
});

describe("runs routes", () => {
  let fx: TestApp;
  let exp: string;
  before(async () => {
    fx = await openTestApp();
    exp = await fx.createExperiment("runs-tests");
  });
  after(async () => {
    await fx.close();
  });

  for (const prefix of PREFIXES) {
    test(`every run route answers under ${prefix}`, async () => {
      const created = await fx.post("/runs/create", { experiment_id: exp, start_time: 1_700_000_000_000 }, { prefix });
      assert.equal(created.status, 200, created.text);
      const id = created.json.run.info.run_id;
      const both = { run_id: id, run_uuid: id };
      assertEmptyOk(await fx.post("/runs/log-parameter", { ...both, key: "lr", value: "0.1" }, { prefix }));
      assertEmptyOk(await fx.post("/runs/log-metric", { ...both, key: "loss", value: 0.5, timestamp: 1, step: 0 }, { prefix }));
      assertEmptyOk(await fx.post("/runs/set-tag", { ...both, key: "t", value: "v" }, { prefix }));
      assertEmptyOk(await fx.post("/runs/delete-tag", { run_id: id, key: "t" }, { prefix }));
      assertEmptyOk(await fx.post("/runs/log-batch", { run_id: id, params: [{ key: "p", value: "1" }] }, { prefix }));
      // MLflow compat: log-inputs needs a dataset (an empty list is a missing parameter).
      assertEmptyOk(await fx.post("/runs/log-inputs", { run_id: id, datasets: [{ dataset: { name: "d", digest: "d1", source_type: "local", source: "{}" } }] }, { prefix }));
      assertEmptyOk(await fx.post("/runs/log-model", { run_id: id, model_json: JSON.stringify(MODEL(id)) }, { prefix }));
      const got = await fx.get("/runs/get", `run_uuid=${id}&run_id=${id}`, { prefix });
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(got.json.run.data.params, [
        { key: "lr", value: "0.1" },
        { key: "p", value: "1" },
      ]);
      const updated = await fx.post("/runs/update", { ...both, status: "FINISHED", end_time: 1_700_000_000_500 }, { prefix });
      assert.deepEqual(Object.keys(updated.json), ["run_info"]);
      const searched = await fx.post("/runs/search", { experiment_ids: [exp], filter: `attributes.run_id = '${id}'` }, { prefix });
      assert.deepEqual(searched.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id), [id]);
      assertEmptyOk(await fx.post("/runs/delete", { run_id: id }, { prefix }));
      assertEmptyOk(await fx.post("/runs/restore", { run_id: id }, { prefix }));
    });
  }

  test("create returns MLflow's run shape: ids twice, ms start_time, empty lists omitted, inputs {}", async () => {
    const r = await fx.post("/runs/create", {
      experiment_id: exp,
      user_id: "alice",
      run_name: "shape-run",
      start_time: 1_700_000_000_123,
      tags: [{ key: "mlflow.user", value: "alice" }],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ["run"]);
    const { info, data, inputs } = r.json.run;
    assert.deepEqual(Object.keys(r.json.run).sort(), ["data", "info", "inputs"]);
    assert.match(info.run_id, /^[0-9a-f]{32}$/);
    assert.equal(info.run_uuid, info.run_id);
    assert.deepEqual(info, {
      run_id: info.run_id,
      run_uuid: info.run_id,
      experiment_id: exp,
      user_id: "alice",
      status: "RUNNING",
      lifecycle_stage: "active",
      run_name: "shape-run",
      start_time: 1_700_000_000_123,
      artifact_uri: `mlflow-artifacts:/${exp}/${info.run_id}/artifacts`,
    });
    assert.equal("end_time" in info, false);
    assert.deepEqual(data, {
      tags: [
        { key: "mlflow.runName", value: "shape-run" },
        { key: "mlflow.user", value: "alice" },
      ],
    });
    assert.deepEqual(inputs, {});
    // runs/get answers the same run, plus MLflow 3.x's `outputs` (empty).
    const { outputs, ...got } = await fx.getRun(info.run_id);
    assert.deepEqual(got, r.json.run);
    assert.deepEqual(outputs, {});
  });

  test("create without a name generates one and tags it; experiment_id may be a number", async () => {
    const r = await fx.post("/runs/create", { experiment_id: Number(exp) });
    assert.equal(r.status, 200, r.text);
    const { info, data } = r.json.run;
    assert.equal(info.experiment_id, exp);
    assert.match(info.run_name, /^[a-z]+-[a-z]+-\d{1,3}$/);
    assert.deepEqual(data.tags, [{ key: "mlflow.runName", value: info.run_name }]);
    assert.equal(typeof info.start_time, "number");
  });

  test("create takes the run name from the mlflow.runName tag, and rejects a conflicting run_name", async () => {
    const r = await fx.post("/runs/create", { experiment_id: exp, tags: [{ key: "mlflow.runName", value: "from-tag" }] });
    assert.equal(r.json.run.info.run_name, "from-tag");
    assertError(
      await fx.post("/runs/create", { experiment_id: exp, run_name: "a", tags: [{ key: "mlflow.runName", value: "b" }] }),
      400,
      "INVALID_PARAMETER_VALUE",
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='a', mlflow.runName='b').",
    );
  });

  test("runs/get reads run_id or run_uuid from the query string", async () => {
    const id = await fx.createRun(exp);
    const byUuid = await fx.get("/runs/get", { run_uuid: id });
    const byBoth = await fx.get("/runs/get", { run_uuid: id, run_id: id });
    assert.equal(byUuid.status, 200, byUuid.text);
    assert.deepEqual(byUuid.json, byBoth.json);
    assert.equal(byBoth.json.run.info.run_id, id);
  });

  test("update returns {run_info}, sets status and end_time, renames through run_name, accepts run_uuid alone", async () => {
    const id = await fx.createRun(exp, { run_name: "old-name" });
    const r = await fx.post("/runs/update", { run_uuid: id, status: "FAILED", end_time: 1_700_000_009_000, run_name: "new-name" });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ["run_info"]);
    assert.equal(r.json.run_info.run_id, id);
    assert.equal(r.json.run_info.run_uuid, id);
    assert.equal(r.json.run_info.status, "FAILED");
    assert.equal(r.json.run_info.end_time, 1_700_000_009_000);
    assert.equal(r.json.run_info.run_name, "new-name");
    const run = await fx.getRun(id);
    assert.deepEqual(run.info, r.json.run_info);
    assert.deepEqual(run.data.tags, [{ key: "mlflow.runName", value: "new-name" }]);
  });

  test("set-tag of mlflow.runName renames the run; delete-tag removes a tag", async () => {
    const id = await fx.createRun(exp);
    assertEmptyOk(await fx.post("/runs/set-tag", { run_uuid: id, run_id: id, key: "mlflow.runName", value: "tag-renamed" }));
    assertEmptyOk(await fx.post("/runs/set-tag", { run_id: id, key: "note", value: "" }));
    let run = await fx.getRun(id);
    assert.equal(run.info.run_name, "tag-renamed");
    assert.deepEqual(run.data.tags, [
      { key: "mlflow.runName", value: "tag-renamed" },
      { key: "note", value: "" },
    ]);
    assertEmptyOk(await fx.post("/runs/delete-tag", { run_id: id, key: "note" }));
    run = await fx.getRun(id);
    assert.deepEqual(run.data.tags, [{ key: "mlflow.runName", value: "tag-renamed" }]);
  });

  test("delete and restore flip lifecycle_stage; a deleted run refuses writes", async () => {
    const id = await fx.createRun(exp);
    assertEmptyOk(await fx.post("/runs/delete", { run_id: id }));
    assert.equal((await fx.getRun(id)).info.lifecycle_stage, "deleted");
    assertError(
      await fx.post("/runs/log-parameter", { run_id: id, key: "k", value: "v" }),
      400,
      "INVALID_PARAMETER_VALUE",
      `The run ${id} must be in the 'active' state. Current state is deleted.`,
    );
    assert.equal((await fx.getRun(id)).data.params, undefined);
    // MLflow compat: delete and restore are idempotent.
    assertEmptyOk(await fx.post("/runs/delete", { run_id: id }));
    assertEmptyOk(await fx.post("/runs/restore", { run_id: id }));
    assertEmptyOk(await fx.post("/runs/restore", { run_id: id }));
    assert.equal((await fx.getRun(id)).info.lifecycle_stage, "active");
  });

  test("log-batch writes metrics, params and tags; a retried batch is idempotent", async () => {
    const id = await fx.createRun(exp);
    const batch = {
      run_id: id,
      metrics: [
        { key: "acc", value: 0.5, timestamp: 10, step: 0 },
        { key: "acc", value: 0.7, timestamp: 20, step: 1 },
        { key: "loss", value: 1.5, timestamp: 10 },
      ],
      params: [{ key: "lr", value: "0.01" }],
      tags: [{ key: "team", value: "a" }, { key: "team", value: "b" }],
    };
    assertEmptyOk(await fx.post("/runs/log-batch", batch));
    assertEmptyOk(await fx.post("/runs/log-batch", batch));
    const run = await fx.getRun(id);
    assert.deepEqual(run.data.metrics, [
      { key: "acc", value: 0.7, timestamp: 20, step: 1 },
      { key: "loss", value: 1.5, timestamp: 10, step: 0 },
    ]);
    assert.deepEqual(run.data.params, [{ key: "lr", value: "0.01" }]);
    // The last value of a key repeated in one batch wins.
    assert.deepEqual(run.data.tags.find((t: { key: string }) => t.key === "team"), { key: "team", value: "b" });
    const history = await fx.get("/metrics/get-history", { run_id: id, metric_key: "acc" });
    assert.equal(history.json.metrics.length, 2, "the retry added no points");
  });

  describe("search", () => {
    let searchExp: string;
    const ids: string[] = [];
    before(async () => {
      searchExp = await fx.createExperiment("runs-search");
      for (let i = 0; i < 5; i++) {
        const id = await fx.createRun(searchExp, { run_name: `r${i}`, start_time: 1_700_000_000_000 + i });
        ids.push(id);
        await fx.post("/runs/log-batch", {
          run_id: id,
          metrics: [{ key: "score", value: i / 10, timestamp: 1, step: 0 }],
          params: [{ key: "group", value: i % 2 === 0 ? "even" : "odd" }],
          tags: [{ key: "team", value: `t${i}` }],
        });
      }
      await fx.post("/runs/delete", { run_id: ids[4] });
    });
    const runNames = (json: { runs?: Array<{ info: { run_name: string } }> }) => (json.runs ?? []).map((r) => r.info.run_name);

    test("the Python client's body shape: filter, order_by, run_view_type, max_results", async () => {
      const r = await fx.post("/runs/search", {
        experiment_ids: [searchExp],
        filter: "metrics.score > 0.05 AND params.group = 'even'",
        run_view_type: "ACTIVE_ONLY",
        max_results: 1000,
        order_by: ["metrics.score DESC"],
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(runNames(r.json), ["r2"]);
      assert.equal(r.json.next_page_token, undefined);
      const run = r.json.runs[0];
      assert.deepEqual(run.data.metrics, [{ key: "score", value: 0.2, timestamp: 1, step: 0 }]);
      assert.deepEqual(run.data.params, [{ key: "group", value: "even" }]);
      assert.deepEqual(run.inputs, {});
    });

    test("default order is start_time DESC; run_view_type picks deleted runs", async () => {
      assert.deepEqual(runNames((await fx.post("/runs/search", { experiment_ids: [searchExp] })).json), ["r3", "r2", "r1", "r0"]);
      const deleted = await fx.post("/runs/search", { experiment_ids: [searchExp], run_view_type: "DELETED_ONLY" });
      assert.deepEqual(runNames(deleted.json), ["r4"]);
      const all = await fx.post("/runs/search", { experiment_ids: [searchExp], run_view_type: 3, order_by: ["tags.team ASC"] });
      assert.deepEqual(runNames(all.json), ["r0", "r1", "r2", "r3", "r4"]);
    });

    test("an empty result is {}", async () => {
      const r = await fx.post("/runs/search", { experiment_ids: [searchExp], filter: "tags.team = 'nobody'" });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, {});
    });

    test("pages with max_results and page_token until the token is gone", async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await fx.post("/runs/search", {
          experiment_ids: [searchExp],
          order_by: ["params.group ASC", "attributes.run_name DESC"],
          max_results: 2,
          ...(token ? { page_token: token } : {}),
        });
        assert.equal(r.status, 200, r.text);
        seen.push(...runNames(r.json));
        token = r.json.next_page_token;
        pages++;
      } while (token && pages < 10);
      assert.deepEqual(seen, ["r2", "r0", "r3", "r1"]);
      assert.equal(pages, 2);
    });
  });

  describe("log-model", () => {
    test("appends each model to the mlflow.log-model.history tag", async () => {
      const id = await fx.createRun(exp);
      assertEmptyOk(await fx.post("/runs/log-model", { run_id: id, model_json: JSON.stringify(MODEL(id, "first")) }));
      assertEmptyOk(await fx.post("/runs/log-model", { run_id: id, model_json: JSON.stringify(MODEL(id, "second")) }));
      const tag = (await fx.getRun(id)).data.tags.find((t: { key: string }) => t.key === "mlflow.log-model.history");
      assert.ok(tag, "history tag written");
      assert.deepEqual(JSON.parse(tag.value), [MODEL(id, "first"), MODEL(id, "second")]);
    });

    test("rejects malformed JSON and missing mandatory fields with MLflow's messages, writing nothing", async () => {
      const id = await fx.createRun(exp);
      assertError(
        await fx.post("/runs/log-model", { run_id: id, model_json: "{not json" }),
        400,
        "INVALID_PARAMETER_VALUE",
        "Malformed model info. \n {not json \n is not a valid JSON.",
      );
      const partial = { artifact_path: "m", run_id: id };
      assertError(
        await fx.post("/runs/log-model", { run_id: id, model_json: JSON.stringify(partial) }),
        400,
        "INVALID_PARAMETER_VALUE",
        "Model json is missing mandatory fields: {'flavors', 'utc_time_created'}",
      );
      const tags = (await fx.getRun(id)).data.tags.map((t: { key: string }) => t.key);
      assert.deepEqual(tags, ["mlflow.runName"]);
    });
  });

  describe("log-inputs", () => {
    const dataset = {
      name: "iris",
      digest: "a1b2c3",
      source_type: "local",
      source: '{"uri": "/data/iris.csv"}',
      schema: '{"mlflow_colspec": []}',
      profile: '{"num_rows": 150}',
    };

    test("logs a dataset with its context tag; runs/get shows it under inputs.dataset_inputs", async () => {
      const id = await fx.createRun(exp);
      const body = { run_id: id, datasets: [{ tags: [{ key: "mlflow.data.context", value: "train" }], dataset }] };
      assertEmptyOk(await fx.post("/runs/log-inputs", body));
      assertEmptyOk(await fx.post("/runs/log-inputs", body));
      const run = await fx.getRun(id);
      assert.deepEqual(run.inputs, { dataset_inputs: [{ tags: [{ key: "mlflow.data.context", value: "train" }], dataset }] });
      const found = await fx.post("/runs/search", { experiment_ids: [exp], filter: "datasets.context = 'train'" });
      assert.deepEqual(found.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id), [id]);
    });

    test("schema and profile are optional", async () => {
      const id = await fx.createRun(exp);
      const { schema: _s, profile: _p, ...minimal } = dataset;
      assertEmptyOk(await fx.post("/runs/log-inputs", { run_id: id, datasets: [{ dataset: { ...minimal, digest: "other" } }] }));
      assert.deepEqual((await fx.getRun(id)).inputs.dataset_inputs, [{ dataset: { ...minimal, digest: "other" } }]);
    });

    test("rejects a dataset without a digest and writes nothing", async () => {
      const id = await fx.createRun(exp);
      assertError(
        await fx.post("/runs/log-inputs", { run_id: id, datasets: [{ dataset: { name: "d", source_type: "local", source: "s" } }] }),
        400,
        "INVALID_PARAMETER_VALUE",
        "Dataset digest cannot be None",
      );
      assert.deepEqual((await fx.getRun(id)).inputs, {});
    });
  });
});
