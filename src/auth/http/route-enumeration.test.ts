/**
 * No route can be added unprotected: this test collects every route of the
 * app as the server builds it (Fastify's onRoute, from a module listed before
 * all others) and calls each one
 *  - without credentials: 401, unless the route declares itself public;
 *  - as a user with no permission on anything (default NO_PERMISSIONS),
 *    naming another user's experiment, run, logged model, registered model
 *    and artifacts in every field a route reads: refused (403/404), or — for
 *    the few routes any user may call (create, search) — answered without a
 *    trace of the other user's resources.
 * A new route that the check does not understand is refused to non-admins
 * (deny by default), so it passes here; one that leaks fails.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CicloModule } from "../../server/module.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "./auth-test-app.js";

interface SeenRoute {
  method: string;
  url: string;
  permission: string;
}

const routes: SeenRoute[] = [];
const spy: CicloModule = {
  id: "route-spy",
  init(ctx) {
    ctx.http.raw((app) => {
      app.addHook("onRoute", (r) => {
        for (const m of [r.method].flat()) {
          if (m === "HEAD") continue;
          routes.push({ method: m, url: r.url, permission: (r.config as { access?: { permission: string } } | undefined)?.access?.permission ?? "none" });
        }
      });
    });
  },
};

/** Routes any signed-in user may call; their answers must not show the other user's resources. */
const OPEN = [
  /\/experiments\/create$/,
  /\/experiments\/search$/,
  /\/registered-models\/search$/,
  /\/model-versions\/search$/,
  /\/logged-models\/search$/,
  /\/runs\/search$/,
  /\/runs\/(keys|count|group|export-csv)$/,
  /\/experiments\/summary$/,
  /\/auth\/me$/,
  // Pipeline runs and approvals: filtered by the runs' experiments (src/pipelines/http/pipelines-auth.test.ts has one to hide).
  /\/pipelines\/(runs|approvals)$/,
];
/** MLflow compat: creating a model whose name is taken says so (MLflow's auth does the same). */
const EXISTS_OK = [/\/registered-models\/create$/];

let fx: AuthTestApp;
let secret: { exp: string; expName: string; run: string; model: string; loggedModel: string };
const mallory = { username: "mallory", password: "mallory-password-1" };

before(async () => {
  fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS", before: [spy] });
  const alice = await fx.addUser("alice");
  await fx.addUser("mallory", mallory.password);
  const expName = "alice-secret-exp";
  const exp = (await fx.as(alice, "POST", "/api/2.0/mlflow/experiments/create", { name: expName })).json.experiment_id as string;
  const run = (await fx.as(alice, "POST", "/api/2.0/mlflow/runs/create", { experiment_id: exp, start_time: 1 })).json.run.info.run_id as string;
  await fx.as(alice, "POST", "/api/2.0/mlflow/runs/log-metric", { run_id: run, key: "alice_secret_metric", value: 1, timestamp: 1 });
  await fx.as(alice, "POST", "/api/2.0/mlflow/runs/log-parameter", { run_id: run, key: "alice_secret_param", value: "v" });
  const lm = await fx.as(alice, "POST", "/api/2.0/mlflow/logged-models", { experiment_id: exp, name: "alice-secret-lm", source_run_id: run });
  assert.equal(lm.status, 200, lm.text);
  const model = "alice-secret-model";
  assert.equal((await fx.as(alice, "POST", "/api/2.0/mlflow/registered-models/create", { name: model })).status, 200);
  const mv = await fx.as(alice, "POST", "/api/2.0/mlflow/model-versions/create", { name: model, source: `runs:/${run}/model`, run_id: run });
  assert.equal(mv.status, 200, mv.text);
  fx.putArtifact(`${exp}/${run}/artifacts/model/MLmodel`, "alice-secret-artifact");
  // Inference data of alice's model (monitoring), written by the admin: a route that reads it must check her model.
  const logged = await fx.as(ADMIN, "POST", "/api/ciclo/v1/monitoring/inference", { records: [{ model_name: model, model_version: "1", time: 1, status: 200, latency_ms: 1 }] });
  assert.equal(logged.status, 200, logged.text);
  assert.equal((await fx.as(ADMIN, "POST", "/api/ciclo/v1/monitoring/inference/flush", {})).status, 200);
  secret = { exp, expName, run, model, loggedModel: lm.json.model.info.model_id };
});
after(() => fx?.close());

