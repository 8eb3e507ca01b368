/**
 * HTTP tests of `/mlflow/experiments/*` over a real SQLite store: MLflow's
 * success shapes, both URL prefixes, GET query strings and POST bodies.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AJAX, API, assertEmptyOk, assertError, openTestApp, PREFIXES, type TestApp } from "../../testing/test-app.js";

const EXPERIMENT_KEYS = ["artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"];

describe("experiments routes", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => {
    await fx.close();
  });

  for (const prefix of PREFIXES) {
    test(`every experiment route answers under ${prefix}`, async () => {
      const name = fx.uniq("smoke");
      const created = await fx.post("/experiments/create", { name }, { prefix });
      assert.equal(created.status, 200, created.text);
      // MLflow compat: create answers only the id, as a string.
      assert.deepEqual(Object.keys(created.json), ["experiment_id"]);
      const id = created.json.experiment_id;
      assert.match(id, /^\d+$/);

      const got = await fx.get("/experiments/get", { experiment_id: id }, { prefix });
      assert.equal(got.status, 200, got.text);
      assert.equal(got.json.experiment.name, name);
      const byName = await fx.get("/experiments/get-by-name", { experiment_name: name }, { prefix });
      assert.deepEqual(byName.json, got.json);

      assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: id, key: "team", value: "cv" }, { prefix }));
      assertEmptyOk(await fx.post("/experiments/delete-experiment-tag", { experiment_id: id, key: "team" }, { prefix }));
      assertEmptyOk(await fx.post("/experiments/update", { experiment_id: id, new_name: `${name}-renamed` }, { prefix }));
      const searchedPost = await fx.post("/experiments/search", { filter: `name = '${name}-renamed'` }, { prefix });
      assert.deepEqual(searchedPost.json.experiments.map((e: { experiment_id: string }) => e.experiment_id), [id]);
      const searchedGet = await fx.get("/experiments/search", { filter: `name = '${name}-renamed'` }, { prefix });
      assert.deepEqual(searchedGet.json, searchedPost.json);
      assertEmptyOk(await fx.post("/experiments/delete", { experiment_id: id }, { prefix }));
      assertEmptyOk(await fx.post("/experiments/restore", { experiment_id: id }, { prefix }));
    });
  }

  test("get returns MLflow's experiment shape: string id, ms timestamps, tags only when present", async () => {
    const before = Date.now();
    const id = await fx.createExperiment("shape-exp");
    const { json, status } = await fx.get("/experiments/get", { experiment_id: id });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(json), ["experiment"]);
    const e = json.experiment;
    assert.deepEqual(Object.keys(e).sort(), EXPERIMENT_KEYS);
    assert.equal(e.experiment_id, id);
    assert.equal(e.name, "shape-exp");
    assert.equal(e.artifact_location, `mlflow-artifacts:/${id}`);
    assert.equal(e.lifecycle_stage, "active");
    assert.equal(typeof e.creation_time, "number");
    assert.ok(e.creation_time >= before && e.creation_time <= Date.now(), "creation_time is epoch milliseconds");
    assert.equal(e.last_update_time, e.creation_time);
  });

  test("create keeps artifact_location and tags; get-by-name returns them", async () => {
    const r = await fx.post("/experiments/create", {
      name: "with-tags",
      artifact_location: "s3://bucket/prefix",
      tags: [
        { key: "b", value: "2" },
        { key: "a", value: "1" },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const e = (await fx.get("/experiments/get-by-name", { experiment_name: "with-tags" })).json.experiment;
    assert.equal(e.experiment_id, r.json.experiment_id);
    assert.equal(e.artifact_location, "s3://bucket/prefix");
    assert.deepEqual(e.tags, [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
    ]);
  });

  test("experiment_id may arrive as a JSON number (MLflow stringifies it)", async () => {
    const id = await fx.createExperiment();
    assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: Number(id), key: "k", value: "v" }));
    const e = (await fx.get("/experiments/get", { experiment_id: id })).json.experiment;
    assert.deepEqual(e.tags, [{ key: "k", value: "v" }]);
  });

  test("set-experiment-tag overwrites, allows an empty value, and bumps last_update_time", async () => {
    const id = await fx.createExperiment();
    const created = (await fx.get("/experiments/get", { experiment_id: id })).json.experiment;
    assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: id, key: "k", value: "1" }));
    assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: id, key: "k", value: "2" }));
    assertEmptyOk(await fx.post("/experiments/set-experiment-tag", { experiment_id: id, key: "empty", value: "" }));
    const e = (await fx.get("/experiments/get", { experiment_id: id })).json.experiment;
    assert.deepEqual(e.tags, [
      { key: "empty", value: "" },
      { key: "k", value: "2" },
    ]);
    assert.ok(e.last_update_time >= created.last_update_time);
    assertEmptyOk(await fx.post("/experiments/delete-experiment-tag", { experiment_id: id, key: "k" }));
    assertError(
      await fx.post("/experiments/delete-experiment-tag", { experiment_id: id, key: "k" }),
      404,
      "RESOURCE_DOES_NOT_EXIST",
      `No tag with name: k in experiment with id ${id}`,
    );
  });

  test("update renames; an empty new_name changes nothing", async () => {
    const id = await fx.createExperiment("before-rename");
    assertEmptyOk(await fx.post("/experiments/update", { experiment_id: id, new_name: "after-rename" }));
    assertEmptyOk(await fx.post("/experiments/update", { experiment_id: id, new_name: "" }));
    assertEmptyOk(await fx.post("/experiments/update", { experiment_id: id }));
    assert.equal((await fx.get("/experiments/get", { experiment_id: id })).json.experiment.name, "after-rename");
    assertError(await fx.get("/experiments/get-by-name", { experiment_name: "before-rename" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("delete soft-deletes the experiment and its runs; restore brings both back", async () => {
    const id = await fx.createExperiment();
    const run = await fx.createRun(id);
    assertEmptyOk(await fx.post("/experiments/delete", { experiment_id: id }));
    // get and get-by-name still see deleted experiments (ViewType.ALL).
    const deleted = (await fx.get("/experiments/get", { experiment_id: id })).json.experiment;
    assert.equal(deleted.lifecycle_stage, "deleted");
    assert.equal((await fx.getRun(run)).info.lifecycle_stage, "deleted");
    // MLflow compat: a deleted experiment cannot be renamed (INVALID_STATE, HTTP 500 in MLflow's table).
    assertError(await fx.post("/experiments/update", { experiment_id: id, new_name: fx.uniq("x") }), 500, "INVALID_STATE", /non-active/);
    // delete looks among active experiments only.
    assertError(await fx.post("/experiments/delete", { experiment_id: id }), 404, "RESOURCE_DOES_NOT_EXIST", `No Experiment with id=${id} exists`);

    assertEmptyOk(await fx.post("/experiments/restore", { experiment_id: id }));
    assert.equal((await fx.get("/experiments/get", { experiment_id: id })).json.experiment.lifecycle_stage, "active");
    assert.equal((await fx.getRun(run)).info.lifecycle_stage, "active");
    assertError(await fx.post("/experiments/restore", { experiment_id: id }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  describe("search", () => {
    let ids: string[];
    before(async () => {
      ids = [];
      for (const n of ["srch-a", "srch-b", "srch-c", "srch-d", "srch-e"]) ids.push(await fx.createExperiment(n));
      await fx.post("/experiments/set-experiment-tag", { experiment_id: ids[1], key: "team", value: "nlp" });
      await fx.post("/experiments/set-experiment-tag", { experiment_id: ids[3], key: "team", value: "nlp" });
      await fx.post("/experiments/delete", { experiment_id: ids[4] });
    });
    const names = (json: { experiments?: Array<{ name: string }> }) => (json.experiments ?? []).map((e) => e.name);

    test("POST with the Python client's body shape filters by name and tag", async () => {
      const r = await fx.post("/experiments/search", { max_results: 1000, filter: "name LIKE 'srch-%'", view_type: "ACTIVE_ONLY" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(names(r.json).sort(), ["srch-a", "srch-b", "srch-c", "srch-d"]);
      // Default order: creation_time DESC, ties by experiment_id ASC.
      const rows: Array<{ creation_time: number; experiment_id: string }> = r.json.experiments;
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1], rows[i]];
        assert.ok(
          a.creation_time > b.creation_time || (a.creation_time === b.creation_time && Number(a.experiment_id) < Number(b.experiment_id)),
          JSON.stringify(rows),
        );
      }
      assert.equal(r.json.next_page_token, undefined);
      const tagged = await fx.post("/experiments/search", { filter: "tags.team = 'nlp' AND name LIKE 'srch-%'", order_by: ["name ASC"] });
      assert.deepEqual(names(tagged.json), ["srch-b", "srch-d"]);
    });

    test("view_type selects deleted experiments, by name or number, in POST and GET", async () => {
      const deletedOnly = await fx.post("/experiments/search", { filter: "name LIKE 'srch-%'", view_type: "DELETED_ONLY" });
      assert.deepEqual(names(deletedOnly.json), ["srch-e"]);
      const all = await fx.get("/experiments/search", { filter: "name LIKE 'srch-%'", view_type: "ALL", order_by: "name DESC" });
      assert.deepEqual(names(all.json), ["srch-e", "srch-d", "srch-c", "srch-b", "srch-a"]);
      const byNumber = await fx.get("/experiments/search", { filter: "name LIKE 'srch-%'", view_type: 2 });
      assert.deepEqual(names(byNumber.json), ["srch-e"]);
    });

    test("an empty result omits the experiments list", async () => {
      const r = await fx.post("/experiments/search", { filter: "name = 'no-such-experiment'" });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, {});
    });

    test("GET takes repeated order_by keys", async () => {
      const r = await fx.get("/experiments/search", "filter=name%20LIKE%20'srch-%25'&order_by=name%20DESC&order_by=experiment_id%20ASC");
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(names(r.json), ["srch-d", "srch-c", "srch-b", "srch-a"]);
      // The second key is read too: a bad one is rejected.
      const bad = await fx.get("/experiments/search", "order_by=name%20DESC&order_by=nope%20ASC");
      assertError(bad, 400, "INVALID_PARAMETER_VALUE", /nope/);
    });

    for (const method of ["POST", "GET"] as const) {
      test(`pages with max_results and page_token (${method})`, async () => {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const params = { filter: "name LIKE 'srch-%'", order_by: ["name ASC"], max_results: 3, ...(token ? { page_token: token } : {}) };
          const r = method === "POST" ? await fx.post("/experiments/search", params) : await fx.get("/experiments/search", params);
          assert.equal(r.status, 200, r.text);
          assert.ok(r.json.experiments.length <= 3);
          seen.push(...names(r.json));
          token = r.json.next_page_token;
          if (token !== undefined) assert.equal(typeof token, "string");
          pages++;
        } while (token && pages < 10);
        assert.equal(pages, 2);
        assert.deepEqual(seen, ["srch-a", "srch-b", "srch-c", "srch-d"]);
      });
    }

    test("without max_results, ciclo pages at 1000 (MLflow errors: mlflow#10819)", async () => {
      const r = await fx.get("/experiments/search");
      assert.equal(r.status, 200, r.text);
      assert.ok(names(r.json).includes("Default"));
    });
  });

  test("the ajax prefix serves the same data as the api prefix", async () => {
    const id = await fx.createExperiment();
    const a = await fx.get("/experiments/get", { experiment_id: id }, { prefix: API });
    const b = await fx.get("/experiments/get", { experiment_id: id }, { prefix: AJAX });
    assert.deepEqual(a.json, b.json);
  });
});
