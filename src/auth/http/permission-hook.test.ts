/**
 * The permission check end to end on the real app: creator MANAGE, the
 * default permission, NO_PERMISSIONS hiding existence, EDIT vs MANAGE,
 * resources named in bodies (model version run_id/source), the artifact
 * proxy's paths, filtered searches, tokens and lockout.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError } from "../../testing/test-app.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "./auth-test-app.js";

const API = "/api/2.0/mlflow";

describe("permission check (default READ)", () => {
  let fx: AuthTestApp;
  let alice: { username: string; password: string };
  let bob: { username: string; password: string };
  let exp: string;
  let run: string;
  before(async () => {
    fx = await openAuthTestApp();
    alice = await fx.addUser("alice");
    bob = await fx.addUser("bob");
    const r = await fx.as(alice, "POST", `${API}/experiments/create`, { name: "alice-exp" });
    assert.equal(r.status, 200, r.text);
    exp = r.json.experiment_id;
    const rr = await fx.as(alice, "POST", `${API}/runs/create`, { experiment_id: exp, start_time: 1 });
    assert.equal(rr.status, 200, rr.text);
    run = rr.json.run.info.run_id;
  });
  after(() => fx?.close());

  test("no credentials: 401 with MLflow's envelope and a Basic challenge; public routes stay open", async () => {
    const r = await fx.as(undefined, "GET", `${API}/experiments/get?experiment_id=${exp}`);
    assertError(r, 401, "UNAUTHENTICATED");
    assert.match(String(r.headers["www-authenticate"]), /^Basic realm="ciclo"/);
    assert.equal((await fx.as(undefined, "GET", "/health")).status, 200);
    assertError(await fx.as({ username: "alice", password: "wrong-password" }, "GET", `${API}/experiments/get?experiment_id=${exp}`), 401, "UNAUTHENTICATED");
  });

  test("the creator gets MANAGE; others get the default READ: read yes, write 403", async () => {
    const perm = await fx.as(ADMIN, "GET", `${API}/experiments/permissions/get?experiment_id=${exp}&username=alice`);
    assert.deepEqual(perm.json, { experiment_permission: { experiment_id: exp, user_id: perm.json.experiment_permission.user_id, permission: "MANAGE" } });
    assert.equal((await fx.as(bob, "GET", `${API}/experiments/get?experiment_id=${exp}`)).status, 200);
    assert.equal((await fx.as(bob, "GET", `${API}/runs/get?run_id=${run}`)).status, 200);
    assertError(await fx.as(bob, "POST", `${API}/runs/log-metric`, { run_id: run, key: "m", value: 1, timestamp: 1 }), 403, "PERMISSION_DENIED");
    assertError(await fx.as(bob, "POST", `${API}/runs/create`, { experiment_id: exp }), 403, "PERMISSION_DENIED");
    assertError(await fx.as(bob, "POST", `${API}/experiments/delete`, { experiment_id: exp }), 403, "PERMISSION_DENIED");
    assert.equal((await fx.as(alice, "POST", `${API}/runs/log-metric`, { run_id: run, key: "m", value: 1, timestamp: 1 })).status, 200);
  });

  test("EDIT may write but not delete (CVE-2024-4263); MANAGE may delete", async () => {
    const grant = await fx.as(alice, "POST", `${API}/experiments/permissions/create`, { experiment_id: exp, username: "bob", permission: "EDIT" });
    assert.equal(grant.status, 200, grant.text);
    assert.equal((await fx.as(bob, "POST", `${API}/runs/set-tag`, { run_id: run, key: "k", value: "v" })).status, 200);
    assertError(await fx.as(bob, "POST", `${API}/runs/delete`, { run_id: run }), 403, "PERMISSION_DENIED");
    // bob cannot manage permissions with EDIT
    assertError(await fx.as(bob, "PATCH", `${API}/experiments/permissions/update`, { experiment_id: exp, username: "bob", permission: "MANAGE" }), 403, "PERMISSION_DENIED");
    await fx.as(alice, "DELETE", `${API}/experiments/permissions/delete`, { experiment_id: exp, username: "bob" });
    assertError(await fx.as(bob, "POST", `${API}/runs/set-tag`, { run_id: run, key: "k", value: "v" }), 403, "PERMISSION_DENIED");
  });

  test("NO_PERMISSIONS: the experiment, its runs and artifacts answer exactly as missing ones", async () => {
    await fx.as(alice, "POST", `${API}/experiments/permissions/create`, { experiment_id: exp, username: "bob", permission: "NO_PERMISSIONS" });
    const hidden = await fx.as(bob, "GET", `${API}/experiments/get?experiment_id=${exp}`);
    const missing = await fx.as(bob, "GET", `${API}/experiments/get?experiment_id=987654`);
    assertError(hidden, 404, "RESOURCE_DOES_NOT_EXIST", `No Experiment with id=${exp} exists`);
    assertError(missing, 404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=987654 exists");
    assertError(await fx.as(bob, "GET", `${API}/experiments/get-by-name?experiment_name=alice-exp`), 404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name 'alice-exp'");
    assertError(await fx.as(bob, "GET", `${API}/experiments/get-by-name?experiment_name=nope`), 404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name 'nope'");
    assertError(await fx.as(bob, "GET", `${API}/runs/get?run_id=${run}`), 404, "RESOURCE_DOES_NOT_EXIST", `Run with id=${run} not found`);
    assertError(await fx.as(bob, "GET", `${API}/runs/get?run_id=0123456789abcdef0123456789abcdef`), 404, "RESOURCE_DOES_NOT_EXIST", "Run with id=0123456789abcdef0123456789abcdef not found");
    // the artifact proxy: path -> experiment
    fx.putArtifact(`${exp}/${run}/artifacts/secret.txt`, "weights");
    assert.equal((await fx.as(alice, "GET", `/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/secret.txt`)).text, "weights");
    assertError(await fx.as(bob, "GET", `/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/secret.txt`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.as(bob, "GET", `/get-artifact?run_uuid=${run}&path=secret.txt`), 404, "RESOURCE_DOES_NOT_EXIST");
    const before = fx.snapshotWorld();
    const put = await fx.as(bob, "PUT", `/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/evil.txt`, "x", { "content-type": "application/octet-stream" });
    assert.ok(put.status === 404 || put.status === 403, put.text);
    assert.deepEqual(fx.snapshotWorld(), before, "a refused upload writes nothing");
    // the proxy's root and paths outside every experiment are the admins'
    assertError(await fx.as(bob, "GET", `/api/2.0/mlflow-artifacts/artifacts`), 403, "PERMISSION_DENIED");
    assertError(await fx.as(bob, "GET", `/api/2.0/mlflow-artifacts/artifacts/elsewhere/x.txt`), 403, "PERMISSION_DENIED");
    // searches leave it out instead of failing
    const search = await fx.as(bob, "POST", `${API}/experiments/search`, { max_results: 100 });
    assert.equal(search.status, 200, search.text);
    assert.ok(!(search.json.experiments ?? []).some((e: { experiment_id: string }) => e.experiment_id === exp));
    const mine = await fx.as(alice, "POST", `${API}/experiments/search`, { max_results: 100 });
    assert.ok(mine.json.experiments.some((e: { experiment_id: string }) => e.experiment_id === exp));
    const runs = await fx.as(bob, "POST", `${API}/runs/search`, { experiment_ids: [exp] });
    assert.equal(runs.status, 200, runs.text);
    assert.deepEqual(runs.json.runs ?? [], []);
    assert.equal((await fx.as(alice, "POST", `${API}/runs/search`, { experiment_ids: [exp] })).json.runs.length, 1);
    await fx.as(alice, "DELETE", `${API}/experiments/permissions/delete`, { experiment_id: exp, username: "bob" });
  });

  test("a model version's run_id and source need READ on what they name (GHSA-gqch-g4w5-7qcw)", async () => {
    await fx.as(alice, "POST", `${API}/experiments/permissions/create`, { experiment_id: exp, username: "bob", permission: "NO_PERMISSIONS" });
    assert.equal((await fx.as(bob, "POST", `${API}/registered-models/create`, { name: "bob-model" })).status, 200);
    const tables = await fx.snapshotTables(["model_versions"]);
    for (const body of [
      { name: "bob-model", source: `runs:/${run}/model` },
      // The registry reads the scheme in any case: so must the check.
      { name: "bob-model", source: `Runs:/${run}` },
      { name: "bob-model", source: `RUNS:///${run}/model` },
      { name: "bob-model", source: `mlflow-artifacts:/${exp}/${run}/artifacts/model`, run_id: run },
      { name: "bob-model", source: `mlflow-artifacts:/${exp}/${run}/artifacts/model` },
      { name: "bob-model", source: "s3://elsewhere/model", run_id: run },
    ]) {
      const r = await fx.as(bob, "POST", `${API}/model-versions/create`, body);
      assertError(r, 404, "RESOURCE_DOES_NOT_EXIST");
    }
    assertError(await fx.as(bob, "POST", `${API}/model-versions/create`, { name: "bob-model", source: "mlflow-artifacts:/" }), 403, "PERMISSION_DENIED");
    assert.deepEqual(await fx.snapshotTables(["model_versions"]), tables, "nothing created");
    await fx.as(alice, "DELETE", `${API}/experiments/permissions/delete`, { experiment_id: exp, username: "bob" });
  });

  test("registered models: creator MANAGE, search filtered, rename carries permissions", async () => {
    assert.equal((await fx.as(alice, "POST", `${API}/registered-models/create`, { name: "alice-model" })).status, 200);
    await fx.as(alice, "POST", `${API}/registered-models/permissions/create`, { name: "alice-model", username: "bob", permission: "NO_PERMISSIONS" });
    assertError(await fx.as(bob, "GET", `${API}/registered-models/get?name=alice-model`), 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=alice-model not found");
    const s = await fx.as(bob, "GET", `${API}/registered-models/search?max_results=100`);
    assert.ok(!(s.json.registered_models ?? []).some((m: { name: string }) => m.name === "alice-model"), s.text);
    assert.ok((s.json.registered_models ?? []).some((m: { name: string }) => m.name === "bob-model"), s.text);
    assert.equal((await fx.as(alice, "POST", `${API}/registered-models/rename`, { name: "alice-model", new_name: "alice-model-2" })).status, 200);
    assertError(await fx.as(bob, "GET", `${API}/registered-models/get?name=alice-model-2`), 404, "RESOURCE_DOES_NOT_EXIST");
    const p = await fx.as(alice, "GET", `${API}/registered-models/permissions/get?name=alice-model-2&username=alice`);
    assert.equal(p.json.registered_model_permission.permission, "MANAGE", p.text);
  });

  test("users: admin-only creation (CVE-2023-6014), own account only, weak passwords refused", async () => {
    assertError(await fx.as(undefined, "POST", `${API}/users/create`, { username: "eve", password: "eve-password-1" }), 401, "UNAUTHENTICATED");
    assertError(await fx.as(bob, "POST", `${API}/users/create`, { username: "eve", password: "eve-password-1" }), 403, "PERMISSION_DENIED");
    assertError(await fx.as(bob, "GET", `${API}/users/get?username=alice`), 403, "PERMISSION_DENIED");
    const me = await fx.as(bob, "GET", `${API}/users/get?username=bob`);
    assert.equal(me.json.user.username, "bob");
    assert.equal(me.json.user.is_admin, false);
    assertError(await fx.as(bob, "PATCH", `${API}/users/update-password`, { username: "alice", password: "new-password-1" }), 403, "PERMISSION_DENIED");
    assertError(await fx.as(ADMIN, "POST", `${API}/users/create`, { username: "weak", password: "short" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.as(ADMIN, "POST", `${API}/users/create`, { username: "alice", password: "whatever-long" }), 400, "RESOURCE_ALREADY_EXISTS", "User (username=alice) already exists.");
    assertError(await fx.as(ADMIN, "POST", `${API}/experiments/permissions/create`, { experiment_id: exp, username: "bob", permission: "OWNER" }), 400, "INVALID_PARAMETER_VALUE", /Invalid permission 'OWNER'/);
  });

  test("tokens: shown once, hashed at rest, Bearer and Basic, revoke, expiry, last used", async () => {
    const created = await fx.as(bob, "POST", "/api/ciclo/v1/auth/tokens", { name: "ci" });
    assert.equal(created.status, 200, created.text);
    const token: string = created.json.token;
    assert.match(token, /^ciclo_[A-Za-z0-9_-]{40,}$/);
    const rows = await fx.snapshotTables(["auth_tokens"]);
    assert.ok(!JSON.stringify(rows).includes(token), "the token itself is not stored");
    assert.equal((await fx.as({ token }, "GET", `${API}/experiments/get?experiment_id=${exp}`)).status, 200);
    assert.equal((await fx.as({ username: "bob", password: token }, "GET", `${API}/experiments/get?experiment_id=${exp}`)).status, 200);
    const listed = await fx.as(bob, "GET", "/api/ciclo/v1/auth/tokens");
    assert.ok(!listed.text.includes(token));
    assert.ok(listed.json.tokens[0].last_used_at > 0);
    assertError(await fx.as(alice, "POST", "/api/ciclo/v1/auth/tokens/revoke", { id: created.json.token_info.id, username: "bob" }), 403, "PERMISSION_DENIED");
    assert.equal((await fx.as(bob, "POST", "/api/ciclo/v1/auth/tokens/revoke", { id: created.json.token_info.id })).status, 200);
    assertError(await fx.as({ token }, "GET", `${API}/experiments/get?experiment_id=${exp}`), 401, "UNAUTHENTICATED");
    // a service account signs in with tokens only
    assert.equal((await fx.as(ADMIN, "POST", "/api/ciclo/v1/auth/service-accounts", { username: "ci-bot" })).status, 200);
    const bot = await fx.as(ADMIN, "POST", "/api/ciclo/v1/auth/tokens", { username: "ci-bot", expires_in_days: 30 });
    assert.ok(bot.json.token_info.expires_at > Date.now());
    const who = await fx.as({ token: bot.json.token }, "GET", "/api/ciclo/v1/auth/me");
    assert.deepEqual([who.json.user.username, who.json.user.is_service_account, who.json.via], ["ci-bot", true, "token"]);
  });

  test("the registry's audit history names the signed-in user, however they signed in", async () => {
    const created = await fx.as(bob, "POST", "/api/ciclo/v1/auth/tokens", { name: "audit" });
    assert.equal(created.status, 200, created.text);
    const token: string = created.json.token;
    assert.equal((await fx.as(bob, "POST", `${API}/registered-models/create`, { name: "audited-by-bob" })).status, 200);
    // A Bearer token carries no user name: the history must still name its owner, not null.
    const set = await fx.as({ token }, "POST", `${API}/registered-models/set-tag`, { name: "audited-by-bob", key: "stage", value: "qa" });
    assert.equal(set.status, 200, set.text);
    const history = await fx.as(bob, "GET", "/api/ciclo/v1/registered-models/history?name=audited-by-bob");
    assert.equal(history.status, 200, history.text);
    const byAction = (history.json.events as Array<{ actor: string | null; entity: string; action: string }>).map((e) => [e.entity, e.action, e.actor]);
    assert.deepEqual(byAction, [
      ["registered_model_tag", "set", "bob"],
      ["registered_model", "created", "bob"],
    ]);
  });

  test("failed sign-ins lock the account and are in the admin's audit log", async () => {
    const carol = await fx.addUser("carol");
    for (let i = 0; i < 10; i++) {
      assertError(await fx.as({ username: "carol", password: `wrong-${i}-password` }, "GET", `${API}/experiments/search`), 401, "UNAUTHENTICATED");
    }
    // Locked: her right password is refused too, as an unknown name's would be (no 429 that tells the name exists).
    const locked = await fx.as(carol, "GET", `${API}/experiments/search`);
    assertError(locked, 401, "UNAUTHENTICATED");
    const unknown = await fx.as({ username: "not-carol", password: carol.password }, "GET", `${API}/experiments/search`);
    assert.deepEqual([locked.json, locked.headers["www-authenticate"], locked.headers["retry-after"]], [unknown.json, unknown.headers["www-authenticate"], unknown.headers["retry-after"]]);
    assertError(await fx.as(bob, "GET", "/api/ciclo/v1/auth/audit"), 403, "PERMISSION_DENIED");
    const audit = await fx.as(ADMIN, "GET", "/api/ciclo/v1/auth/audit?type=user.locked");
    assert.deepEqual(audit.json.events.map((e: { subject: string }) => e.subject), ["carol"]);
    const failed = await fx.as(ADMIN, "GET", "/api/ciclo/v1/auth/audit?type=login.failed&max_results=1000");
    assert.ok(failed.json.events.filter((e: { subject: string }) => e.subject === "carol").length >= 10);
  });
});

describe("answers about one resource that name others (default NO_PERMISSIONS)", () => {
  let fx: AuthTestApp;
  let alice: { username: string; password: string };
  let bob: { username: string; password: string };
  let exp: string;
  let run: string;
  before(async () => {
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS" });
    alice = await fx.addUser("alice");
    bob = await fx.addUser("bob");
    exp = (await fx.as(alice, "POST", `${API}/experiments/create`, { name: "shared-exp" })).json.experiment_id;
    run = (await fx.as(alice, "POST", `${API}/runs/create`, { experiment_id: exp, start_time: 1 })).json.run.info.run_id;
    await fx.as(alice, "POST", `${API}/runs/log-parameter`, { run_id: run, key: "secret_param", value: "secret-value" });
    assert.equal((await fx.as(alice, "POST", `${API}/registered-models/create`, { name: "secret-model" })).status, 200);
    const mv = await fx.as(alice, "POST", `${API}/model-versions/create`, { name: "secret-model", source: `runs:/${run}/model`, run_id: run });
    assert.equal(mv.status, 200, mv.text);
  });
  after(() => fx?.close());

  test("a run's models leave out the registered models the caller may not read", async () => {
    await fx.as(alice, "POST", `${API}/experiments/permissions/create`, { experiment_id: exp, username: "bob", permission: "READ" });
    const theirs = await fx.as(bob, "POST", "/api/ciclo/v1/runs/models", { run_ids: [run] });
    assert.equal(theirs.status, 200, theirs.text);
    assert.deepEqual(theirs.json.model_versions, []);
    assert.ok(!theirs.text.includes("secret-model"), theirs.text);
    const hers = await fx.as(alice, "POST", "/api/ciclo/v1/runs/models", { run_ids: [run] });
    assert.deepEqual(hers.json.model_versions.map((v: { name: string }) => v.name), ["secret-model"]);
    await fx.as(alice, "DELETE", `${API}/experiments/permissions/delete`, { experiment_id: exp, username: "bob" });
  });

  test("a models:/ source is checked on the model the registry resolves, not on another spelling of it", async () => {
    // Names MLflow allows: '@' and '%' in a model's name. The check read `models:/x@y@a` as model 'x' and
    // decoded `models:/ab%2540c/1` to 'ab%40c'; the registry reads 'x@y' and 'ab%2540c'.
    for (const name of ["x@y", "ab%2540c"]) assert.equal((await fx.as(alice, "POST", `${API}/registered-models/create`, { name })).status, 200);
    const v = await fx.as(alice, "POST", `${API}/model-versions/create`, { name: "x@y", source: `runs:/${run}/model`, run_id: run });
    assert.equal(v.status, 200, v.text);
    await fx.as(alice, "POST", `${API}/registered-models/alias`, { name: "x@y", alias: "a", version: "1" });
    assert.equal((await fx.as(alice, "POST", `${API}/model-versions/create`, { name: "ab%2540c", source: `runs:/${run}/model`, run_id: run })).status, 200);
    for (const name of ["x", "ab%40c", "bob-target"]) assert.equal((await fx.as(bob, "POST", `${API}/registered-models/create`, { name })).status, 200);
    for (const source of ["models:/x@y@a", "models:/ab%2540c/1"]) {
      const r = await fx.as(bob, "POST", `${API}/model-versions/create`, { name: "bob-target", source });
      assertError(r, 404, "RESOURCE_DOES_NOT_EXIST");
    }
    const mine = await fx.as(bob, "POST", `${API}/model-versions/search`, { filter: "name='bob-target'" });
    assert.ok(!JSON.stringify(mine.json ?? {}).includes("models:/"), mine.text);
  });

  test("a model version's lineage shows its run only to those who may read the run's experiment", async () => {
    await fx.as(alice, "POST", `${API}/registered-models/permissions/create`, { name: "secret-model", username: "bob", permission: "READ" });
    const theirs = await fx.as(bob, "GET", "/api/ciclo/v1/model-versions/lineage?name=secret-model&version=1");
    assert.equal(theirs.status, 200, theirs.text);
    assert.equal(theirs.json.model_version.name, "secret-model");
    assert.equal(theirs.json.run, undefined);
    assert.equal(theirs.json.experiment, undefined);
    assert.deepEqual(theirs.json.params, []);
    assert.ok(!theirs.text.includes("secret_param") && !theirs.text.includes("shared-exp"), theirs.text);
    assert.match(theirs.json.warnings.join(" "), /not shared with you/);
    const hers = await fx.as(alice, "GET", "/api/ciclo/v1/model-versions/lineage?name=secret-model&version=1");
    assert.deepEqual(hers.json.params, [{ key: "secret_param", value: "secret-value" }]);
    assert.equal(hers.json.experiment.name, "shared-exp");
  });
});
