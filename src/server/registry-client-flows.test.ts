/**
 * Replays, request by request, what MLflow's Python clients (2.10.2 and
 * 3.0.0) send for the registry flows recorded in research/mlflow-wire-notes.md,
 * on SQLite and PostgreSQL, and checks every response parses into MLflow's
 * registry protos the way the client reads them: string versions, int64
 * millisecond timestamps, enum names, aliases as MLflow returns them.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { backendTests } from "../testing/backend-tests.js";
import { createTestDatabase, postgresUnavailable } from "../testing/postgres-fixture.js";
import { openTestApp, type TestApp, assertEmptyOk, assertError } from "../testing/test-app.js";

type FieldType = "string" | "int64" | "string[]" | readonly string[] | Shape | [Shape];
interface Shape {
  fields: Record<string, FieldType>;
  required?: string[];
}
const KV: Shape = { fields: { key: "string", value: "string" }, required: ["key", "value"] };
const MODEL_VERSION: Shape = {
  fields: {
    name: "string", version: "string", creation_timestamp: "int64", last_updated_timestamp: "int64", user_id: "string",
    current_stage: ["None", "Staging", "Production", "Archived"], description: "string", source: "string", run_id: "string",
    status: ["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"], status_message: "string", tags: [KV], run_link: "string",
    aliases: "string[]", model_id: "string",
  },
  required: ["name", "version", "creation_timestamp", "current_stage", "source", "status"],
};
const REGISTERED_MODEL: Shape = {
  fields: {
    name: "string", creation_timestamp: "int64", last_updated_timestamp: "int64", user_id: "string", description: "string",
    latest_versions: [MODEL_VERSION], tags: [KV], aliases: [{ fields: { alias: "string", version: "string" }, required: ["alias", "version"] }],
  },
  required: ["name", "creation_timestamp"],
};

/** Asserts that `value` would parse into the proto message `shape` describes (as `ParseDict` does). */
function assertShape(value: unknown, shape: Shape, path = "$"): void {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `${path} is an object`);
  const obj = value as Record<string, unknown>;
  for (const key of shape.required ?? []) assert.ok(key in obj, `${path}.${key} is present`);
  for (const [key, v] of Object.entries(obj)) {
    const type = shape.fields[key];
    const at = `${path}.${key}`;
    assert.ok(type !== undefined, `${at} is a field of the message`);
    if (type === "string") assert.equal(typeof v, "string", `${at} is a string`);
    else if (type === "int64") assert.ok(Number.isSafeInteger(v), `${at} is an integer`);
    else if (type === "string[]") assert.ok(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string"), `${at} is a non-empty string list`);
    else if (Array.isArray(type) && typeof type[0] === "string") assert.ok((type as readonly unknown[]).includes(v), `${at}=${String(v)} is an enum name`);
    else if (Array.isArray(type)) {
      assert.ok(Array.isArray(v) && v.length > 0, `${at} is a non-empty list (empty lists are omitted)`);
      v.forEach((item, i) => assertShape(item, type[0] as Shape, `${at}[${i}]`));
    } else assertShape(v, type as Shape, at);
  }
}

