/**
 * The deployments API without running model servers: endpoints and
 * deployments are created, read and changed; traffic must name existing
 * deployments and sum to 100, mirrors are separate and bounded; bad input
 * gets MLflow-format errors and changes nothing; every change is in the
 * history with who made it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestApp, type TestApp } from "../../testing/test-app.js";

const CICLO = { prefix: "/api/ciclo/v1" };
const as = (user: string) => ({ ...CICLO, headers: { authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}` } });

describe("deployments API", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
    const { runId } = await fx.createRunInfo();
    await fx.call("POST", "/registered-models/create", { name: "fraud" });
    for (let i = 0; i < 3; i++) assert.equal((await fx.call("POST", "/model-versions/create", { name: "fraud", source: `runs:/${runId}/model` })).status, 200);
    await fx.call("POST", "/registered-models/alias", { name: "fraud", alias: "champion", version: "2" });
  });
  after(async () => {
    await fx.close();
  });

  const expectError = (r: { status: number; json: any }, status: number, code: string, pattern: RegExp) => {
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.equal(r.json.error_code, code);
    assert.match(r.json.message, pattern);
  };

  test("create an endpoint and deployments; the first deployment takes all traffic; an alias resolves", async () => {
    const e = await fx.call("POST", "/endpoints", { name: "scoring", description: "fraud scores" }, as("alice"));
    assert.equal(e.status, 200, e.text);
    assert.deepEqual(e.json.endpoint.traffic, {});
    assert.equal(e.json.endpoint.strategy.kind, "canary");
    assert.deepEqual(e.json.endpoint.strategy.steps, [10, 50, 100]);

    const blue = await fx.call("POST", "/endpoints/scoring/deployments", { name: "blue", model_uri: "models:/fraud/1", replicas: 2, env: { LOG_LEVEL: "debug" } }, as("alice"));
    assert.equal(blue.status, 200, blue.text);
    assert.equal(blue.json.deployment.model_version, "1");
    assert.equal(blue.json.deployment.target, "local");
    const green = await fx.call("POST", "/endpoints/scoring/deployments", { name: "green", model_uri: "models:/fraud@champion" }, as("bob"));
    assert.equal(green.status, 200, green.text);
    assert.equal(green.json.deployment.model_version, "2");
    assert.equal(green.json.deployment.follow_alias, "champion");

    const got = await fx.call("GET", "/endpoints/scoring", undefined, CICLO);
    assert.deepEqual(got.json.endpoint.traffic, { blue: 100 });
    assert.deepEqual(got.json.endpoint.deployments.map((d: any) => d.name), ["blue", "green"]);
    assert.equal(got.json.endpoint.deployments[0].health.desired_replicas, 2);
    const list = await fx.call("GET", "/endpoints", undefined, CICLO);
    assert.deepEqual(list.json.endpoints.map((x: any) => x.name), ["scoring"]);
  });

  test("traffic: weights sum to 100, name existing deployments; mirror is separate and bounded; nothing half-applied", async () => {
    const before = (await fx.call("GET", "/endpoints/scoring", undefined, CICLO)).json.endpoint;
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 90, green: 20 } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /sum to 100.*got 110/);
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 90, red: 10 } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /'red', which does not exist/);
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 99.5, green: 0.5 } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /integer percentage/);
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 100 }, mirror_traffic: { green: 60 } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /at most 50 %/);
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 50, green: 50 }, mirror_traffic: { green: 10 } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /cannot also be mirrored to: set one of the two to 0 \(with the CLI, add --mirror green=0\)/);
    expectError(await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: "x" } }, CICLO), 400, "INVALID_PARAMETER_VALUE", /traffic/);
    assert.deepEqual((await fx.call("GET", "/endpoints/scoring", undefined, CICLO)).json.endpoint, before, "refused changes changed nothing");

    const ok = await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 90, green: 10 }, reason: "canary by hand" }, as("carol"));
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.endpoint.traffic, { blue: 90, green: 10 });
    const m = await fx.call("POST", "/endpoints/scoring/traffic", { traffic: { blue: 100 }, mirror_traffic: { green: 20 } }, as("carol"));
    assert.deepEqual(m.json.endpoint.traffic, { blue: 100, green: 0 }, "deployments left out get 0");
    assert.deepEqual(m.json.endpoint.mirror_traffic, { green: 20 });
  });

  test("bad names, replicas, env, model URIs and unknown resources are refused in MLflow's format", async () => {
    expectError(await fx.call("POST", "/endpoints", { name: "Bad_Name" }, CICLO), 400, "INVALID_PARAMETER_VALUE", /Invalid endpoint name/);
    expectError(await fx.call("POST", "/endpoints", { name: "../etc" }, CICLO), 400, "INVALID_PARAMETER_VALUE", /Invalid endpoint name/);
    expectError(await fx.call("POST", "/endpoints", { name: "scoring" }, CICLO), 400, "RESOURCE_ALREADY_EXISTS", /already exists/);
    const dep = (body: object) => fx.call("POST", "/endpoints/scoring/deployments", { name: "red", model_uri: "models:/fraud/1", ...body }, CICLO);
    expectError(await dep({ replicas: 0 }), 400, "INVALID_PARAMETER_VALUE", /1 to 16 replicas/);
    expectError(await dep({ env: { PORT: "1" } }), 400, "INVALID_PARAMETER_VALUE", /set by ciclo/);
    expectError(await dep({ env: { "A-B": "1" } }), 400, "INVALID_PARAMETER_VALUE", /Invalid env variable name/);
    expectError(await dep({ model_uri: "/etc/passwd" }), 400, "INVALID_PARAMETER_VALUE", /models:\/<name>\/<version>/);
    expectError(await dep({ model_uri: "models:/fraud/9" }), 404, "RESOURCE_DOES_NOT_EXIST", /fraud/);
    // The registry answers a missing alias as MLflow does: INVALID_PARAMETER_VALUE.
    expectError(await dep({ model_uri: "models:/fraud@nope" }), 400, "INVALID_PARAMETER_VALUE", /alias nope not found/);
    expectError(await dep({ target: "mainframe" }), 400, "INVALID_PARAMETER_VALUE", /Unknown target/);
    expectError(await fx.call("POST", "/endpoints/nope/deployments", { name: "red", model_uri: "models:/fraud/1" }, CICLO), 404, "RESOURCE_DOES_NOT_EXIST", /Endpoint 'nope'/);
    expectError(await fx.call("GET", "/endpoints/scoring/deployments/nope", undefined, CICLO), 404, "RESOURCE_DOES_NOT_EXIST", /Deployment 'nope'/);
    expectError(await fx.call("DELETE", "/endpoints/scoring/deployments/blue", undefined, CICLO), 409, "RESOURCE_CONFLICT", /takes 100 %/);
    const deps = (await fx.call("GET", "/endpoints/scoring", undefined, CICLO)).json.endpoint.deployments.map((d: any) => d.name);
    assert.deepEqual(deps, ["blue", "green"], "no deployment was added by a refused request");
  });

  test("update and delete a deployment; the history says who did what, newest first", async () => {
    const u = await fx.call("PATCH", "/endpoints/scoring/deployments/green", { model_uri: "models:/fraud/3", replicas: 3 }, as("dave"));
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.deployment.model_version, "3");
    assert.equal(u.json.deployment.replicas, 3);
    assert.equal(u.json.deployment.follow_alias, undefined);
    assert.equal((await fx.call("DELETE", "/endpoints/scoring/deployments/green", undefined, as("dave"))).status, 200);
    const ep = (await fx.call("GET", "/endpoints/scoring", undefined, CICLO)).json.endpoint;
    assert.deepEqual(ep.mirror_traffic, {}, "the deleted deployment's mirror share went with it");
    const h = (await fx.call("GET", "/endpoints/scoring/history", undefined, CICLO)).json.history;
    assert.deepEqual(
      h.map((x: any) => [x.action, x.deployment ?? null, x.actor ?? null]),
      [
        ["deployment.deleted", "green", "dave"],
        ["deployment.updated", "green", "dave"],
        ["traffic.set", null, "carol"],
        ["traffic.set", null, "carol"],
        ["deployment.created", "green", "bob"],
        ["traffic.set", "blue", "alice"],
        ["deployment.created", "blue", "alice"],
        ["endpoint.created", null, "alice"],
      ],
    );
    assert.equal(h[3].reason, "canary by hand");
    assert.deepEqual(h[3].detail.traffic, { blue: 90, green: 10 });
    assert.equal((await fx.call("DELETE", "/endpoints/scoring", undefined, CICLO)).status, 200);
    expectError(await fx.call("GET", "/endpoints/scoring", undefined, CICLO), 404, "RESOURCE_DOES_NOT_EXIST", /does not exist/);
    expectError(await fx.request("POST", "/endpoints/scoring/invocations", "{}", { "content-type": "application/json" }), 404, "RESOURCE_DOES_NOT_EXIST", /scoring/);
  });
});
