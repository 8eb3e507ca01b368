/**
 * Replays, request by request, what MLflow's Python clients (2.10.2 and 3.0.0)
 * send for the tracking flows recorded in research/mlflow-wire-notes.md, and
 * checks every response parses into MLflow's protos the way the client reads
 * them: string ids, int64 millisecond timestamps, enum names, doubles as
 * numbers or "NaN"/"Infinity" strings, and no field of the wrong type.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertEmptyOk, assertError, openTestApp, type TestApp } from "../testing/test-app.js";

type FieldType = "string" | "int64" | "double" | "bool" | readonly string[] | Shape | [Shape];
interface Shape {
  fields: Record<string, FieldType>;
  required?: string[];
}

const KV: Shape = { fields: { key: "string", value: "string" }, required: ["key", "value"] };
const EXPERIMENT: Shape = {
  fields: {
    experiment_id: "string", name: "string", artifact_location: "string", lifecycle_stage: ["active", "deleted"],
    last_update_time: "int64", creation_time: "int64", tags: [KV],
  },
  required: ["experiment_id", "name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time"],
};
const RUN_INFO: Shape = {
  fields: {
    run_id: "string", run_uuid: "string", run_name: "string", experiment_id: "string", user_id: "string",
    status: ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"], start_time: "int64", end_time: "int64",
    artifact_uri: "string", lifecycle_stage: ["active", "deleted"],
  },
  required: ["run_id", "run_uuid", "run_name", "experiment_id", "status", "start_time", "artifact_uri", "lifecycle_stage"],
};
const METRIC: Shape = {
  fields: {
    key: "string", value: "double", timestamp: "int64", step: "int64", run_id: "string",
    model_id: "string", dataset_name: "string", dataset_digest: "string",
  },
  required: ["key", "value", "timestamp", "step"],
};
const DATASET: Shape = {
  fields: { name: "string", digest: "string", source_type: "string", source: "string", schema: "string", profile: "string" },
  required: ["name", "digest", "source_type", "source"],
};
const RUN: Shape = {
  fields: {
    info: RUN_INFO,
    data: { fields: { metrics: [METRIC], params: [KV], tags: [KV] } },
    inputs: {
      fields: {
        dataset_inputs: [{ fields: { tags: [KV], dataset: DATASET }, required: ["dataset"] }],
        model_inputs: [{ fields: { model_id: "string" }, required: ["model_id"] }],
      },
    },
    // MLflow 3.x: on runs read back (get, search).
    outputs: { fields: { model_outputs: [{ fields: { model_id: "string", step: "int64" }, required: ["model_id", "step"] }] } },
  },
  // MLflow 3.x clients expect `inputs` on every run.
  required: ["info", "data", "inputs"],
};

/** Asserts that `value` would parse into the proto message described by `shape` (as `ParseDict` does). */
function assertShape(value: unknown, shape: Shape, path = "$"): void {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `${path} is an object`);
  const obj = value as Record<string, unknown>;
  for (const key of shape.required ?? []) assert.ok(key in obj, `${path}.${key} is present`);
  for (const [key, v] of Object.entries(obj)) {
    const type = shape.fields[key];
    assert.ok(type !== undefined, `${path}.${key} is a field of the message`);
    const at = `${path}.${key}`;
    if (type === "string") assert.equal(typeof v, "string", `${at} is a string`);
    else if (type === "int64") assert.ok(Number.isSafeInteger(v), `${at} is an integer: ${String(v)}`);
    else if (type === "bool") assert.equal(typeof v, "boolean", at);
    else if (type === "double") {
      assert.ok(typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity", `${at} is a double: ${String(v)}`);
    } else if (Array.isArray(type) && typeof type[0] === "string") {
      assert.ok((type as readonly unknown[]).includes(v), `${at}=${String(v)} is an enum name`);
    } else if (Array.isArray(type)) {
      assert.ok(Array.isArray(v) && v.length > 0, `${at} is a non-empty list (empty lists are omitted)`);
      v.forEach((item, i) => assertShape(item, type[0] as Shape, `${at}[${i}]`));
    } else assertShape(v, type as Shape, at);
  }
}

const sortByKey = <T extends { key: string }>(list: T[]) => [...list].sort((a, b) => a.key.localeCompare(b.key));

