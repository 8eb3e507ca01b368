/**
 * A deployment's env naming a secret, end to end on a real server (loopback,
 * authentication on, SQLite) whose local target starts a stand-in model
 * server (a small Node script that answers the SHA-256 of its API_KEY):
 * - the model server's environment has the value, its command line does not;
 * - the API shows the reference `{secret: name}`, never the value; neither
 *   the deployments table nor any other row holds it; the server's log (pino
 *   at trace level, captured) never prints it;
 * - a missing secret is a 400 naming it, with nothing written; an update
 *   that names one is checked the same way;
 * - a user who may not use secrets (not an admin) is refused by the service;
 * - a rotated secret reaches the next model server started;
 * - the container target passes it as `-e NAME` with the value in podman's
 *   environment, the kubernetes target as a Secret and `secretKeyRef`
 *   (applied to the API stand-in: the Secret first, deleted when the env no
 *   longer names one and with the deployment; never asked for otherwise).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { pino } from "pino";
import { serverModules } from "../modules.js";
import { resolveServerConfig } from "../server/config.js";
import { startServer, type RunningServer } from "../server/main.js";
import { basic } from "../auth/http/auth-test-app.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import type { Deployment } from "./endpoints/endpoint-types.js";
import { deploymentsModule } from "./http/deployments-module.js";
import { containerRunner } from "./targets/container-runner.js";
import { KubeConfig } from "@kubernetes/client-node";
import { KubernetesApiStandIn } from "../testing/k8s-api-stand-in.js";
import type { DeploymentSecrets } from "./endpoints/deployment-secrets.js";
import { kubernetesObjects } from "./targets/k8s-deployment-objects.js";
import { KubernetesTarget } from "./targets/kubernetes-target.js";

const ADMIN = { username: "admin", password: "admin-password-1" };
const VALUE = `sk-live-${randomBytes(12).toString("hex")}`;
const ROTATED = `sk-rotated-${randomBytes(12).toString("hex")}`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

const STAND_IN = `import http from "node:http";
import { createHash } from "node:crypto";
const s = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ predictions: [createHash("sha256").update(process.env.API_KEY ?? "").digest("hex")], level: process.env.LOG_LEVEL ?? null }));
  });
});
s.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "ciclo scoring server listening", url: "http://127.0.0.1:" + s.address().port }));
  console.log(JSON.stringify({ msg: "ciclo scoring server ready" }));
});
process.on("SIGTERM", () => s.close(() => process.exit(0)));
`;

describe("deployments naming secrets", () => {
  const dir = tempDir("ciclo-deploy-secrets-");
  const logged: string[] = [];
  let server: RunningServer;
  const call = async (method: string, path: string, body?: unknown, who = ADMIN) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: basic(who.username, who.password), ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
  };
  const api = (method: string, path: string, body?: unknown) => call(method, `/api/ciclo/v1${path}`, body);

  before(async () => {
    const script = join(dir.path, "stand-in.mjs");
    writeFileSync(script, STAND_IN);
    const base = resolveServerConfig({ backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`, artifactsDestination: join(dir.path, "artifacts"), host: "127.0.0.1", port: 0, logLevel: "trace", jobPollMs: 25 }, {});
    const config = { ...base, auth: { enabled: true, adminUsername: ADMIN.username, adminPassword: ADMIN.password, secretsKey: randomBytes(32).toString("base64") } };
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    });
    const modules = serverModules(config).map((m) =>
      m.id === "deployments" ? deploymentsModule({ command: [process.execPath, script], childEnv: { PATH: process.env.PATH }, backoff: { baseMs: 100, maxMs: 1_000 }, drainSeconds: 1 }) : m,
    );
    server = await startServer(config, { modules, logger: pino({ level: "trace" }, sink) });
    assert.equal((await api("POST", "/secrets/create", { name: "payments-key", value: VALUE })).status, 200);
    assert.equal((await call("POST", "/api/2.0/mlflow/registered-models/create", { name: "fraud" })).status, 200);
    const v = await call("POST", "/api/2.0/mlflow/model-versions/create", { name: "fraud", source: "mlflow-artifacts:/models/fraud" });
    assert.equal(v.status, 200, v.text);
    assert.equal((await api("POST", "/endpoints", { name: "pay" })).status, 200);
  });
  after(async () => {
    await server?.close();
    dir.remove();
  });

  const replicas = () =>
    waitFor(
      async () => (await api("GET", "/endpoints/pay/deployments/blue")).json.deployment,
      (d) => d.health.ready_replicas === 1 && d.health.replicas.length === 1,
      { what: "blue ready", timeoutMs: 30_000, intervalMs: 50 },
    );
  const answer = async () => (await call("POST", "/endpoints/pay/invocations", { dataframe_records: [{ x: 1 }] })).json;

  test("the model server gets the value in its environment; the API, the rows and the log never show it", async () => {
    const created = await api("POST", "/endpoints/pay/deployments", { name: "blue", model_uri: "models:/fraud/1", env: { API_KEY: { secret: "payments-key" }, LOG_LEVEL: "debug" } });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(created.json.deployment.env, { API_KEY: { secret: "payments-key" }, LOG_LEVEL: "debug" });
    const d = await replicas();
    assert.deepEqual(await answer(), { predictions: [sha(VALUE)], level: "debug" });
    // With authentication on, a plain scoring request on a real socket still meets the permission hook (no fast path).
    const anonymous = await fetch(`${server.url}/endpoints/pay/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"dataframe_records": [{"x": 1}]}' });
    assert.equal(anonymous.status, 401, await anonymous.text());
    const pid = d.health.replicas[0].pid as number;
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(VALUE), "not on the command line");
    assert.ok(readFileSync(`/proc/${pid}/environ`, "utf8").split("\u0000").includes(`API_KEY=${VALUE}`), "in the environment");

    for (const path of ["/endpoints", "/endpoints/pay", "/endpoints/pay/deployments/blue", "/endpoints/pay/history", "/endpoints/pay/deployments/blue/logs", "/secrets/list", "/endpoints-routes"]) {
      const r = await api("GET", path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.ok(!r.text.includes(VALUE), `${path} shows the value`);
    }
    const db = new Database(join(dir.path, "ciclo.db"), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      for (const { name } of tables) assert.ok(!JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all()).includes(VALUE), `table ${name} holds the value`);
      const row = db.prepare("SELECT env FROM deployment_deployments").get() as { env: string };
      assert.deepEqual(JSON.parse(row.env).API_KEY, { secret: "payments-key" });
    } finally {
      db.close();
    }
    assert.ok(logged.some((l) => l.includes("deployments: replica ready")), "the deployments module's own lines are captured");
    assert.ok(!logged.join("").includes(VALUE), "the log shows the value");
  });

  test("a missing secret is a 400 naming it, and nothing is written", async () => {
    const before = await api("GET", "/endpoints/pay/history");
    const r = await api("POST", "/endpoints/pay/deployments", { name: "green", model_uri: "models:/fraud/1", env: { API_KEY: { secret: "no-such-key" } } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
    assert.match(r.json.message, /secret 'no-such-key', which does not exist/);
    assert.equal((await api("GET", "/endpoints/pay/deployments/green")).status, 404);
    const u = await api("PATCH", "/endpoints/pay/deployments/blue", { env: { API_KEY: { secret: "no-such-key" } } });
    assert.equal(u.status, 400, u.text);
    assert.deepEqual((await api("GET", "/endpoints/pay/deployments/blue")).json.deployment.env.API_KEY, { secret: "payments-key" });
    assert.equal((await api("GET", "/endpoints/pay/history")).json.history.length, before.json.history.length);
    const bad = await api("POST", "/endpoints/pay/deployments", { name: "green", model_uri: "models:/fraud/1", env: { API_KEY: { secret: "../etc" } } });
    assert.equal(bad.status, 400, bad.text);
  });

  test("only a user who may use secrets names one", async () => {
    assert.equal((await call("POST", "/api/2.0/mlflow/users/create", { username: "bob", password: "bob-password-1" })).status, 200);
    const service = server.services.deployments!.service;
    await assert.rejects(service.createDeployment("pay", { name: "green", modelUri: "models:/fraud/1", env: { K: { secret: "payments-key" } } }, "bob"), (err: Error & { errorCode?: string }) => {
      assert.match(err.message, /User 'bob' may not use secret 'payments-key'/);
      return true;
    });
    // Through the API the route itself is the admins' (deployments are outside the per-resource model).
    assert.equal((await call("POST", "/api/ciclo/v1/endpoints/pay/deployments", { name: "green", model_uri: "models:/fraud/1" }, { username: "bob", password: "bob-password-1" })).status, 403);
  });

  test("a rotated secret reaches the next model server started", async () => {
    assert.equal((await api("POST", "/secrets/update", { name: "payments-key", value: ROTATED })).status, 200);
    // A changed env replaces the replicas (rolling): the new one reads the secret at its start.
    assert.equal((await api("PATCH", "/endpoints/pay/deployments/blue", { env: { API_KEY: { secret: "payments-key" }, LOG_LEVEL: "info" } })).status, 200);
    await waitFor(answer, (a) => a?.predictions?.[0] === sha(ROTATED) && a.level === "info", { what: "the rotated value", timeoutMs: 30_000, intervalMs: 50 });
    assert.ok(!logged.join("").includes(ROTATED));
  });
});

const dep = (env: Deployment["env"]): Deployment => ({ endpoint: "pay", name: "blue", modelUri: "models:/fraud/1", modelName: "fraud", modelVersion: "1", target: "container", replicas: 1, env, createdAt: 0, updatedAt: 0 });

test("container target: the secret is `-e NAME` on podman's command line, its value in podman's environment", () => {
  const runner = containerRunner({ podman: "podman", env: { PATH: "/usr/bin" }, runArgs: [] });
  const d = dep({ CICLO_IMAGE: "127.0.0.1:5000/ml/fraud:1", API_KEY: { secret: "payments-key" }, LOG_LEVEL: "debug" });
  const spec = { command: ["node"], modelUri: "models:/fraud/1", trackingUri: "http://127.0.0.1:1", modelName: "fraud", modelVersion: "1", env: { CICLO_IMAGE: "127.0.0.1:5000/ml/fraud:1", LOG_LEVEL: "debug" }, secretEnv: { API_KEY: VALUE }, baseEnv: {}, workers: 1, drainSeconds: 1 };
  const { command } = runner.command(spec, d, 0);
  assert.ok(!command.args.join(" ").includes(VALUE));
  const i = command.args.indexOf("API_KEY");
  assert.equal(command.args[i - 1], "-e");
  assert.ok(command.args.includes("LOG_LEVEL=debug"));
  assert.equal(command.env.API_KEY, VALUE);
  assert.equal(command.args[command.args.length - 1], "127.0.0.1:5000/ml/fraud:1");
});

test("kubernetes target: a Secret of the deployment and a secretKeyRef; the Deployment never holds the value", () => {
  const objects = kubernetesObjects({ ...dep({ API_KEY: { secret: "payments-key" }, LOG_LEVEL: "debug" }), target: "kubernetes" }, { namespace: "ml", imageTemplate: "{model}:{version}" }, { API_KEY: VALUE });
  const secret = objects.find((o) => o.kind === "Secret")!;
  assert.equal(secret.metadata.name, "pay-blue-env");
  assert.equal(Buffer.from(secret.data.API_KEY, "base64").toString(), VALUE);
  assert.equal(secret.metadata.labels["ciclo.dev/deployment"], "blue");
  const deployment = objects.find((o) => o.kind === "Deployment")!;
  assert.ok(!JSON.stringify(deployment).includes(VALUE));
  const env = deployment.spec.template.spec.containers[0].env as Array<Record<string, unknown>>;
  assert.deepEqual(env.find((e) => e.name === "API_KEY"), { name: "API_KEY", valueFrom: { secretKeyRef: { name: "pay-blue-env", key: "API_KEY" } } });
  assert.deepEqual(env.find((e) => e.name === "LOG_LEVEL"), { name: "LOG_LEVEL", value: "debug" });
  assert.equal(kubernetesObjects({ ...dep({ LOG_LEVEL: "x" }), target: "kubernetes" }, { namespace: "ml", imageTemplate: "{model}:{version}" }).filter((o) => o.kind === "Secret").length, 0);
  assert.throws(() => kubernetesObjects({ ...dep({ API_KEY: { secret: "payments-key" } }), target: "kubernetes" }, { namespace: "ml", imageTemplate: "{model}:{version}" }), /not read/);
});

test("kubernetes target on the API stand-in: the Secret is applied first, dropped with the reference, deleted with the deployment", async () => {
  const api = await KubernetesApiStandIn.start();
  const values: Record<string, string> = { "payments-key": VALUE };
  const secrets: DeploymentSecrets = { has: async (n) => n in values, resolve: async (n) => values[n]!, checkUse: async () => {} };
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig("ml"));
  const target = new KubernetesTarget({ namespace: "ml", imageTemplate: "{model}:{version}", kubeConfig: kc, onChange: () => {}, log: () => {}, retryMs: 50, secrets });
  try {
    const k8s = (over: Partial<Deployment>) => ({ ...dep({ API_KEY: { secret: "payments-key" }, LOG_LEVEL: "debug" }), target: "kubernetes", ...over });
    await target.apply(k8s({}));
    const patches = api.requests.filter((r) => r.method === "PATCH" && !r.url.includes("dryRun")).map((r) => new URL(r.url, "http://x").pathname);
    assert.equal(patches[0], "/api/v1/namespaces/ml/secrets/pay-blue-env", "the Secret before the Deployment");
    assert.equal(Buffer.from(api.get("Secret", "ml", "pay-blue-env")!.data.API_KEY, "base64").toString(), VALUE);
    const deployment = api.get("Deployment", "ml", "pay-blue")!;
    assert.ok(!JSON.stringify(deployment).includes(VALUE));
    assert.equal(deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "API_KEY").valueFrom.secretKeyRef.name, "pay-blue-env");

    values["payments-key"] = ROTATED;
    await target.apply(k8s({ replicas: 2 }));
    assert.equal(Buffer.from(api.get("Secret", "ml", "pay-blue-env")!.data.API_KEY, "base64").toString(), ROTATED, "a re-apply writes the current value");
    await target.apply(k8s({ env: { LOG_LEVEL: "debug" } }));
    assert.equal(api.get("Secret", "ml", "pay-blue-env"), undefined, "no reference left: the Secret is gone");

    const before = api.requests.filter((r) => r.url.includes("/secrets")).length;
    await target.apply(k8s({ name: "green", env: { LOG_LEVEL: "x" } }));
    await target.remove("pay", "green");
    assert.equal(api.requests.filter((r) => r.url.includes("/secrets")).length, before, "a deployment that never named a secret never touches secrets");
    await target.apply(k8s({}));
    await target.remove("pay", "blue");
    assert.equal(api.get("Secret", "ml", "pay-blue-env"), undefined);
    assert.equal(api.get("Deployment", "ml", "pay-blue"), undefined);
  } finally {
    await target.stop();
    await api.close();
  }
});