function fill(url: string): string {
  return url
    .replace(":model_id", secret.loggedModel)
    .replace(":tag_key", "k")
    .replace(":job_id", "1")
    // A pipeline run is an MLflow run: a pipeline approval names alice's run.
    .replace(":run_id", secret.run)
    .replace("*", `${secret.exp}/${secret.run}/artifacts/model/MLmodel`);
}

function universalQuery(): string {
  const q = new URLSearchParams({
    experiment_id: secret.exp,
    experiment_ids: secret.exp,
    experiment_name: secret.expName,
    run_id: secret.run,
    run_uuid: secret.run,
    run_ids: secret.run,
    name: secret.model,
    model_name: secret.model,
    version: "1",
    alias: "a",
    path: "model/MLmodel",
    username: "alice",
    metric_key: "alice_secret_metric",
    max_results: "10",
    start_step: "0",
    end_step: "10",
    upload_id: "u",
    part_number: "1",
  });
  return q.toString();
}

function universalBody(): Record<string, unknown> {
  return {
    experiment_id: secret.exp,
    experiment_ids: [secret.exp],
    experiment_name: secret.expName,
    run_id: secret.run,
    run_uuid: secret.run,
    run_ids: [secret.run],
    model_id: secret.loggedModel,
    name: secret.model,
    model_name: secret.model,
    new_name: "stolen-model",
    version: "1",
    source: `runs:/${secret.run}/model`,
    key: "k",
    value: "v",
    alias: "a",
    stage: "Production",
    archive_existing_versions: false,
    description: "d",
    timestamp: 1,
    step: 0,
    metrics: [],
    params: [],
    tags: [],
    datasets: [],
    models: [{ model_id: secret.loggedModel }],
    model_json: "{}",
    status: "FINISHED",
    end_time: 2,
    path: "model/MLmodel",
    upload_id: "u",
    num_parts: 1,
    parts: [],
    group_by: "params.alice_secret_param",
    username: "alice",
    password: "new-password-1",
    permission: "MANAGE",
    is_admin: true,
    id: 1,
    max_results: 10,
  };
}

const leaks = (text: string) =>
  [secret.run, secret.loggedModel, secret.model, secret.expName, "alice_secret_metric", "alice_secret_param", "alice-secret-artifact"].filter((s) => text.includes(s));

