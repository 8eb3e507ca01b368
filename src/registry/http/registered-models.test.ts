/**
 * HTTP tests of `/mlflow/registered-models/*` over a real SQLite store: every
 * route under both prefixes, MLflow's shapes, methods, messages and statuses.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestApp, type TestApp, AJAX, assertEmptyOk, assertError, PREFIXES } from "../../testing/test-app.js";

describe("registered-models routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => {
    await fx.close();
  });

  /** A model with `n` versions whose sources are in the proxied store. */
  const modelWithVersions = async (name: string, n: number, prefix?: string) => {
    const { runId, artifactUri } = await fx.createRunInfo();
    assert.equal((await fx.call("POST", "/registered-models/create", { name }, { prefix })).status, 200);
    for (let i = 0; i < n; i++) {
      const r = await fx.call("POST", "/model-versions/create", { name, source: `${artifactUri}/model`, run_id: runId }, { prefix });
      assert.equal(r.status, 200, r.text);
    }
    return runId;
  };

  for (const prefix of PREFIXES) {
    test(`every registered-model route answers under ${prefix}`, async () => {
      const name = fx.uniq("smoke");
      const created = await fx.call("POST", "/registered-models/create", { name, description: "d", tags: [{ key: "t", value: "1" }] }, { prefix });
      assert.equal(created.status, 200, created.text);
      assert.equal(created.json.registered_model.name, name);
      await modelWithVersions(`${name}-v`, 0, prefix);
      const runId = (await fx.createRunInfo()).runId;
      const src = (await fx.call("GET", "/runs/get", { run_id: runId })).json.run.info.artifact_uri;
      assert.equal((await fx.call("POST", "/model-versions/create", { name, source: `${src}/m`, run_id: runId }, { prefix })).status, 200);

      assert.equal((await fx.call("GET", "/registered-models/get", { name }, { prefix })).json.registered_model.name, name);
      assert.equal((await fx.call("PATCH", "/registered-models/update", { name, description: "e" }, { prefix })).json.registered_model.description, "e");
      assertEmptyOk(await fx.call("POST", "/registered-models/set-tag", { name, key: "k", value: "v" }, { prefix }));
      assertEmptyOk(await fx.call("DELETE", "/registered-models/delete-tag", { name, key: "k" }, { prefix }));
      assertEmptyOk(await fx.call("POST", "/registered-models/alias", { name, alias: "champion", version: "1" }, { prefix }));
      assert.equal((await fx.call("GET", "/registered-models/alias", { name, alias: "champion" }, { prefix })).json.model_version.version, "1");
      assertEmptyOk(await fx.call("DELETE", "/registered-models/alias", { name, alias: "champion" }, { prefix }));
      assert.equal((await fx.call("POST", "/registered-models/get-latest-versions", { name }, { prefix })).json.model_versions.length, 1);
      assert.equal((await fx.call("GET", "/registered-models/get-latest-versions", { name, stages: "None" }, { prefix })).json.model_versions.length, 1);
      const found = await fx.call("GET", "/registered-models/search", { filter: `name = '${name}'` }, { prefix });
      assert.deepEqual(found.json.registered_models.map((m: { name: string }) => m.name), [name]);
      const renamed = await fx.call("POST", "/registered-models/rename", { name, new_name: `${name}-r` }, { prefix });
      assert.equal(renamed.json.registered_model.name, `${name}-r`);
      assertEmptyOk(await fx.call("DELETE", "/registered-models/delete", { name: `${name}-r` }, { prefix }));
      assertError(await fx.call("GET", "/registered-models/get", { name: `${name}-r` }, { prefix }), 404, "RESOURCE_DOES_NOT_EXIST", `Registered Model with name=${name}-r not found`);
    });
  }

  test("create answers MLflow's registered_model shape; a second create is 400 RESOURCE_ALREADY_EXISTS", async () => {
    const before = Date.now();
    const r = await fx.call("POST", "/registered-models/create", { name: "shape", tags: [{ key: "b", value: "2" }, { key: "a", value: "1" }] });
    assert.equal(r.status, 200, r.text);
    const m = r.json.registered_model;
    assert.deepEqual(Object.keys(m).sort(), ["creation_timestamp", "last_updated_timestamp", "name", "tags"]);
    assert.ok(m.creation_timestamp >= before && m.creation_timestamp <= Date.now());
    assert.deepEqual(m.tags, [{ key: "a", value: "1" }, { key: "b", value: "2" }]);
    const again = await fx.call("POST", "/registered-models/create", { name: "shape" });
    assertError(again, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=shape) already exists.");
  });

  test("get returns latest_versions per stage and aliases as {alias, version} pairs", async () => {
    await modelWithVersions("latest", 3);
    await fx.call("POST", "/model-versions/transition-stage", { name: "latest", version: "2", stage: "production", archive_existing_versions: false });
    await fx.call("POST", "/registered-models/alias", { name: "latest", alias: "champion", version: "2" });
    const m = (await fx.call("GET", "/registered-models/get", { name: "latest" })).json.registered_model;
    assert.deepEqual(m.latest_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage]), [
      ["2", "Production"],
      ["3", "None"],
    ]);
    assert.deepEqual(m.aliases, [{ alias: "champion", version: "2" }]);
    const byAlias = (await fx.call("GET", "/registered-models/alias", { name: "latest", alias: "champion" })).json.model_version;
    assert.deepEqual(byAlias.aliases, ["champion"]);
    assert.equal(byAlias.current_stage, "Production");
  });

  test("get-latest-versions: stages are case-insensitive, unknown stages are refused", async () => {
    await modelWithVersions("stages", 2);
    await fx.call("POST", "/model-versions/transition-stage", { name: "stages", version: "1", stage: "Staging" });
    const r = await fx.call("POST", "/registered-models/get-latest-versions", { name: "stages", stages: ["STAGING"] });
    assert.deepEqual(r.json.model_versions.map((v: { version: string }) => v.version), ["1"]);
    const none = await fx.call("POST", "/registered-models/get-latest-versions", { name: "stages", stages: ["Production"] });
    assert.deepEqual(none.json, {});
    const get = await fx.request("GET", "/api/2.0/mlflow/registered-models/get-latest-versions?name=stages&stages=none&stages=staging");
    assert.equal(get.status, 200, get.text);
    assert.deepEqual(get.json.model_versions.map((v: { version: string }) => v.version), ["1", "2"]);
    const bad = await fx.call("POST", "/registered-models/get-latest-versions", { name: "stages", stages: ["Prod"] });
    assertError(bad, 400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.");
    assertError(await fx.call("POST", "/registered-models/get-latest-versions", { name: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("rename moves the versions; update without a description clears it", async () => {
    await modelWithVersions("ren-src", 2);
    const r = await fx.call("POST", "/registered-models/rename", { name: "ren-src", new_name: "ren-dst" });
    assert.equal(r.status, 200, r.text);
    assert.equal((await fx.call("GET", "/model-versions/get", { name: "ren-dst", version: "2" })).json.model_version.name, "ren-dst");
    assertError(await fx.call("GET", "/model-versions/get", { name: "ren-src", version: "2" }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.call("POST", "/registered-models/rename", { name: "ren-dst" }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'new_name'/);
    await fx.call("PATCH", "/registered-models/update", { name: "ren-dst", description: "x" });
    const cleared = await fx.call("PATCH", "/registered-models/update", { name: "ren-dst" });
    assert.equal(cleared.json.registered_model.description, undefined);
  });

  test("tags: delete of an absent tag is {}; bad keys and long values are refused", async () => {
    await fx.call("POST", "/registered-models/create", { name: "tags" });
    assertEmptyOk(await fx.call("DELETE", "/registered-models/delete-tag", { name: "tags", key: "never" }));
    assertError(await fx.call("POST", "/registered-models/set-tag", { name: "tags", key: "../x", value: "v" }), 400, "INVALID_PARAMETER_VALUE", /Invalid tag name: '..\/x'/);
    assertError(
      await fx.call("POST", "/registered-models/set-tag", { name: "tags", key: "k", value: "v".repeat(5001) }),
      400,
      "INVALID_PARAMETER_VALUE",
      /Registered model value .* had length 5001, which exceeded length limit of 5000/,
    );
    assertError(await fx.call("POST", "/registered-models/set-tag", { name: "nope", key: "k", value: "v" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("aliases: MLflow's reserved names and characters are refused; an unknown alias is 400", async () => {
    await modelWithVersions("alias-rules", 1);
    for (const [alias, message] of [
      ["latest", "'latest' alias name (case insensitive) is reserved."],
      ["LATEST", "'latest' alias name (case insensitive) is reserved."],
      ["v1", "Version alias name 'v1' is reserved."],
      ["V12", "Version alias name 'V12' is reserved."],
      ["a.b", "Invalid alias name: 'a.b'. Names may only contain alphanumerics, underscores (_), and dashes (-)."],
      ["a/b", "Invalid alias name: 'a/b'. Names may only contain alphanumerics, underscores (_), and dashes (-)."],
    ]) {
      assertError(await fx.call("POST", "/registered-models/alias", { name: "alias-rules", alias, version: "1" }), 400, "INVALID_PARAMETER_VALUE", message);
    }
    assertError(
      await fx.call("POST", "/registered-models/alias", { name: "alias-rules", alias: "a".repeat(256), version: "1" }),
      400,
      "INVALID_PARAMETER_VALUE",
      /alias name .* exceeded length limit of 255/,
    );
    assertEmptyOk(await fx.call("POST", "/registered-models/alias", { name: "alias-rules", alias: "v1x_ok-2", version: 1 }));
    assertError(await fx.call("POST", "/registered-models/alias", { name: "alias-rules", alias: "x", version: "7" }), 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=alias-rules, version=7) not found");
    assertError(await fx.call("POST", "/registered-models/alias", { name: "alias-rules", alias: "x", version: "one" }), 400, "INVALID_PARAMETER_VALUE", "Model version must be an integer, got 'one'");
    assertError(await fx.call("GET", "/registered-models/alias", { name: "alias-rules", alias: "nope" }), 400, "INVALID_PARAMETER_VALUE", "Registered model alias nope not found.");
    assertEmptyOk(await fx.call("DELETE", "/registered-models/alias", { name: "alias-rules", alias: "nope" }));
  });

  describe("search", () => {
    before(async () => {
      for (const [name, team] of [["s-alpha", "cv"], ["s-beta", "nlp"], ["s-Gamma", "nlp"]]) {
        await fx.call("POST", "/registered-models/create", { name, tags: [{ key: "team", value: team }] });
      }
      await fx.call("POST", "/registered-models/create", { name: "s-prompt", tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] });
    });
    const names = (r: { json: { registered_models?: Array<{ name: string }> } }) => (r.json.registered_models ?? []).map((m) => m.name);

    test("name LIKE / ILIKE and tags, ordered by name, prompts left out", async () => {
      assert.deepEqual(names(await fx.call("GET", "/registered-models/search", { filter: "name LIKE 's-%'" })), ["s-Gamma", "s-alpha", "s-beta"]);
      assert.deepEqual(names(await fx.call("GET", "/registered-models/search", { filter: "name ILIKE 'S-G%'" })), ["s-Gamma"]);
      assert.deepEqual(names(await fx.call("GET", "/registered-models/search", { filter: "name LIKE 's-%' AND tags.team = 'nlp'", order_by: "name DESC" })), ["s-beta", "s-Gamma"]);
      assert.deepEqual(names(await fx.call("GET", "/registered-models/search", { filter: "tags.`mlflow.prompt.is_prompt` = 'true'" })), ["s-prompt"]);
    });

    test("accepts the MLflow 3.x client's appended prompt clause", async () => {
      const filter = "name LIKE 's-%' AND tag.`mlflow.prompt.is_prompt` != 'true'";
      const r = await fx.call("GET", "/registered-models/search", { filter, max_results: 100 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(names(r), ["s-Gamma", "s-alpha", "s-beta"]);
      // The 3.x client with no user filter sends the clause alone.
      const alone = await fx.call("GET", "/registered-models/search", { filter: "tag.`mlflow.prompt.is_prompt` != 'true'", max_results: 100 });
      assert.ok(names(alone).includes("s-alpha") && !names(alone).includes("s-prompt"));
    });

    test("pages with max_results and page_token; bad parameters are refused", async () => {
      const first = await fx.call("GET", "/registered-models/search", { filter: "name LIKE 's-%'", max_results: 2 });
      assert.deepEqual(names(first), ["s-Gamma", "s-alpha"]);
      assert.equal(typeof first.json.next_page_token, "string");
      const second = await fx.call("GET", "/registered-models/search", { filter: "name LIKE 's-%'", max_results: 2, page_token: first.json.next_page_token });
      assert.deepEqual(names(second), ["s-beta"]);
      assert.equal(second.json.next_page_token, undefined);
      assertError(
        await fx.call("GET", "/registered-models/search", { max_results: 1001 }),
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid value for request parameter max_results. It must be at most 1000, but got value 1001",
      );
      assertError(await fx.call("GET", "/registered-models/search", { filter: "version_number = 1" }), 400, "INVALID_PARAMETER_VALUE", /Invalid attribute key 'version_number'/);
      assertError(await fx.call("GET", "/registered-models/search", { order_by: ["name", "name DESC"] }), 400, "INVALID_PARAMETER_VALUE", /duplicate fields/);
      assertError(await fx.call("GET", "/registered-models/search", { order_by: "tags.team" }), 400, "INVALID_PARAMETER_VALUE");
      assertError(await fx.call("GET", "/registered-models/search", { page_token: "garbage" }), 400, "INVALID_PARAMETER_VALUE");
      const byTime = await fx.call("GET", "/registered-models/search", { filter: "name LIKE 's-%'", order_by: "timestamp DESC" });
      assert.deepEqual(names(byTime), ["s-Gamma", "s-beta", "s-alpha"]);
    });
  });

  test("missing and mistyped fields get MLflow's validation messages", async () => {
    assertError(await fx.call("POST", "/registered-models/create", {}), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'name'/);
    assertError(await fx.call("POST", "/registered-models/create", { name: "" }), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'name'/);
    assertError(await fx.call("POST", "/registered-models/create", { name: 123 }), 400, "INVALID_PARAMETER_VALUE", /Invalid value 123 for parameter 'name'/);
    assertError(await fx.call("GET", "/registered-models/get", {}), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'name'/);
    assertError(await fx.call("DELETE", "/registered-models/delete", {}, { prefix: AJAX }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.call("POST", "/registered-models/create", { name: "x".repeat(257) }), 400, "INVALID_PARAMETER_VALUE", /exceeded length limit of 256/);
    // Methods are MLflow's: update is PATCH, delete is DELETE.
    assertError(await fx.call("POST", "/registered-models/update", { name: "shape" }), 404, "ENDPOINT_NOT_FOUND");
    assertError(await fx.call("POST", "/registered-models/delete", { name: "shape" }), 404, "ENDPOINT_NOT_FOUND");
    assert.equal((await fx.call("GET", "/registered-models/get", { name: "shape" })).status, 200);
  });
});
