/**
 * HTTP tests of `/mlflow/model-versions/*` and `/model-versions/get-artifact`
 * over a real SQLite store and a real artifacts folder: every route under
 * both prefixes, the sources MLflow clients send, stages, search, downloads.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openTestApp, type TestApp, AJAX, API, assertEmptyOk, assertError, PREFIXES } from "../../testing/test-app.js";

const VERSION_KEYS = ["creation_timestamp", "current_stage", "last_updated_timestamp", "name", "run_id", "source", "status", "version"];

describe("model-versions routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => {
    await fx.close();
  });

  const newModel = async (name = fx.uniq("m")) => {
    assert.equal((await fx.call("POST", "/registered-models/create", { name })).status, 200);
    return name;
  };
  const create = (body: Record<string, unknown>, prefix = API) => fx.call("POST", "/model-versions/create", body, { prefix });

  for (const prefix of PREFIXES) {
    test(`every model-version route answers under ${prefix}`, async () => {
      const name = await newModel();
      const { runId, artifactUri } = await fx.createRunInfo();
      const created = await create({ name, source: `${artifactUri}/model`, run_id: runId }, prefix);
      assert.equal(created.status, 200, created.text);
      const v = created.json.model_version;
      assert.deepEqual([v.version, v.status, v.current_stage], ["1", "READY", "None"]);
      assert.equal((await fx.call("GET", "/model-versions/get", { name, version: "1" }, { prefix })).json.model_version.source, `${artifactUri}/model`);
      assert.equal((await fx.call("PATCH", "/model-versions/update", { name, version: "1", description: "d" }, { prefix })).json.model_version.description, "d");
      const moved = await fx.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "Staging", archive_existing_versions: false }, { prefix });
      assert.equal(moved.json.model_version.current_stage, "Staging");
      assertEmptyOk(await fx.call("POST", "/model-versions/set-tag", { name, version: "1", key: "k", value: "v" }, { prefix }));
      assertEmptyOk(await fx.call("DELETE", "/model-versions/delete-tag", { name, version: "1", key: "k" }, { prefix }));
      const found = await fx.call("GET", "/model-versions/search", { filter: `name = '${name}'` }, { prefix });
      assert.deepEqual(found.json.model_versions.map((m: { version: string }) => m.version), ["1"]);
      assert.deepEqual((await fx.call("GET", "/model-versions/get-download-uri", { name, version: "1" }, { prefix })).json, { artifact_uri: `${artifactUri}/model` });
      assertEmptyOk(await fx.call("DELETE", "/model-versions/delete", { name, version: "1" }, { prefix }));
      assertError(await fx.call("GET", "/model-versions/get", { name, version: "1" }, { prefix }), 404, "RESOURCE_DOES_NOT_EXIST", `Model Version (name=${name}, version=1) not found`);
    });
  }

  test("create answers MLflow's model_version shape with string ids and ms timestamps", async () => {
    const name = await newModel();
    const { runId, artifactUri } = await fx.createRunInfo();
    const before = Date.now();
    const r = await create({ name, source: `${artifactUri}/model`, run_id: runId });
    const v = r.json.model_version;
    assert.deepEqual(Object.keys(v).sort(), VERSION_KEYS);
    assert.equal(typeof v.version, "string");
    assert.ok(v.creation_timestamp >= before && v.creation_timestamp <= Date.now());
    const tagged = await create({ name, source: `${artifactUri}/model`, run_id: runId, tags: [{ key: "t", value: "1" }], description: "", run_link: "http://x" });
    assert.deepEqual(tagged.json.model_version.tags, [{ key: "t", value: "1" }]);
    assert.equal(tagged.json.model_version.version, "2");
    assert.equal(tagged.json.model_version.description, "");
    assert.equal(tagged.json.model_version.run_link, "http://x");
  });

  test("a runs:/ source is answered as given by get-download-uri (MLflow compat); run_id is filled in; get-artifact reads the run's files", async () => {
    const name = await newModel();
    const { runId } = await fx.createRunInfo();
    const v = (await create({ name, source: `runs:/${runId}/model/sub` })).json.model_version;
    assert.equal(v.source, `runs:/${runId}/model/sub`);
    assert.equal(v.run_id, runId);
    const uri = await fx.call("GET", "/model-versions/get-download-uri", { name, version: v.version });
    assert.deepEqual(uri.json, { artifact_uri: `runs:/${runId}/model/sub` });
    const put = await fx.request("POST", `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=model/sub/MLmodel`, "flavors: {}");
    assert.equal(put.status, 200, put.text);
    const got = await fx.request("GET", `/model-versions/get-artifact?name=${name}&version=${v.version}&path=MLmodel`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.text, "flavors: {}");
    // MLflow compat: a run this server does not hold is accepted (the registry does not check tracking).
    const ghost = await create({ name, source: "runs:/0123456789abcdef0123456789abcdef/model", run_id: "run_id_1" });
    assert.equal(ghost.status, 200, ghost.text);
    assert.equal(ghost.json.model_version.run_id, "run_id_1");
  });

  test("non-local sources (s3) are accepted as MLflow accepts them, relative references refused", async () => {
    const name = await newModel();
    const exp = (await fx.call("POST", "/experiments/create", { name: fx.uniq("s3exp"), artifact_location: "s3://bucket/team" })).json.experiment_id;
    const { runId, artifactUri } = await fx.createRunInfo(exp);
    assert.equal(artifactUri, `s3://bucket/team/${runId}/artifacts`);
    assert.equal((await create({ name, source: `${artifactUri}/model`, run_id: runId })).status, 200);
    assert.equal((await create({ name, source: `${artifactUri}/model` })).status, 200);
    assertError(await create({ name, source: `${artifactUri}/model/../../..`, run_id: runId }), 400, "INVALID_PARAMETER_VALUE", /If supplying a source as an http, https,/);
  });

  test("local sources need the run_id of the run whose artifact folder holds them", async () => {
    const name = await newModel();
    const local = await fx.createExperiment(fx.uniq("local"), { artifact_location: `${fx.artifactsDir}/local` });
    const { runId, artifactUri } = await fx.createRunInfo(local);
    assert.equal((await create({ name, source: `${artifactUri}/model`, run_id: runId })).status, 200);
    assertError(await create({ name, source: `${artifactUri}/model` }), 400, "INVALID_PARAMETER_VALUE", /To use a local path as a model version source/);
    assertError(await create({ name, source: pathToFileURL(fx.outsideDir).href, run_id: runId }), 400, "INVALID_PARAMETER_VALUE", /To use a local path/);
  });

  test("models:/name/version and models:/name@alias sources read the other version's artifacts", async () => {
    const src = await newModel();
    const { runId } = await fx.createRunInfo();
    await create({ name: src, source: `runs:/${runId}/model` });
    await fx.call("POST", "/registered-models/alias", { name: src, alias: "champion", version: "1" });
    const dst = await newModel();
    const copy = (await create({ name: dst, source: `models:/${src}/1` })).json.model_version;
    const expected = (await fx.call("GET", "/model-versions/get-download-uri", { name: src, version: "1" })).json.artifact_uri;
    assert.equal((await fx.call("GET", "/model-versions/get-download-uri", { name: dst, version: copy.version })).json.artifact_uri, expected);
    const viaAlias = (await create({ name: dst, source: `models:/${src}@champion` })).json.model_version;
    assert.equal((await fx.call("GET", "/model-versions/get-download-uri", { name: dst, version: viaAlias.version })).json.artifact_uri, expected);
    assertError(await create({ name: dst, source: `models:/${src}/9` }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("models:/<model_id> (MLflow 3.x): run_id and download URI come from the logged model; the registration is recorded", async () => {
    const { experimentId, runId } = await fx.createRunInfo();
    const lm = await fx.loggedModels.createLoggedModel({ experimentId, name: "model", modelType: null, sourceRunId: runId, params: [], tags: [] });
    const id = lm.info.modelId;
    const name = await newModel();
    const v = (await create({ name, source: `models:/${id}`, model_id: id })).json.model_version;
    assert.equal(v.run_id, runId);
    assert.equal(v.source, `models:/${id}`);
    assert.equal(v.model_id, id);
    assert.equal((await fx.call("GET", "/model-versions/get-download-uri", { name, version: v.version })).json.artifact_uri, lm.info.artifactUri);
    const tag = (await fx.loggedModels.getLoggedModel(id)).info.tags.find((t) => t.key === "mlflow.modelVersions");
    assert.ok(tag && JSON.parse(tag.value).some((e: { name: string }) => e.name === name), JSON.stringify(tag));
    assertError(await create({ name, source: "models:/m-0123456789abcdef0123456789abcdef" }), 400, "INVALID_PARAMETER_VALUE", /Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found/);
    assertError(await create({ name, source: `models:/${id}`, model_id: "m-other" }), 400, "INVALID_PARAMETER_VALUE");
  });

  test("version numbers are never reused after a deletion", async () => {
    const name = await newModel();
    const { runId } = await fx.createRunInfo();
    for (let i = 0; i < 3; i++) await create({ name, source: `runs:/${runId}/m` });
    assertEmptyOk(await fx.call("DELETE", "/model-versions/delete", { name, version: "3" }));
    assert.equal((await create({ name, source: `runs:/${runId}/m` })).json.model_version.version, "4");
    assertError(await fx.call("DELETE", "/model-versions/delete", { name, version: "3" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("transition-stage: archive_existing_versions archives the others; it needs an active stage", async () => {
    const name = await newModel();
    const { runId } = await fx.createRunInfo();
    for (let i = 0; i < 3; i++) await create({ name, source: `runs:/${runId}/m` });
    await fx.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "Production" });
    await fx.call("POST", "/model-versions/transition-stage", { name, version: "2", stage: "Production" });
    const r = await fx.call("POST", "/model-versions/transition-stage", { name, version: 3, stage: "production", archive_existing_versions: true });
    assert.equal(r.json.model_version.current_stage, "Production");
    const stages = await Promise.all(["1", "2"].map(async (v) => (await fx.call("GET", "/model-versions/get", { name, version: v })).json.model_version.current_stage));
    assert.deepEqual(stages, ["Archived", "Archived"]);
    assertError(
      await fx.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "None", archive_existing_versions: true }),
      400,
      "INVALID_PARAMETER_VALUE",
      "Model version transition cannot archive existing model versions because 'None' is not an Active stage. Valid stages are ['Staging', 'Production']",
    );
    assertError(await fx.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "Live" }), 400, "INVALID_PARAMETER_VALUE", /Invalid Model Version stage: Live/);
    assertError(await fx.call("POST", "/model-versions/transition-stage", { name, version: "1" }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'stage'/);
  });

  test("update without a description clears it; tags follow MLflow's rules", async () => {
    const name = await newModel();
    const { runId } = await fx.createRunInfo();
    await create({ name, source: `runs:/${runId}/m`, description: "first" });
    const cleared = await fx.call("PATCH", "/model-versions/update", { name, version: "1" });
    assert.equal(cleared.json.model_version.description, undefined);
    assertEmptyOk(await fx.call("DELETE", "/model-versions/delete-tag", { name, version: "1", key: "absent" }));
    assertError(await fx.call("POST", "/model-versions/set-tag", { name, version: "1", key: "", value: "v" }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'key'/);
    assertError(await fx.call("POST", "/model-versions/set-tag", { name, version: "9", key: "k", value: "v" }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("POST", "/model-versions/set-tag", { name, version: "x", key: "k", value: "v" }), 400, "INVALID_PARAMETER_VALUE", "Model version must be an integer, got 'x'");
  });

  describe("search", () => {
    let runA: string;
    let runB: string;
    before(async () => {
      runA = (await fx.createRunInfo()).runId;
      runB = (await fx.createRunInfo()).runId;
      for (const [name, run, n] of [["sv-one", runA, 2], ["sv-two", runB, 3]] as const) {
        await newModel(name);
        for (let i = 0; i < n; i++) await create({ name, source: `runs:/${run}/m${i}`, tags: [{ key: "parity", value: i % 2 ? "odd" : "even" }] });
      }
    });
    const ids = (r: { json: { model_versions?: Array<{ name: string; version: string }> } }) => (r.json.model_versions ?? []).map((v) => `${v.name}/${v.version}`);

    test("filters on name, version_number, run_id (IN lists), source_path and tags", async () => {
      assert.deepEqual(ids(await fx.call("GET", "/model-versions/search", { filter: "name = 'sv-two' AND version_number >= 2", order_by: "version_number ASC" })), ["sv-two/2", "sv-two/3"]);
      assert.deepEqual(ids(await fx.call("GET", "/model-versions/search", { filter: `run_id IN ('${runA}')`, order_by: ["version_number DESC"] })), ["sv-one/2", "sv-one/1"]);
      assert.deepEqual(ids(await fx.call("GET", "/model-versions/search", { filter: `source_path = 'runs:/${runB}/m1'` })), ["sv-two/2"]);
      assert.deepEqual(ids(await fx.call("GET", "/model-versions/search", { filter: "name LIKE 'sv-%' AND tags.parity = 'odd'", order_by: ["name ASC"] })), ["sv-one/2", "sv-two/2"]);
      assertError(await fx.call("GET", "/model-versions/search", { filter: "name IN ('sv-one')" }), 400, "INVALID_PARAMETER_VALUE");
      assertError(await fx.call("GET", "/model-versions/search", { filter: "metrics.x > 1" }), 400, "INVALID_PARAMETER_VALUE", /Invalid entity type 'metrics'/);
    });

    test("pages through results newest first, like MLflow's default order", async () => {
      const all = ids(await fx.call("GET", "/model-versions/search", { filter: "name LIKE 'sv-%'", max_results: 10000 }));
      assert.equal(all.length, 5);
      assert.equal(all[0], "sv-two/3");
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const r = await fx.call("GET", "/model-versions/search", { filter: "name LIKE 'sv-%'", max_results: 2, ...(token ? { page_token: token } : {}) });
        seen.push(...ids(r));
        token = r.json.next_page_token;
      } while (token);
      assert.deepEqual(seen, all);
      assertError(await fx.call("GET", "/model-versions/search", { max_results: 200001 }), 400, "INVALID_PARAMETER_VALUE");
    });
  });

  describe("get-artifact", () => {
    test("serves a file of the version's artifacts under both URLs", async () => {
      const name = await newModel();
      const { experimentId, runId, artifactUri } = await fx.createRunInfo();
      fx.putArtifact(`${experimentId}/${runId}/artifacts/model/MLmodel`, "flavors: {}\n");
      await create({ name, source: `${artifactUri}/model`, run_id: runId });
      for (const base of ["/model-versions/get-artifact", `${AJAX}/model-versions/get-artifact`]) {
        const r = await fx.request("GET", `${base}?name=${name}&version=1&path=MLmodel`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, "flavors: {}\n");
        assert.match(String(r.headers["content-disposition"]), /attachment/);
      }
      assertError(await fx.request("GET", `/model-versions/get-artifact?name=${name}&version=1&path=nope`), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.request("GET", `/model-versions/get-artifact?name=${name}&version=7&path=MLmodel`), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    test("hostile paths are refused before anything is read", async () => {
      const name = await newModel();
      const { runId, artifactUri } = await fx.createRunInfo();
      await create({ name, source: `${artifactUri}/model`, run_id: runId });
      for (const path of ["../../../../outside/passwd", "%2e%2e%2f%2e%2e%2foutside%2fpasswd", "/etc/passwd", "..\\..\\passwd", "a/../../x", "%252e%252e%252fpasswd"]) {
        const r = await fx.request("GET", `/model-versions/get-artifact?name=${name}&version=1&path=${encodeURIComponent(path)}`);
        assertError(r, 400, "INVALID_PARAMETER_VALUE", "Invalid path");
        assert.doesNotMatch(r.text, /root:x/);
      }
    });
  });
});
