/**
 * `${{ secrets.NAME }}` in pipeline steps, end to end on a real server
 * (loopback, authentication on, SQLite, the job runner), steps as real
 * shell processes:
 * - env: and run: get the value through the process's environment (the
 *   shell's command line holds a variable's name, not the value);
 * - the value is `***` in the step's log, outputs, error and log artifact;
 *   no row of the database and no line of the server's log holds it;
 * - a missing secret fails the run, saying which; a secret where it would
 *   reach a command line (with: of a process step) fails it too;
 * - a run acting for a user who may not use secrets fails;
 * - a notify step signs its webhook with a secret key;
 * - a deploy step hands the deployment a reference, not the value.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { pino } from "pino";
import { basic } from "../../auth/http/auth-test-app.js";
import { serverModules } from "../../modules.js";
import { resolveServerConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/main.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { deploymentsModule } from "../../deployments/http/deployments-module.js";
import { pipelinesModule } from "../http/pipelines-module.js";

const ADMIN = { username: "admin", password: "admin-password-1" };
const VALUE = `tok-${randomBytes(16).toString("hex")}`;
const SIGNING = `whsec-${randomBytes(16).toString("hex")}`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

const YAML = `name: sec
entry_points:
  main:
    parameters: { p: { type: string, default: x } }
    command: "echo {p}"
pipelines:
  uses-secrets:
    inputs: { out: string }
    steps:
      show:
        run: |
          echo "token is \${{ secrets.api-token }}"
          echo "leak=\${{ secrets.api-token }}" >> "$CICLO_STEP_OUTPUTS"
          echo "hash=$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" >> "$CICLO_STEP_OUTPUTS"
          echo "via_run=$(printf %s \${{ secrets.api-token }} | sha256sum | cut -c1-64)" >> "$CICLO_STEP_OUTPUTS"
          tr '\\0' ' ' < /proc/$$/cmdline > "$OUT"
        env:
          TOKEN: "\${{ secrets.api-token }}"
          OUT: "\${{ inputs.out }}"
        cache: false
  missing:
    steps:
      s:
        run: echo "\${{ secrets.no-such-secret }}"
  on-argv:
    steps:
      t:
        uses: train
        with: { params: { p: "\${{ secrets.api-token }}" } }
  failing:
    steps:
      f:
        run: echo "bad \${{ secrets.api-token }}" >&2; exit 4
        cache: false
  ship:
    steps:
      deploy:
        uses: deploy
        with: { endpoint: pay, deployment: blue, model: "models:/fraud/1", env: { API_KEY: "\${{ secrets.api-token }}", LEVEL: debug } }
  signed:
    inputs: { url: string }
    steps:
      tell:
        uses: notify
        with: { url: "\${{ inputs.url }}", message: done, signing_key: "\${{ secrets.hook-key }}" }
`;

describe("pipeline steps reading secrets", () => {
  const dir = tempDir("ciclo-pipe-secrets-");
  const logged: string[] = [];
  let server: RunningServer;
  let project: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/ciclo/v1${path}`, {
      method,
      headers: { authorization: basic(ADMIN.username, ADMIN.password), ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
  };
  const run = async (pipeline: string, inputs?: Record<string, unknown>) => {
    const r = await api("POST", "/pipelines/runs", { project, pipeline, ...(inputs && { inputs }) });
    assert.equal(r.status, 200, r.text);
    return until(r.json.pipeline_run.run_id);
  };
  const until = (runId: string) =>
    waitFor(
      async () => (await api("GET", `/pipelines/runs/${runId}`)).json.pipeline_run,
      (p) => ["succeeded", "failed", "cancelled"].includes(p?.status),
      { what: `pipeline run ${runId}`, timeoutMs: 90_000, intervalMs: 50 },
    );
  const logs = async (runId: string) => (await api("GET", `/pipelines/runs/${runId}/logs`)).json.lines as Array<{ stream: string; line: string }>;

  before(async () => {
    project = join(dir.path, "project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "ciclo.yaml"), YAML);
    const base = resolveServerConfig({ backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`, artifactsDestination: join(dir.path, "artifacts"), host: "127.0.0.1", port: 0, logLevel: "trace", jobPollMs: 25 }, {});
    const config = { ...base, auth: { enabled: true, adminUsername: ADMIN.username, adminPassword: ADMIN.password, secretsKey: randomBytes(32).toString("hex") } };
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    });
    const modules = serverModules(config).map((m) =>
      m.id === "pipelines"
        ? pipelinesModule({ childEnv: { ...process.env, CICLO_FROM_SOURCE: "1", CICLO_HTTP_REQUEST_MAX_RETRIES: "0" }, notifyPolicy: { allowPrivate: true }, cancelPollMs: 100, workDir: join(dir.path, "work") })
        : m.id === "deployments"
          ? // Model servers that start and idle (never ready): the deploy step's outcome is the deployment's record.
            deploymentsModule({ command: [process.execPath, "-e", "setInterval(() => {}, 1 << 30)"], childEnv: { PATH: process.env.PATH }, drainSeconds: 1 })
          : m,
    );
    server = await startServer(config, { modules, logger: pino({ level: "trace" }, sink) });
    for (const [name, value] of [["api-token", VALUE], ["hook-key", SIGNING]]) assert.equal((await api("POST", "/secrets/create", { name, value })).status, 200);
  });
  after(async () => {
    await server?.close();
    dir.remove();
  });

  test("env: and run: get the value through the environment; logs, outputs, rows and the server log show ***", async () => {
    const out = join(dir.path, "cmdline.txt");
    const r = await run("uses-secrets", { out });
    assert.equal(r.status, "succeeded", JSON.stringify(r));
    const step = r.steps.find((s: { step_id: string }) => s.step_id === "show");
    assert.equal(step.outputs.hash, sha(VALUE), "env: TOKEN held the value");
    assert.equal(step.outputs.via_run, sha(VALUE), "run: read the value from its variable");
    assert.equal(step.outputs.leak, "***");
    const argv = readFileSync(out, "utf8");
    assert.ok(!argv.includes(VALUE), `the shell's command line holds the value: ${argv}`);
    assert.match(argv, /CICLO_SECRET_API_TOKEN/);
    const lines = await logs(r.run_id);
    assert.ok(lines.some((l) => l.stream === "stdout" && l.line === "token is ***"), JSON.stringify(lines));
    const everything = JSON.stringify(r) + JSON.stringify(lines) + JSON.stringify((await api("GET", `/pipelines/runs/${r.run_id}`)).json);
    assert.ok(!everything.includes(VALUE));
    assertNowhere(VALUE);
  });

  test("a step's error is masked too", async () => {
    const r = await run("failing");
    assert.equal(r.status, "failed");
    const lines = await logs(r.run_id);
    assert.ok(lines.some((l) => l.stream === "stderr" && l.line === "bad ***"), JSON.stringify(lines));
    assertNowhere(VALUE);
  });

  test("a missing secret fails the run and names it", async () => {
    const r = await run("missing");
    assert.equal(r.status, "failed");
    assert.match(r.steps[0].error, /secret 'no-such-secret', which does not exist/);
  });

  test("a secret in with: of a process step (its command line) is refused", async () => {
    const r = await run("on-argv");
    assert.equal(r.status, "failed");
    assert.match(r.steps[0].error, /would reach a command line; put it in env:/);
    assertNowhere(VALUE);
  });

  test("a run acting for a user who may not use secrets fails", async () => {
    const res = await fetch(`${server.url}/api/2.0/mlflow/users/create`, {
      method: "POST",
      headers: { authorization: basic(ADMIN.username, ADMIN.password), "content-type": "application/json" },
      body: JSON.stringify({ username: "bob", password: "bob-password-1" }),
    });
    assert.equal(res.status, 200);
    // A cron or git trigger records who set it up; the API's own route is the admins' anyway.
    const { runId } = await server.services.pipelines!.launcher.launch({ project, pipeline: "failing", trigger: { kind: "manual", actor: "bob" } });
    const r = await until(runId);
    assert.equal(r.status, "failed");
    assert.match(r.steps[0].error, /User 'bob' may not use secret 'api-token'/);
  });

  test("a notify step signs its webhook with a secret key", async () => {
    const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push({ headers: req.headers, body });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    try {
      const r = await run("signed", { url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook` });
      assert.equal(r.status, "succeeded", JSON.stringify(r));
      assert.equal(got.length, 1);
      const { headers, body } = got[0];
      const expected = `sha256=${createHmac("sha256", SIGNING).update(`${headers["x-ciclo-timestamp"]}.${body}`).digest("hex")}`;
      assert.equal(headers["x-ciclo-signature"], expected);
      assert.ok(!body.includes(SIGNING));
      assertNowhere(SIGNING);
    } finally {
      hook.close();
    }
  });

  test("a deploy step hands the deployment a reference, not the value", async () => {
    const mlflow = (path: string, body: unknown) =>
      fetch(`${server.url}/api/2.0/mlflow${path}`, { method: "POST", headers: { authorization: basic(ADMIN.username, ADMIN.password), "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal((await mlflow("/registered-models/create", { name: "fraud" })).status, 200);
    assert.equal((await mlflow("/model-versions/create", { name: "fraud", source: "mlflow-artifacts:/models/fraud" })).status, 200);
    const r = await run("ship");
    assert.equal(r.status, "succeeded", JSON.stringify(r));
    const d = await api("GET", "/endpoints/pay/deployments/blue");
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json.deployment.env, { API_KEY: { secret: "api-token" }, LEVEL: "debug" });
    assert.ok(!d.text.includes(VALUE));
    assertNowhere(VALUE);
  });

  /** Not in any row of the database, any file under the artifacts folder, or the server's log. */
  function assertNowhere(value: string): void {
    const db = new Database(join(dir.path, "ciclo.db"), { readonly: true });
    try {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
        assert.ok(!JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all()).includes(value), `table ${name} holds the value`);
      }
    } finally {
      db.close();
    }
    const walk = (p: string): string[] => (!existsSync(p) ? [] : statSync(p).isDirectory() ? readdirSync(p).flatMap((f) => walk(join(p, f))) : [p]);
    for (const f of walk(join(dir.path, "artifacts"))) assert.ok(!readFileSync(f, "utf8").includes(value), `${f} holds the value`);
    assert.ok(!logged.join("").includes(value), "the server's log holds the value");
  }
});