describe("MLflow Python client flows", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => {
    await fx.close();
  });

  /** `mlflow.set_experiment(name)`: get-by-name → 404 → create → get (2.10.2 and 3.0.0 alike). */
  const setExperiment = async (name: string): Promise<string> => {
    assertError(await fx.get("/experiments/get-by-name", { experiment_name: name }), 404, "RESOURCE_DOES_NOT_EXIST", `Could not find experiment with name '${name}'`);
    const created = await fx.post("/experiments/create", { name });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(Object.keys(created.json), ["experiment_id"]);
    const got = await fx.get("/experiments/get", { experiment_id: created.json.experiment_id });
    assertShape(got.json.experiment, EXPERIMENT);
    assert.equal(got.json.experiment.lifecycle_stage, "active"); // set_experiment refuses deleted experiments
    return created.json.experiment_id;
  };

  /** `mlflow.start_run(run_name=…)`: runs/create with the four system tags. */
  const startRun = async (experimentId: string, runName: string) => {
    const startTime = 1_717_000_000_000;
    const r = await fx.post("/runs/create", {
      experiment_id: experimentId,
      user_id: "alice",
      run_name: runName,
      start_time: startTime,
      tags: [
        { key: "mlflow.user", value: "alice" },
        { key: "mlflow.source.name", value: "train.py" },
        { key: "mlflow.source.type", value: "LOCAL" },
        { key: "mlflow.runName", value: runName },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assertShape(r.json.run, RUN);
    const info = r.json.run.info;
    assert.equal(info.run_name, runName);
    assert.equal(info.status, "RUNNING");
    assert.equal(info.start_time, startTime);
    assert.equal(info.artifact_uri, `mlflow-artifacts:/${experimentId}/${info.run_id}/artifacts`);
    assert.deepEqual(r.json.run.inputs, {});
    return info.run_id as string;
  };

  const getRun = async (runId: string) => {
    const r = await fx.get("/runs/get", `run_uuid=${runId}&run_id=${runId}`);
    assert.equal(r.status, 200, r.text);
    assertShape(r.json.run, RUN);
    return r.json.run;
  };

  test("2.10.2: set_experiment on a new name, then on the existing one", async () => {
    const id = await setExperiment("flows-set-experiment");
    const again = await fx.get("/experiments/get-by-name", { experiment_name: "flows-set-experiment" });
    assert.equal(again.status, 200);
    assert.equal(again.json.experiment.experiment_id, id);
  });

  test("2.10.2: get_experiment / get_experiment_by_name / set_experiment_tag / missing name", async () => {
    const id = await setExperiment("flows-get-experiment");
    for (let i = 0; i < 2; i++) assertShape((await fx.get("/experiments/get", { experiment_id: id })).json.experiment, EXPERIMENT);
    assert.equal((await fx.get("/experiments/get-by-name", { experiment_name: "flows-get-experiment" })).json.experiment.experiment_id, id);
    assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: id, key: "team", value: "search" }));
    const tagged = (await fx.get("/experiments/get", { experiment_id: id })).json.experiment;
    assert.deepEqual(tagged.tags, [{ key: "team", value: "search" }]);
    // get_experiment_by_name of a missing name: the client turns this 404 into None.
    assertError(await fx.get("/experiments/get-by-name", { experiment_name: "flows-missing" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("2.10.2: search_experiments with the client's body, paged", async () => {
    for (let i = 0; i < 3; i++) await fx.createExperiment(`flows-search-exp-${i}`);
    const body = { max_results: 2, filter: "name LIKE 'flows-search-exp-%'", view_type: "ACTIVE_ONLY", order_by: ["name ASC"] };
    const first = await fx.post("/experiments/search", body);
    assert.equal(first.status, 200, first.text);
    first.json.experiments.forEach((e: unknown) => assertShape(e, EXPERIMENT));
    assert.equal(typeof first.json.next_page_token, "string");
    const second = await fx.post("/experiments/search", { ...body, page_token: first.json.next_page_token });
    const names = [...first.json.experiments, ...second.json.experiments].map((e: { name: string }) => e.name);
    assert.deepEqual(names, ["flows-search-exp-0", "flows-search-exp-1", "flows-search-exp-2"]);
    assert.equal(second.json.next_page_token, undefined);
  });

  test("2.10.2: start_run, log_param, log_params/log_metrics/set_tags via log-batch, log_metric ×6, set_tag, log_input, get_run, get_metric_history, delete_tag, end_run", async () => {
    const exp = await setExperiment("flows-fluent");
    const run = await startRun(exp, "fluent-run");
    const ids = { run_uuid: run, run_id: run };
    assertEmptyOk(await fx.post("/runs/log-parameter", { ...ids, key: "alpha", value: "0.5" }));
    assertEmptyOk(await fx.post("/runs/log-batch", { run_id: run, params: [{ key: "l1_ratio", value: "0.1" }, { key: "solver", value: "saga" }] }));
    assertEmptyOk(
      await fx.post("/runs/log-batch", {
        run_id: run,
        metrics: [
          { key: "rmse", value: 0.8, timestamp: 1_717_000_000_100, step: 0 },
          { key: "r2", value: 0.4, timestamp: 1_717_000_000_100, step: 0 },
        ],
      }),
    );
    assertEmptyOk(await fx.post("/runs/log-batch", { run_id: run, tags: [{ key: "stage", value: "dev" }, { key: "owner", value: "alice" }] }));
    // log_metric("loss", v, step=i): two step-0 points at different timestamps are both kept.
    const losses = [1.0, 0.9, 0.7, 0.6, 0.55, 0.5];
    for (const [i, value] of losses.entries()) {
      const step = i === 0 ? 0 : i - 1;
      assertEmptyOk(await fx.post("/runs/log-metric", { ...ids, key: "loss", value, timestamp: 1_717_000_001_000 + i, step }));
    }
    assertEmptyOk(await fx.post("/runs/set-tag", { ...ids, key: "mlflow.note.content", value: "first try" }));
    assertEmptyOk(
      await fx.post("/runs/log-inputs", {
        run_id: run,
        datasets: [
          {
            tags: [{ key: "mlflow.data.context", value: "training" }],
            dataset: {
              name: "wine",
              digest: "3f1c2d9e",
              source_type: "local",
              source: '{"uri": "/data/wine.csv"}',
              schema: '{"mlflow_colspec": [{"type": "double", "name": "alcohol"}]}',
              profile: '{"num_rows": 178, "num_elements": 2314}',
            },
          },
        ],
      }),
    );

    const got = await getRun(run);
    assert.deepEqual(sortByKey(got.data.params), [
      { key: "alpha", value: "0.5" },
      { key: "l1_ratio", value: "0.1" },
      { key: "solver", value: "saga" },
    ]);
    assert.deepEqual(
      Object.fromEntries(got.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value])),
      { loss: 0.5, r2: 0.4, rmse: 0.8 },
    );
    const tagKeys = got.data.tags.map((t: { key: string }) => t.key).sort();
    assert.deepEqual(tagKeys, ["mlflow.note.content", "mlflow.runName", "mlflow.source.name", "mlflow.source.type", "mlflow.user", "owner", "stage"]);
    assert.equal(got.inputs.dataset_inputs[0].dataset.name, "wine");
    assert.deepEqual(got.inputs.dataset_inputs[0].tags, [{ key: "mlflow.data.context", value: "training" }]);

    const history = await fx.get("/metrics/get-history", { run_id: run, run_uuid: run, metric_key: "loss", max_results: 25000 });
    assert.equal(history.status, 200, history.text);
    history.json.metrics.forEach((m: unknown) => assertShape(m, METRIC));
    assert.deepEqual(history.json.metrics.map((m: { step: number; value: number }) => [m.step, m.value]), [[0, 1.0], [0, 0.9], [1, 0.7], [2, 0.6], [3, 0.55], [4, 0.5]]);
    assert.equal(history.json.next_page_token, undefined);

    assertEmptyOk(await fx.post("/runs/delete-tag", { run_id: run, key: "stage" }));
    const endTime = 1_717_000_009_999;
    const ended = await fx.post("/runs/update", { ...ids, status: "FINISHED", end_time: endTime });
    assertShape(ended.json.run_info, RUN_INFO);
    const final = await getRun(run);
    assert.equal(final.info.status, "FINISHED");
    assert.equal(final.info.end_time, endTime);
    assert.equal(final.data.tags.some((t: { key: string }) => t.key === "stage"), false);
  });

  test("2.10.2: logging an identical metric twice succeeds and keeps one point", async () => {
    const run = await startRun(await setExperiment("flows-dedupe"), "dedupe");
    const point = { run_uuid: run, run_id: run, key: "acc", value: 0.9, timestamp: 1_717_000_000_500, step: 3 };
    assertEmptyOk(await fx.post("/runs/log-metric", point));
    assertEmptyOk(await fx.post("/runs/log-metric", point));
    const history = await fx.get("/metrics/get-history", { run_id: run, run_uuid: run, metric_key: "acc", max_results: 25000 });
    assert.equal(history.json.metrics.length, 1);
  });

  test("2.10.2: client.create_run / log_param / log_metric / get_run / update_run / set_terminated", async () => {
    const exp = await setExperiment("flows-client");
    const created = await fx.post("/runs/create", { experiment_id: exp, user_id: "bob", start_time: 1_717_000_000_000, tags: [] });
    const run = created.json.run.info.run_id;
    assert.match(created.json.run.info.run_name, /.+/, "a name is generated");
    assertEmptyOk(await fx.post("/runs/log-parameter", { run_uuid: run, run_id: run, key: "k", value: "v" }));
    assertEmptyOk(await fx.post("/runs/log-metric", { run_uuid: run, run_id: run, key: "m", value: 1.5, timestamp: 1_717_000_000_001, step: 0 }));
    await getRun(run);
    const renamed = await fx.post("/runs/update", { run_uuid: run, run_id: run, status: "RUNNING", run_name: "renamed-by-client" });
    assert.equal(renamed.json.run_info.run_name, "renamed-by-client");
    const killed = await fx.post("/runs/update", { run_uuid: run, run_id: run, status: "KILLED", end_time: 1_717_000_000_900 });
    assert.equal(killed.json.run_info.status, "KILLED");
    assert.equal(killed.json.run_info.end_time, 1_717_000_000_900);
  });

  test("2.10.2: client.log_batch and log_model (runs/log-model appends to mlflow.log-model.history)", async () => {
    const run = await startRun(await setExperiment("flows-batch"), "batch");
    assertEmptyOk(
      await fx.post("/runs/log-batch", {
        run_id: run,
        metrics: [{ key: "x", value: "NaN", timestamp: 1, step: 0 }],
        params: [{ key: "p", value: "1" }],
        tags: [{ key: "t", value: "2" }],
      }),
    );
    const model = {
      run_id: run,
      artifact_path: "model",
      utc_time_created: "2024-06-01 00:00:00.000000",
      flavors: { sklearn: { pickled_model: "model.pkl", sklearn_version: "1.4.0" }, python_function: { loader_module: "mlflow.sklearn" } },
      model_uuid: "0a1b2c3d",
    };
    assertEmptyOk(await fx.post("/runs/log-model", { run_id: run, model_json: JSON.stringify(model) }));
    const got = await getRun(run);
    assert.deepEqual(got.data.metrics, [{ key: "x", value: "NaN", timestamp: 1, step: 0 }]);
    const history = got.data.tags.find((t: { key: string }) => t.key === "mlflow.log-model.history");
    assert.deepEqual(JSON.parse(history.value), [model]);
  });

  test("2.10.2: mlflow.search_runs body shape, with paging until next_page_token is gone", async () => {
    const exp = await setExperiment("flows-search-runs");
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await startRun(exp, `sr-${i}`);
      runs.push(run);
      await fx.post("/runs/log-batch", { run_id: run, metrics: [{ key: "score", value: i, timestamp: 1, step: 0 }], params: [{ key: "group", value: "a" }] });
    }
    const body = { experiment_ids: [exp], run_view_type: "ACTIVE_ONLY", filter: "metrics.score >= 1 AND params.group = 'a'", max_results: 2, order_by: ["metrics.score DESC"] };
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const r = await fx.post("/runs/search", token ? { ...body, page_token: token } : body);
      assert.equal(r.status, 200, r.text);
      r.json.runs.forEach((run: unknown) => assertShape(run, RUN));
      seen.push(...r.json.runs.map((run: { info: { run_name: string } }) => run.info.run_name));
      token = r.json.next_page_token;
      calls++;
    } while (token && calls < 10);
    assert.deepEqual(seen, ["sr-4", "sr-3", "sr-2", "sr-1"]);
    assert.equal(calls, 2);
  });

  test("2.10.2: delete/restore run and experiment, rename through experiments/update", async () => {
    const exp = await setExperiment("flows-lifecycle");
    const run = await startRun(exp, "doomed");
    assertEmptyOk(await fx.post("/runs/delete", { run_id: run }));
    assert.equal((await getRun(run)).info.lifecycle_stage, "deleted");
    assertEmptyOk(await fx.post("/runs/restore", { run_id: run }));

    const other = await fx.post("/experiments/create", { name: "flows-lifecycle-2" });
    const otherId = other.json.experiment_id;
    assertEmptyOk(await fx.post("/experiments/update", { experiment_id: otherId, new_name: "flows-lifecycle-2-renamed" }));
    assertEmptyOk(await fx.post("/experiments/delete", { experiment_id: otherId }));
    const deleted = (await fx.get("/experiments/get", { experiment_id: otherId })).json.experiment;
    assertShape(deleted, EXPERIMENT);
    assert.equal(deleted.name, "flows-lifecycle-2-renamed");
    assert.equal(deleted.lifecycle_stage, "deleted");
    assertEmptyOk(await fx.post("/experiments/restore", { experiment_id: otherId }));
    assert.equal((await fx.get("/experiments/get", { experiment_id: otherId })).json.experiment.lifecycle_stage, "active");
  });

  test("2.10.2: get_run of a bogus id is a 404 the client raises as RESOURCE_DOES_NOT_EXIST", async () => {
    assertError(await fx.get("/runs/get", "run_uuid=bogus&run_id=bogus"), 404, "RESOURCE_DOES_NOT_EXIST", "Run with id=bogus not found");
  });

  describe("3.0.0", () => {
    test("log_metric: 2× runs/get, then log-metric carrying model_id at the model's step", async () => {
      const run = await startRun(await setExperiment("flows-3x-metric"), "three");
      const modelId = "m-0123456789abcdef0123456789abcdef";
      // _log_inputs_for_metrics_if_necessary, then _get_model_ids_for_new_metric_if_exist.
      for (let i = 0; i < 2; i++) await getRun(run);
      assertEmptyOk(await fx.post("/runs/log-metric", { run_uuid: run, run_id: run, key: "acc", value: 0.7, timestamp: 1_717_000_000_000, step: 0, model_id: modelId }));
      for (let i = 0; i < 2; i++) await getRun(run);
      assertEmptyOk(await fx.post("/runs/log-metric", { run_uuid: run, run_id: run, key: "acc", value: 0.8, timestamp: 1_717_000_000_100, step: 1 }));
      const history = await fx.get("/metrics/get-history", { run_id: run, run_uuid: run, metric_key: "acc", max_results: 25000 });
      history.json.metrics.forEach((m: unknown) => assertShape(m, METRIC));
      assert.deepEqual(history.json.metrics, [
        { key: "acc", value: 0.7, timestamp: 1_717_000_000_000, step: 0, model_id: modelId },
        { key: "acc", value: 0.8, timestamp: 1_717_000_000_100, step: 1 },
      ]);
    });

    test("log_metrics: 2× runs/get, then log-batch whose metrics carry run_id (and model_id)", async () => {
      const run = await startRun(await setExperiment("flows-3x-metrics"), "three-batch");
      for (let i = 0; i < 2; i++) await getRun(run);
      assertEmptyOk(
        await fx.post("/runs/log-batch", {
          run_id: run,
          metrics: [
            { key: "f1", value: 0.61, timestamp: 1_717_000_000_000, step: 0, run_id: run },
            { key: "auc", value: "Infinity", timestamp: 1_717_000_000_000, step: 0, run_id: run, model_id: "m-1" },
          ],
        }),
      );
      const got = await getRun(run);
      assert.deepEqual(sortByKey(got.data.metrics), [
        { key: "auc", value: "Infinity", timestamp: 1_717_000_000_000, step: 0 },
        { key: "f1", value: 0.61, timestamp: 1_717_000_000_000, step: 0 },
      ]);
    });

    test("end_run: runs/get, then runs/update with both ids", async () => {
      const run = await startRun(await setExperiment("flows-3x-end"), "three-end");
      await getRun(run);
      const r = await fx.post("/runs/update", { run_uuid: run, run_id: run, status: "FINISHED", end_time: 1_717_000_001_000 });
      assert.equal(r.status, 200, r.text);
      assertShape(r.json.run_info, RUN_INFO);
      assert.equal(r.json.run_info.status, "FINISHED");
    });
  });
});