test("every registered route is protected", async () => {
  assert.ok(routes.length > 150, `found only ${routes.length} routes`);
  const problems: string[] = [];
  let open = 0;
  for (const r of routes) {
    const url = fill(r.url);
    const withQuery = r.method === "GET" || r.method === "DELETE" || r.method === "PUT" ? `${url}?${universalQuery()}` : url;
    // mallory's own experiment must not carry alice's model name, or a search would rightly show it.
    const own = r.url.endsWith("/experiments/create") ? { name: `mallory-exp-${routes.indexOf(r)}` } : {};
    const body = r.method === "GET" ? undefined : r.method === "PUT" ? "payload" : { ...universalBody(), ...own };
    const headers = r.method === "PUT" ? { "content-type": "application/octet-stream" } : undefined;
    const anon = await fx.as(undefined, r.method, withQuery, body, headers);
    if (r.permission === "public") {
      // The UI's sign-in form is public; its 401 refuses the (wrong) password it was sent, without a challenge.
      const refusedSignIn = r.url.endsWith("/auth/login") && String(anon.json?.message).startsWith("Invalid username or password.") && !anon.headers["www-authenticate"];
      if (anon.status === 401 && !refusedSignIn) problems.push(`${r.method} ${r.url}: public route asks for credentials`);
      continue;
    }
    if (anon.status !== 401) problems.push(`${r.method} ${r.url}: anonymous got ${anon.status} ${anon.text.slice(0, 120)}`);
    let m = await fx.as(mallory, r.method, withQuery, body, headers);
    // `value` is a string for tags and params, a number for metrics: a second try with the other shape.
    if (m.status === 400 && body && typeof body === "object") m = await fx.as(mallory, r.method, withQuery, { ...body, value: 1 }, headers);
    // A refusal may echo what the caller sent ("Run with id=… not found"); an answer must show nothing of alice's.
    const leaked = m.status < 300 ? leaks(m.text) : [];
    if (leaked.length > 0) problems.push(`${r.method} ${r.url}: leaks ${leaked.join(", ")} (${m.status})`);
    if (m.status >= 400 && OPEN.some((p) => p.test(r.url))) {
      // An open route refuses stray fields naming alice's resources; called as a client would, it answers without them.
      const q = r.url.endsWith("/auth/me") ? url : `${url}?experiment_ids=${secret.exp}&max_results=10`;
      m = await fx.as(mallory, r.method, r.method === "GET" ? q : url, r.method === "GET" ? undefined : { experiment_ids: [secret.exp], max_results: 10, name: `mallory-${open}`, group_by: "params.alice_secret_param" });
      const again = leaks(m.text);
      if (again.length > 0) problems.push(`${r.method} ${r.url}: leaks ${again.join(", ")} (${m.status})`);
    }
    if (m.status === 401 || m.status === 403 || m.status === 404) continue;
    if (m.status < 300 && OPEN.some((p) => p.test(r.url))) {
      open++;
      continue;
    }
    if (m.status === 400 && m.json?.error_code === "RESOURCE_ALREADY_EXISTS" && EXISTS_OK.some((p) => p.test(r.url))) continue;
    problems.push(`${r.method} ${r.url}: a user without permission got ${m.status} ${m.text.slice(0, 160)}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(open > 5, "the open routes were exercised");
  // and the admin still reads everything
  const adm = await fx.as(ADMIN, "GET", `/api/2.0/mlflow/runs/get?run_id=${secret.run}`);
  assert.equal(adm.status, 200, adm.text);
  // nothing the calls tried changed alice's resources
  const mine = await fx.as(ADMIN, "GET", `/api/2.0/mlflow/registered-models/get?name=${secret.model}`);
  assert.equal(mine.status, 200, mine.text);
});

/**
 * The confused deputy: the check must read the field the handler acts on. Mallory names her own experiment,
 * run or model in the field a permission check reads (`experiment_id`, `run_id`/`run_uuid`, `name`) and
 * alice's everywhere else (`model_name`, ...); an answer showing alice's resources means the route checked
 * one field and read another (monitoring's routes checked `name` and read `model_name`).
 */
test("a permission on one's own resource does not open another's named in a different field", async () => {
  const own = await fx.as(mallory, "POST", "/api/2.0/mlflow/experiments/create", { name: "mallory-own-exp" });
  const ownRun = (await fx.as(mallory, "POST", "/api/2.0/mlflow/runs/create", { experiment_id: own.json.experiment_id, start_time: 1 })).json.run.info.run_id as string;
  assert.equal((await fx.as(mallory, "POST", "/api/2.0/mlflow/registered-models/create", { name: "mallory-own-model" })).status, 200);
  const variants: Record<string, string>[] = [
    { experiment_id: own.json.experiment_id },
    { run_id: ownRun, run_uuid: ownRun },
    { name: "mallory-own-model" },
    { experiment_id: own.json.experiment_id, run_id: ownRun, run_uuid: ownRun, name: "mallory-own-model" },
  ];
  const problems: string[] = [];
  for (const r of routes) {
    if (r.permission === "public" || OPEN.some((p) => p.test(r.url)) || EXISTS_OK.some((p) => p.test(r.url))) continue;
    for (const v of variants) {
      const url = fill(r.url);
      const q = new URLSearchParams(universalQuery());
      for (const [k, x] of Object.entries(v)) q.set(k, x);
      const withQuery = r.method === "GET" || r.method === "DELETE" || r.method === "PUT" ? `${url}?${q}` : url;
      const body = r.method === "GET" ? undefined : r.method === "PUT" ? "payload" : { ...universalBody(), ...v };
      const headers = r.method === "PUT" ? { "content-type": "application/octet-stream" } : undefined;
      const m = await fx.as(mallory, r.method, withQuery, body, headers);
      // Creating a logged model answers with the name it was given (here alice's model's name): an echo, not a leak.
      const echoed = r.method === "POST" && /\/logged-models$/.test(r.url) ? [secret.model] : [];
      const leaked = m.status < 300 ? leaks(m.text).filter((x) => !echoed.includes(x)) : [];
      if (leaked.length > 0) problems.push(`${r.method} ${r.url} with mallory's ${Object.keys(v).join("/")}: leaks ${leaked.join(", ")} (${m.status})`);
    }
  }
  assert.deepEqual(problems, []);
});
