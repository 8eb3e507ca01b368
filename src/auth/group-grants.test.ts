/**
 * Identity provider groups mapped to permissions (`CICLO_OIDC_GROUP_PERMISSIONS`):
 * the two ways to write the mapping and their errors; then, on the real app
 * (default NO_PERMISSIONS), on SQLite and on PostgreSQL (skipped with the
 * reason when it is unreachable, failing under CICLO_REQUIRE_ALL=1), an SSO
 * user's groups giving READ everywhere and EDIT on named experiments and
 * models, replaced at every sign-in, searches filtered accordingly, and a
 * per-user permission coming first.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { moduleServices } from "../server/app.js";
import { createTestDatabase, postgresUnavailable } from "../testing/postgres-fixture.js";
import { assertError } from "../testing/test-app.js";
import { grantsForGroups, parseGroupPermissions } from "./group-grants.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "./http/auth-test-app.js";

const API = "/api/2.0/mlflow";

test("the mapping: a list for one permission everywhere, JSON for named resources; errors name the entry", () => {
  assert.deepEqual(parseGroupPermissions(" data-science=edit, analysts=READ ,"), [
    { group: "data-science", permission: "EDIT" },
    { group: "analysts", permission: "READ" },
  ]);
  assert.deepEqual(parseGroupPermissions('{"a": "USE", "b": {"permission": "MANAGE", "models": ["fraud"]}}'), [
    { group: "a", permission: "USE" },
    { group: "b", permission: "MANAGE", models: ["fraud"] },
  ]);
  assert.deepEqual(parseGroupPermissions(undefined), []);
  assert.throws(() => parseGroupPermissions("data-science"), /'data-science' is not group=PERMISSION/);
  assert.throws(() => parseGroupPermissions("a=OWNER"), /'OWNER' is not a permission/);
  assert.throws(() => parseGroupPermissions('{"a": {"permission": "READ", "experiment": ["1"]}}'), /unknown key 'experiment'/);
  assert.throws(() => parseGroupPermissions('{"a": {"permission": "READ", "models": "fraud"}}'), /must be a list of names/);
  assert.throws(() => parseGroupPermissions("{not json"), /not valid JSON/);
  const mapping = parseGroupPermissions('{"r": "READ", "e": "EDIT", "f": {"permission": "MANAGE", "experiments": ["7"]}, "g": {"permission": "READ", "experiments": ["7"]}}');
  assert.deepEqual(grantsForGroups(mapping, ["r", "e", "f", "g"]), { all: "EDIT", experiments: { "7": "MANAGE" }, models: {} }, "the highest grant wins");
  assert.equal(grantsForGroups(mapping, ["sales"]), null);
});

const pgUnavailable = await postgresUnavailable();

for (const backend of ["sqlite", "postgres"] as const) describe(`SSO groups' permissions on the real app (default NO_PERMISSIONS, ${backend})`, { skip: backend === "postgres" && pgUnavailable }, () => {
  let fx: AuthTestApp;
  let token: string;
  const ids: Record<string, string> = {};
  const mapping = () => parseGroupPermissions(`{"readers": "READ", "fraud-team": {"permission": "EDIT", "experiments": ["${ids.fraud}"], "models": ["fraud"]}}`);
  const signIn = async (groups: string[]) => {
    const auth = moduleServices(fx.app).auth!.auth;
    return auth.ssoSignIn({ subject: "https://idp gina", username: "gina", isAdmin: false, grants: grantsForGroups(mapping(), groups) }, "127.0.0.1");
  };
  const gina = () => ({ token });

  before(async () => {
    const pg = backend === "postgres" ? await createTestDatabase() : undefined;
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS", backend: pg?.uri, onClose: pg && (() => pg.drop()) });
    for (const name of ["fraud", "churn"]) {
      const e = await fx.as(ADMIN, "POST", `${API}/experiments/create`, { name });
      assert.equal(e.status, 200, e.text);
      ids[name] = e.json.experiment_id;
      assert.equal((await fx.as(ADMIN, "POST", `${API}/registered-models/create`, { name })).status, 200);
    }
    await signIn(["readers", "fraud-team"]);
    const t = await fx.as(ADMIN, "POST", "/api/ciclo/v1/auth/tokens", { name: "t", username: "gina" });
    assert.equal(t.status, 200, t.text);
    token = t.json.token;
  });
  after(() => fx?.close());

  test("READ everywhere from one group, EDIT on the named experiment and model from another", async () => {
    await signIn(["readers", "fraud-team"]);
    assert.equal((await fx.as(gina(), "GET", `${API}/experiments/get?experiment_id=${ids.churn}`)).status, 200);
    assert.equal((await fx.as(gina(), "POST", `${API}/runs/create`, { experiment_id: ids.fraud })).status, 200);
    assertError(await fx.as(gina(), "POST", `${API}/runs/create`, { experiment_id: ids.churn }), 403, "PERMISSION_DENIED");
    assert.equal((await fx.as(gina(), "POST", `${API}/registered-models/set-tag`, { name: "fraud", key: "k", value: "v" })).status, 200);
    assertError(await fx.as(gina(), "POST", `${API}/registered-models/set-tag`, { name: "churn", key: "k", value: "v" }), 403, "PERMISSION_DENIED");
    const found = (await fx.as(gina(), "POST", `${API}/experiments/search`, { max_results: 100 })).json.experiments.map((e: { name: string }) => e.name);
    assert.ok(found.includes("fraud") && found.includes("churn"), found.join());
  });

  test("applied at every sign-in: leaving a group takes its grant away, and the audit log says so", async () => {
    await signIn(["fraud-team"]);
    assertError(await fx.as(gina(), "GET", `${API}/experiments/get?experiment_id=${ids.churn}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assert.equal((await fx.as(gina(), "GET", `${API}/experiments/get?experiment_id=${ids.fraud}`)).status, 200);
    const found = (await fx.as(gina(), "POST", `${API}/experiments/search`, { max_results: 100 })).json.experiments.map((e: { name: string }) => e.name);
    assert.deepEqual(found, ["fraud"]);
    const models = (await fx.as(gina(), "GET", `${API}/registered-models/search`)).json.registered_models.map((m: { name: string }) => m.name);
    assert.deepEqual(models, ["fraud"]);
    await signIn([]);
    assertError(await fx.as(gina(), "GET", `${API}/experiments/get?experiment_id=${ids.fraud}`), 404, "RESOURCE_DOES_NOT_EXIST");
    const audit = (await fx.as(ADMIN, "GET", "/api/ciclo/v1/auth/audit?type=user.group_permissions_changed")).json.events as Array<{ subject: string }>;
    assert.ok(audit.length >= 2 && audit.every((e) => e.subject === "gina"));
  });

  test("a permission stored for the user comes before the groups'", async () => {
    await signIn(["readers", "fraud-team"]);
    const r = await fx.as(ADMIN, "POST", `${API}/experiments/permissions/create`, { experiment_id: ids.fraud, username: "gina", permission: "READ" });
    assert.equal(r.status, 200, r.text);
    assertError(await fx.as(gina(), "POST", `${API}/runs/create`, { experiment_id: ids.fraud }), 403, "PERMISSION_DENIED");
  });
});