function runFlows(backend: string, open: () => Promise<TestApp | undefined>): void {
  describe(`MLflow Python client registry flows (${backend})`, () => {
    const it = backendTests({ open, close: (f) => f.close() });

    /** A finished run with a logged model in the proxied store, as `mlflow.sklearn.log_model` leaves it (2.x). */
    const runWithModel = async (f: TestApp) => {
      const { experimentId, runId, artifactUri } = await f.createRunInfo();
      for (const file of ["MLmodel", "model.pkl", "conda.yaml", "python_env.yaml", "requirements.txt"]) {
        const r = await f.app.inject({
          method: "PUT",
          url: `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/${file}`,
          payload: `${file} of ${runId}`,
          headers: { "content-type": "application/octet-stream" },
        });
        assert.equal(r.statusCode, 200, r.body);
      }
      return { experimentId, runId, source: `${artifactUri}/model` };
    };

    it("2.10.2: create_registered_model, create_model_version, register_model on an existing name", async (f) => {
      const { runId, source } = await runWithModel(f);
      const created = await f.call("POST", "/registered-models/create", { name: "flows-sk" });
      assert.equal(created.status, 200, created.text);
      assertShape(created.json.registered_model, REGISTERED_MODEL);
      const v1 = await f.call("POST", "/model-versions/create", { name: "flows-sk", source, run_id: runId });
      assertShape(v1.json.model_version, MODEL_VERSION);
      assert.equal(v1.json.model_version.status, "READY"); // no polling needed
      // register_model: the 400 on an existing name is caught and registration goes on.
      assertError(await f.call("POST", "/registered-models/create", { name: "flows-sk" }), 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=flows-sk) already exists.");
      assert.equal((await f.request("GET", `/api/2.0/mlflow/runs/get?run_uuid=${runId}&run_id=${runId}`)).status, 200);
      const v2 = await f.call("POST", "/model-versions/create", { name: "flows-sk", source, run_id: runId });
      assert.equal(v2.json.model_version.version, "2");
      const got = await f.call("GET", "/registered-models/get", { name: "flows-sk" });
      assertShape(got.json.registered_model, REGISTERED_MODEL);
      assert.deepEqual(got.json.registered_model.latest_versions.map((v: { version: string }) => v.version), ["2"]);
    });

    it("2.10.2: aliases — set ×2, get by alias, get model, delete", async (f) => {
      assertEmptyOk(await f.call("POST", "/registered-models/alias", { name: "flows-sk", alias: "champion", version: "1" }));
      assertEmptyOk(await f.call("POST", "/registered-models/alias", { name: "flows-sk", alias: "tmp", version: "2" }));
      const byAlias = await f.call("GET", "/registered-models/alias", { name: "flows-sk", alias: "champion" });
      assertShape(byAlias.json.model_version, MODEL_VERSION);
      assert.deepEqual(byAlias.json.model_version.aliases, ["champion"]);
      const model = (await f.call("GET", "/registered-models/get", { name: "flows-sk" })).json.registered_model;
      // The client turns these pairs into {'champion': '1', 'tmp': '2'}.
      assert.deepEqual(model.aliases, [{ alias: "champion", version: "1" }, { alias: "tmp", version: "2" }]);
      assertEmptyOk(await f.call("DELETE", "/registered-models/alias", { name: "flows-sk", alias: "tmp" }));
    });

    it("2.10.2: stages — transition ×2, get_latest_versions", async (f) => {
      const staged = await f.call("POST", "/model-versions/transition-stage", { name: "flows-sk", version: "1", stage: "Staging", archive_existing_versions: false });
      assertShape(staged.json.model_version, MODEL_VERSION);
      await f.call("POST", "/model-versions/transition-stage", { name: "flows-sk", version: "2", stage: "Production", archive_existing_versions: false });
      const latest = await f.call("POST", "/registered-models/get-latest-versions", { name: "flows-sk", stages: ["Staging", "Production"] });
      latest.json.model_versions.forEach((v: unknown) => assertShape(v, MODEL_VERSION));
      assert.deepEqual(latest.json.model_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage]), [
        ["1", "Staging"],
        ["2", "Production"],
      ]);
    });

    it("2.10.2: tags, update, search, get_model_version_download_uri", async (f) => {
      assertEmptyOk(await f.call("POST", "/registered-models/set-tag", { name: "flows-sk", key: "team", value: "fraud" }));
      assertEmptyOk(await f.call("POST", "/model-versions/set-tag", { name: "flows-sk", version: "1", key: "validated", value: "true" }));
      assertEmptyOk(await f.call("DELETE", "/model-versions/delete-tag", { name: "flows-sk", version: "1", key: "validated" }));
      assertShape((await f.call("PATCH", "/registered-models/update", { name: "flows-sk", description: "sklearn model" })).json.registered_model, REGISTERED_MODEL);
      assertShape((await f.call("PATCH", "/model-versions/update", { name: "flows-sk", version: "1", description: "first" })).json.model_version, MODEL_VERSION);
      const models = await f.call("GET", "/registered-models/search", { filter: "name = 'flows-sk'", max_results: 100 });
      models.json.registered_models.forEach((m: unknown) => assertShape(m, REGISTERED_MODEL));
      const versions = await f.call("GET", "/model-versions/search", { filter: "name = 'flows-sk'", max_results: 10000 });
      versions.json.model_versions.forEach((v: unknown) => assertShape(v, MODEL_VERSION));
      assert.deepEqual(versions.json.model_versions.map((v: { version: string }) => v.version).sort(), ["1", "2"]);
      const uri = await f.call("GET", "/model-versions/get-download-uri", { name: "flows-sk", version: "1" });
      assert.deepEqual(Object.keys(uri.json), ["artifact_uri"]);
      assert.match(uri.json.artifact_uri, /^mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts\/model$/);
    });

    it("2.10.2: pyfunc.load_model('models:/name@champion') and models:/name/Staging reach the files", async (f) => {
      const mv = (await f.call("GET", "/registered-models/alias", { name: "flows-sk", alias: "champion" })).json.model_version;
      const staged = (await f.call("POST", "/registered-models/get-latest-versions", { name: "flows-sk", stages: ["Staging"] })).json.model_versions[0];
      for (const version of [mv.version, staged.version]) {
        const uri = (await f.call("GET", "/model-versions/get-download-uri", { name: "flows-sk", version })).json.artifact_uri as string;
        const path = uri.replace(/^mlflow-artifacts:\//, "");
        const listed = await f.request("GET", `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`);
        assert.equal(listed.status, 200, listed.text);
        assert.ok(listed.json.files.some((x: { path: string }) => x.path.endsWith("MLmodel")), listed.text);
        const file = await f.request("GET", `/api/2.0/mlflow-artifacts/artifacts/${path}/MLmodel`);
        assert.equal(file.status, 200);
        assert.match(file.text, /^MLmodel of [0-9a-f]{32}$/);
      }
    });

    it("3.0.0: log_model(registered_model_name=…) through logged models, then load models:/name@alias", async (f) => {
      const { experimentId, runId } = await f.createRunInfo();
      const created = await f.call("POST", "/logged-models", {
        experiment_id: experimentId,
        name: "model",
        source_run_id: runId,
        params: [],
        tags: [{ key: "mlflow.user", value: "alice" }],
      });
      assert.equal(created.status, 200, created.text);
      const m = created.json.model.info;
      assert.equal(m.artifact_uri, `mlflow-artifacts:/${experimentId}/models/${m.model_id}/artifacts`);
      assertEmptyOk(await f.call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: m.model_id, step: 0 }] }));
      f.putArtifact(`${experimentId}/models/${m.model_id}/artifacts/MLmodel`, "3.x model");
      assert.equal((await f.call("PATCH", `/logged-models/${m.model_id}`, { model_id: m.model_id, status: "LOGGED_MODEL_READY" })).status, 200);
      for (const attempt of [0, 1]) {
        const rm = await f.call("POST", "/registered-models/create", { name: "flows-3x" });
        if (attempt === 0) assert.equal(rm.status, 200, rm.text);
        else assertError(rm, 400, "RESOURCE_ALREADY_EXISTS");
        const mv = await f.call("POST", "/model-versions/create", { name: "flows-3x", source: `models:/${m.model_id}`, model_id: m.model_id });
        assert.equal(mv.status, 200, mv.text);
        assertShape(mv.json.model_version, MODEL_VERSION);
        assert.equal(mv.json.model_version.run_id, runId);
        assert.equal(mv.json.model_version.source, `models:/${m.model_id}`);
        assert.equal(mv.json.model_version.status, "READY");
        // The 3.0.0 client then appends its own entry to mlflow.modelVersions (a duplicate, as MLflow tolerates).
        assert.equal((await f.call("GET", `/logged-models/${m.model_id}`)).status, 200);
        const tag = { key: "mlflow.modelVersions", value: JSON.stringify([{ name: "flows-3x", version: attempt + 1 }]) };
        assertEmptyOk(await f.call("PATCH", `/logged-models/${m.model_id}/tags`, { tags: [tag] }));
      }
      // Every registry call of a 3.x client is preceded by the prompt check: GET registered-models/get.
      const prompt = (await f.call("GET", "/registered-models/get", { name: "flows-3x" })).json.registered_model;
      assert.equal(prompt.tags, undefined);
      assertEmptyOk(await f.call("POST", "/registered-models/alias", { name: "flows-3x", alias: "champion", version: "1" }));
      const byAlias = (await f.call("GET", "/registered-models/alias", { name: "flows-3x", alias: "champion" })).json.model_version;
      assert.deepEqual(byAlias.aliases, ["champion"]);
      const uri = (await f.call("GET", "/model-versions/get-download-uri", { name: "flows-3x", version: byAlias.version })).json.artifact_uri;
      assert.equal(uri, m.artifact_uri);
      const file = await f.request("GET", `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/models/${m.model_id}/artifacts/MLmodel`);
      assert.equal(file.text, "3.x model");
    });

    it("3.0.0: search_registered_models appends the prompt clause; prompts stay out", async (f) => {
      await f.call("POST", "/registered-models/create", { name: "flows-prompt", tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] });
      const r = await f.call("GET", "/registered-models/search", { filter: "name LIKE 'flows-%' AND tag.`mlflow.prompt.is_prompt` != 'true'", max_results: 100 });
      assert.equal(r.status, 200, r.text);
      const names = r.json.registered_models.map((m: { name: string }) => m.name);
      assert.deepEqual(names, ["flows-3x", "flows-sk"]);
      const plain = await f.call("GET", "/registered-models/search", { filter: "tag.`mlflow.prompt.is_prompt` != 'true'", max_results: 100 });
      assert.ok(!plain.json.registered_models.some((m: { name: string }) => m.name === "flows-prompt"));
    });

    it("2.10.2: delete model version, delete registered model, then get → 404", async (f) => {
      assertEmptyOk(await f.call("DELETE", "/model-versions/delete", { name: "flows-sk", version: "1" }));
      assertEmptyOk(await f.call("DELETE", "/registered-models/delete", { name: "flows-sk" }));
      assertError(await f.call("GET", "/registered-models/get", { name: "flows-sk" }), 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=flows-sk not found");
    });
  });
}

runFlows("sqlite", () => openTestApp());
runFlows("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  return openTestApp({ backend: db.uri, onClose: () => db.drop() });
});
