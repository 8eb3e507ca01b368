/**
 * Replays, request by request, what MLflow 3.0.0's Python client sends to log,
 * register, find and load a model through logged models (research/
 * mlflow-wire-notes.md, "MLflow 3.0.0 client wire details"), artifact uploads
 * and downloads included, against the app `ciclo server` builds: tracking,
 * registry, logged models and the proxied artifact store on real SQLite and a
 * real folder.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";
import { openTestApp, ok, type TestApp, assertEmptyOk, assertError, LOGGED_MODEL_TABLES } from "../testing/test-app.js";
import { createTestDatabase, postgresUnavailable } from "../testing/postgres-fixture.js";

const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
/** What `mlflow.sklearn.log_model(..., input_example=...)` writes, in the order the client uploads it. */
const MODEL_FILES: Array<[string, string]> = [
  ["requirements.txt", "mlflow==3.0.0\nscikit-learn==1.5.0\n"],
  ["MLmodel", "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"],
  ["python_env.yaml", "python: 3.11.9\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"],
  ["serving_input_example.json", '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}'],
  ["conda.yaml", "name: mlflow-env\nchannels:\n- conda-forge\n"],
  ["input_example.json", '{"columns": ["x"], "data": [[1.0]]}'],
  ["model.pkl", "\u0080\u0004\u0095 pickled bytes \u0000\u00ff"],
];

/** The flows on one backend; `open` resolves undefined when the backend is unavailable (tests skip). */
function flows(backend: string, open: () => Promise<TestApp | undefined>): void {
  describe(`MLflow 3.0.0 client on ${backend}: log_model, register, search and load through logged models`, () => {
    let fx: TestApp;
    let up = false;
    before(async () => {
      const app = await open();
      if (app) [fx, up] = [app, true];
    });
    after(async () => {
      if (up) await fx.close();
    });
    const test = (title: string, fn: () => Promise<void>) =>
      nodeTest(title, async (t) => {
        if (!up) return t.skip(`${backend} unavailable`);
        await fn();
      });

    const getRun = async (runId: string) => ok(await fx.call("GET", "/runs/get", undefined, { query: { run_uuid: runId, run_id: runId } })).run;
    const getModel = async (modelId: string) => ok(await fx.call("GET", `/logged-models/${modelId}`)).model;

    /** set_experiment + start_run + log_param + log_metric (before any model exists). */
    const startTraining = async (experimentName: string) => {
      assertError(await fx.call("GET", "/experiments/get-by-name", undefined, { query: { experiment_name: experimentName } }), 404, "RESOURCE_DOES_NOT_EXIST");
      const exp = ok(await fx.call("POST", "/experiments/create", { name: experimentName })).experiment_id as string;
      ok(await fx.call("GET", "/experiments/get", undefined, { query: { experiment_id: exp } }));
      const tags = [
        { key: "mlflow.user", value: "alice" },
        { key: "mlflow.source.name", value: "train.py" },
        { key: "mlflow.source.type", value: "LOCAL" },
        { key: "mlflow.runName", value: "train" },
      ];
      const created = ok(await fx.call("POST", "/runs/create", { experiment_id: exp, user_id: "alice", run_name: "train", start_time: 1_717_000_000_000, tags })).run;
      assert.deepEqual(created.inputs, {});
      const run = created.info.run_id as string;
      assertEmptyOk(await fx.call("POST", "/runs/log-parameter", { run_uuid: run, run_id: run, key: "alpha", value: "0.5" }));
      for (let i = 0; i < 2; i++) assert.equal((await getRun(run)).outputs.model_outputs, undefined);
      assertEmptyOk(await fx.call("POST", "/runs/log-metric", { run_uuid: run, run_id: run, key: "rmse", value: 0.8, timestamp: 1_717_000_000_100, step: 0 }));
      return { exp, run };
    };

    /** `mlflow.sklearn.log_model(model, name="model", registered_model_name=name)`, steps 1–10 of the capture. */
    const logModel = async (exp: string, run: string, registeredName: string) => {
      // 1. The run's params and tags, copied onto the model.
      const r = await getRun(run);
      // 2. POST logged-models.
      const params = r.data.params;
      const tags = r.data.tags.filter((t: { key: string }) => ["mlflow.user", "mlflow.source.name", "mlflow.source.type"].includes(t.key));
      const created = ok(await fx.call("POST", "/logged-models", { experiment_id: exp, name: "model", source_run_id: run, params, tags })).model;
      const id = created.info.model_id as string;
      assert.equal(created.info.status, "LOGGED_MODEL_PENDING");
      assert.equal(created.info.artifact_uri, `mlflow-artifacts:/${exp}/models/${id}/artifacts`);
      assert.equal(created.info.model_type, "");
      assert.deepEqual(created.data.params, params);
      // 3. The run's output.
      assertEmptyOk(await fx.call("POST", "/runs/outputs", { run_id: run, models: [{ model_id: id, step: 0 }] }));
      // 4. Step-0 points without a model_id are re-logged with it.
      const now = await getRun(run);
      assert.deepEqual(now.outputs, { model_outputs: [{ model_id: id, step: 0 }] });
      const relog = [];
      for (const m of now.data.metrics) {
        const history = ok(await fx.call("GET", "/metrics/get-history", undefined, { query: { run_id: run, run_uuid: run, metric_key: m.key, max_results: 25000 } }));
        for (const p of history.metrics) if (p.step === 0 && !p.model_id) relog.push({ ...p, run_id: run, model_id: id });
      }
      assert.equal(relog.length, 1);
      assertEmptyOk(await fx.call("POST", "/runs/log-batch", { run_id: run, metrics: relog }));
      // 5. Where to upload.
      const artifactUri = (await getModel(id)).info.artifact_uri as string;
      const dest = artifactUri.replace(/^mlflow-artifacts:\//, "");
      // 6. The model files, raw PUT bodies.
      for (const [name, body] of MODEL_FILES) {
        const type = name.endsWith(".json") ? "application/json" : name.endsWith(".pkl") ? "application/octet-stream" : "text/plain";
        const put = await fx.request("PUT", `${ARTIFACTS}/${dest}/${name}`, Buffer.from(body, "latin1"), { "content-type": type });
        assertEmptyOk(put);
      }
      // 7. Finalize.
      const ready = ok(await fx.call("PATCH", `/logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" })).model;
      assert.equal(ready.info.status, "LOGGED_MODEL_READY");
      // 8. The registered model (RESOURCE_ALREADY_EXISTS is tolerated).
      const rm = await fx.call("POST", "/registered-models/create", { name: registeredName });
      if (rm.status !== 200) assertError(rm, 400, "RESOURCE_ALREADY_EXISTS");
      // 9. The version, from the logged model: the server fills run_id.
      const mv = ok(await fx.call("POST", "/model-versions/create", { name: registeredName, source: `models:/${id}`, model_id: id })).model_version;
      assert.equal(mv.source, `models:/${id}`);
      assert.equal(mv.run_id, run);
      assert.equal(mv.status, "READY");
      // 10. The client appends its own entry to mlflow.modelVersions (a duplicate MLflow 3.0.0 keeps).
      let model = await getModel(id);
      model = await getModel(id);
      const current = model.info.tags.find((t: { key: string }) => t.key === "mlflow.modelVersions");
      assert.ok(current, "the server recorded the registration");
      const entries = JSON.parse(current.value) as unknown[];
      assert.deepEqual(entries[entries.length - 1], { name: registeredName, version: Number(mv.version) });
      const withClient = JSON.stringify([...entries, { name: registeredName, version: mv.version }]);
      assertEmptyOk(await fx.call("PATCH", `/logged-models/${id}/tags`, { tags: [{ key: "mlflow.modelVersions", value: withClient }] }));
      return { id, dest, version: mv.version as string };
    };

    /** Lists a proxied folder recursively and downloads every file, as `load_model` does. */
    const download = async (dir: string): Promise<Map<string, Buffer>> => {
      const out = new Map<string, Buffer>();
      const walk = async (sub: string) => {
        const listed = ok(await fx.request("GET", `${ARTIFACTS}?path=${encodeURIComponent(sub ? `${dir}/${sub}` : dir)}`));
        for (const f of listed.files ?? []) {
          const rel = sub ? `${sub}/${f.path}` : f.path;
          if (f.is_dir) await walk(rel);
          else {
            const got = await fx.request("GET", `${ARTIFACTS}/${dir}/${rel}`);
            assert.equal(got.status, 200, got.text);
            out.set(rel, got.raw);
          }
        }
      };
      await walk("");
      return out;
    };
    const expectModelFiles = (files: Map<string, Buffer>) => {
      assert.deepEqual([...files.keys()].sort(), MODEL_FILES.map(([n]) => n).sort());
      for (const [name, body] of MODEL_FILES) assert.deepEqual(files.get(name), Buffer.from(body, "latin1"), name);
    };

    test("log_model(registered_model_name=...), log_metric after it, end_run", async () => {
      const { exp, run } = await startTraining("mlflow3-flows");
      const { id, dest, version } = await logModel(exp, run, "clf");
      assert.equal(version, "1");
      // The files landed under <experiment artifact location>/models/<model_id>/artifacts.
      assert.equal(readFileSync(join(fx.artifactsDir, exp, "models", id, "artifacts", "MLmodel"), "utf8"), MODEL_FILES[1][1]);
      assert.equal(dest, `${exp}/models/${id}/artifacts`);
      // log_metric at the model's step: 2× runs/get find the output, and the point carries model_id.
      for (let i = 0; i < 2; i++) assert.deepEqual((await getRun(run)).outputs.model_outputs, [{ model_id: id, step: 0 }]);
      assertEmptyOk(await fx.call("POST", "/runs/log-metric", { run_uuid: run, run_id: run, key: "acc", value: 0.7, timestamp: 1_717_000_000_200, step: 0, model_id: id }));
      // end_run.
      await getRun(run);
      assert.equal(ok(await fx.call("POST", "/runs/update", { run_uuid: run, run_id: run, status: "FINISHED", end_time: 1_717_000_001_000 })).run_info.status, "FINISHED");

      // client.get_logged_model: metrics carry model_id and run_id; tags include both registrations.
      const model = await getModel(id);
      assert.deepEqual(model.data.metrics, [
        { key: "acc", value: 0.7, timestamp: 1_717_000_000_200, step: 0, model_id: id, run_id: run },
        { key: "rmse", value: 0.8, timestamp: 1_717_000_000_100, step: 0, model_id: id, run_id: run },
      ]);
      assert.deepEqual(model.data.params, [{ key: "alpha", value: "0.5" }]);
      const versionsTag = model.info.tags.find((t: { key: string }) => t.key === "mlflow.modelVersions").value;
      assert.deepEqual(JSON.parse(versionsTag), [{ name: "clf", version: 1 }, { name: "clf", version: "1" }]);

      // search_logged_models(experiment_ids=[exp]) and with a filter and order_by.
      const all = ok(await fx.call("POST", "/logged-models/search", { experiment_ids: [exp] }));
      assert.deepEqual(all.models.map((m: { info: { model_id: string } }) => m.info.model_id), [id]);
      const filtered = ok(
        await fx.call("POST", "/logged-models/search", {
          experiment_ids: [exp],
          filter: "metrics.rmse < 0.9 AND params.alpha = '0.5'",
          order_by: [{ field_name: "creation_timestamp", ascending: false }],
          max_results: 10,
        }),
      );
      assert.equal(filtered.models[0].info.model_id, id);
      assert.deepEqual(ok(await fx.call("POST", "/logged-models/search", { experiment_ids: [exp], filter: "metrics.rmse > 0.9" })), {});

      // The logged model's artifacts, through the logged-model routes too.
      const listed = ok(await fx.call("GET", `/logged-models/${id}/artifacts/directories`));
      assert.equal(listed.root_uri, `mlflow-artifacts:/${dest}`);
      assert.deepEqual(
        listed.files.map((f: { path: string }) => f.path).sort(),
        MODEL_FILES.map(([n]) => n).sort(),
      );
      const file = await fx.request("GET", `/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files?artifact_file_path=MLmodel`);
      assert.equal(file.status, 200);
      assert.equal(file.text, MODEL_FILES[1][1]);
    });

    test("pyfunc.load_model('models:/<model_id>'), load_model('models:/<name>@alias') and register_model('models:/<id>')", async () => {
      const { exp, run } = await startTraining("mlflow3-load");
      const { id, dest } = await logModel(exp, run, "loader");

      // models:/<model_id>: GET logged-models/M, then list and download from its artifact_uri.
      const uri = (await getModel(id)).info.artifact_uri as string;
      expectModelFiles(await download(uri.replace(/^mlflow-artifacts:\//, "")));

      // models:/loader@champion: alias → version whose source is models:/M → get-download-uri → the model's artifacts.
      ok(await fx.call("GET", "/registered-models/get", undefined, { query: { name: "loader" } }));
      assertEmptyOk(await fx.call("POST", "/registered-models/alias", { name: "loader", alias: "champion", version: "1" }));
      const byAlias = ok(await fx.call("GET", "/registered-models/alias", undefined, { query: { name: "loader", alias: "champion" } })).model_version;
      assert.equal(byAlias.source, `models:/${id}`);
      assert.deepEqual(byAlias.aliases, ["champion"]);
      ok(await fx.call("GET", "/registered-models/get", undefined, { query: { name: "loader" } }));
      const downloadUri = ok(await fx.call("GET", "/model-versions/get-download-uri", undefined, { query: { name: "loader", version: "1" } })).artifact_uri;
      assert.equal(downloadUri, `mlflow-artifacts:/${dest}`);
      expectModelFiles(await download(dest));

      // register_model("models:/M", "loader"): steps 8–10 again make version 2 and a third registration entry.
      assertError(await fx.call("POST", "/registered-models/create", { name: "loader" }), 400, "RESOURCE_ALREADY_EXISTS");
      const v2 = ok(await fx.call("POST", "/model-versions/create", { name: "loader", source: `models:/${id}`, model_id: id })).model_version;
      assert.equal(v2.version, "2");
      assert.equal(v2.run_id, run);
      const tag = (await getModel(id)).info.tags.find((t: { key: string }) => t.key === "mlflow.modelVersions").value;
      assert.deepEqual(JSON.parse(tag), [{ name: "loader", version: 1 }, { name: "loader", version: "1" }, { name: "loader", version: 2 }]);
    });

    test("bad references in the flow are refused and change nothing", async () => {
      const { exp, run } = await startTraining("mlflow3-bad");
      const before = await fx.snapshot(LOGGED_MODEL_TABLES);
      assertError(await fx.call("GET", "/logged-models/m-bogus"), 404, "RESOURCE_DOES_NOT_EXIST", "Logged model with ID 'm-bogus' not found.");
      assertError(await fx.call("POST", "/runs/outputs", { run_id: run, models: [{ model_id: "m-bogus", step: 0 }] }), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.call("PATCH", "/logged-models/m-bogus", { model_id: "m-bogus", status: "LOGGED_MODEL_READY" }), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.call("POST", "/logged-models", { name: "model", source_run_id: run }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'experiment_id'/);
      assertError(await fx.call("GET", "/logged-models/m-bogus/artifacts/directories"), 404, "RESOURCE_DOES_NOT_EXIST");
      assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), before);
      // A version from a logged model that does not exist is refused (MLflow answers 500 here; ciclo a 4xx).
      await fx.call("POST", "/registered-models/create", { name: "bad-source" });
      const after = await fx.snapshot(LOGGED_MODEL_TABLES);
      const mv = await fx.call("POST", "/model-versions/create", { name: "bad-source", source: "models:/m-bogus", model_id: "m-bogus" });
      assert.ok(mv.status >= 400 && mv.status < 500, mv.text);
      assert.deepEqual(await fx.snapshot(LOGGED_MODEL_TABLES), after);
      assert.ok(exp);
    });
  });
}

flows("SQLite", () => openTestApp());
flows("PostgreSQL", async () => {
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  return openTestApp({ backend: db.uri, onClose: () => db.drop() });
});
