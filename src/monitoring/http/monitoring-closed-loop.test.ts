/**
 * Issue 16's closed loop, end to end on one real server (loopback port,
 * SQLite, the job runner, real `ciclo models serve` replicas, real step
 * processes):
 * - `scorer` v1 is `@champion`; endpoint `score`'s deployment `main` follows
 *   `@champion`; a monitor watches that deployment against a reference
 *   profile, with an alert rule that posts an HMAC-signed webhook (a real
 *   HTTP receiver here) and starts pipeline `retrain` of a registered project;
 * - normal traffic then traffic with column x shifted by 2σ (z unshifted)
 *   goes through the endpoint; the monitor, run through the API, finds the
 *   normal window clean and flags exactly `x` in the shifted one;
 * - the webhook arrives once with a valid signature; the retraining run
 *   has trigger kind `monitor` and the window as its inputs; its `run:` step
 *   reads that window's rows from the server, logs a model; `register` and
 *   `alias` make it version 2 and `@champion`;
 * - the endpoint rolls version 2 out (canary steps judged on live traffic)
 *   and then answers with it;
 * - the monitor's report (embedded in the monitoring page, checked in a real
 *   browser when Chromium is there) shows the drifted window, the alert and
 *   the retraining pipeline run it started.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { deploymentsModule } from "../../deployments/http/deployments-module.js";
import { serverModules } from "../../modules.js";
import { pipelinesModule } from "../../pipelines/http/pipelines-module.js";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { resolveServerConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/main.js";
import { browserUnavailable, ensureUiBuilt, openUiBrowser } from "../../testing/browser.js";
import { factorModel } from "../../testing/deployments-fixture.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { encodeProfile } from "../profiles/profile-codec.js";
import { profileReference } from "../profiles/profiler.js";
import { InMemoryTableSource } from "../profiles/table-source.js";
import { hasValidSignature, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "../../testing/webhook-receiver.js";

const SECRET = "closed-loop-secret";
const WINDOW_MS = 600_000;
const ROWS_PER_REQUEST = 25;

/** The retraining project: its training step reads the flagged window back from the server before logging a model. */
const CICLO_YAML = `name: scorer
pipelines:
  retrain:
    inputs:
      window_start: { type: int }
      window_end: { type: int }
      endpoint: { type: string }
      deployment: { type: string }
    steps:
      train:
        run: node train.mjs && $CICLO artifacts log "$CICLO_RUN_ID" models/f3 --artifact-path model
        env:
          WINDOW_START: "\${{ inputs.window_start }}"
          WINDOW_END: "\${{ inputs.window_end }}"
          ENDPOINT: "\${{ inputs.endpoint }}"
          DEPLOYMENT: "\${{ inputs.deployment }}"
        cache: false
      register:
        uses: register
        needs: [train]
        with: { model: "runs:/\${{ steps.train.outputs.run_id }}/model", name: scorer }
      champion:
        uses: alias
        needs: [register]
        with: { name: scorer, alias: champion, version: "\${{ steps.register.outputs.version }}" }
`;

const TRAIN_MJS = `// Reads the window the monitor flagged (its inference segments) and records how many rows it trains on.
import { appendFileSync } from "node:fs";
const base = process.env.CICLO_TRACKING_URI;
const q = new URLSearchParams({ endpoint: process.env.ENDPOINT, deployment: process.env.DEPLOYMENT, from: process.env.WINDOW_START, to: process.env.WINDOW_END });
const res = await fetch(base + "/api/ciclo/v1/monitoring/segments?" + q);
if (!res.ok) throw new Error("segments: " + res.status + " " + (await res.text()));
const { segments } = await res.json();
const rows = segments.reduce((a, s) => a + s.rows, 0);
if (rows === 0) throw new Error("the window " + q + " holds no rows");
console.log("training on " + rows + " rows of " + process.env.ENDPOINT + "/" + process.env.DEPLOYMENT);
const logged = await fetch(base + "/api/2.0/mlflow/runs/log-metric", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ run_id: process.env.CICLO_RUN_ID, key: "window_rows", value: rows, timestamp: Date.now(), step: 0 }),
});
if (!logged.ok) throw new Error("log-metric: " + logged.status);
appendFileSync(process.env.CICLO_STEP_OUTPUTS, "rows=" + rows + "\\n");
`;

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

let server: RunningServer;
let receiver: WebhookReceiver;
let client: ArtifactClient;
let remove: () => void = () => {};
let project = "";
let received: ReceivedRequest[] = [];
let stop = false;
let traffic: Promise<void> | undefined;

before(async () => {
  receiver = await startWebhookReceiver();
  received = receiver.received;
  const dir = tempDir("ciclo-loop-");
  remove = () => dir.remove();
  const config = resolveServerConfig({
    backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`,
    artifactsDestination: join(dir.path, "artifacts"),
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    jobPollMs: 25,
    // The cron tick never fires during the test: the monitor is run through the API.
    monitoring: { webhookAllow: [receiver.host], tickCron: "0 0 1 1 *" },
  });
  const childEnv = { ...process.env, CICLO_FROM_SOURCE: "1", CICLO_HTTP_REQUEST_MAX_RETRIES: "0" };
  const modules = serverModules(config).map((m) =>
    m.id === "deployments"
      ? deploymentsModule({ childEnv, backoff: { baseMs: 100, maxMs: 2_000 }, drainSeconds: 1 })
      : m.id === "pipelines"
        ? pipelinesModule({ childEnv, cancelPollMs: 100, workDir: join(dir.path, "work") })
        : m,
  );
  // The page is checked in a browser at the end: the UI is built before the server that serves it starts.
  if (!browserUnavailable()) await ensureUiBuilt();
  server = await startServer(config, { modules });
  client = new ArtifactClient({ trackingUri: server.url });

  project = join(dir.path, "project");
  mkdirSync(join(project, "models"), { recursive: true });
  writeFileSync(join(project, "ciclo.yaml"), CICLO_YAML);
  writeFileSync(join(project, "train.mjs"), TRAIN_MJS);
  await factorModel(join(project, "models"), "f3", 3);
  // Version 1, the champion: y = 2x.
  const run = await client.tracking.createRun({ experimentId: "0" });
  await client.logArtifacts(run.info.runId, await factorModel(dir.path, "f2", 2), "model");
  const v1 = await client.registry.registerModel(`runs:/${run.info.runId}/model`, "scorer");
  await client.registry.setRegisteredModelAlias("scorer", "champion", v1.version);
});

after(async () => {
  stop = true;
  await traffic;
  await server?.close();
  await receiver?.close();
  remove();
});

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/api/ciclo/v1${path}`, { method, headers: body === undefined ? undefined : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function invoke(rows: Array<Record<string, number>>): Promise<{ status: number; deployment: string | null; predictions?: number[] }> {
  const res = await fetch(`${server.url}/endpoints/score/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: rows }), signal: AbortSignal.timeout(60_000) });
  const json = (await res.json()) as { predictions?: number[] };
  return { status: res.status, deployment: res.headers.get("ciclo-deployment"), predictions: json.predictions };
}

/** `n` requests of rows (x ~ N(shift, 1), z ~ N(5, 2)), four at a time; resolves with the rows sent. */
async function send(n: number, seed: number, shift: number): Promise<number> {
  const normal = rng(seed);
  for (let i = 0; i < n; i += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, n - i) }, async () => {
        const rows = Array.from({ length: ROWS_PER_REQUEST }, () => ({ x: normal() + shift, z: normal() * 2 + 5 }));
        const a = await invoke(rows);
        assert.equal(a.status, 200);
        assert.equal(a.predictions![0], rows[0].x * 2, "version 1 answers");
      }),
    );
  }
  return n * ROWS_PER_REQUEST;
}

test("drift → alert → retraining pipeline → new version → rollout, on one server", async () => {
  await api("POST", "/pipelines/projects", { name: "scorer", source: project });
  await api("POST", "/endpoints", { name: "score", strategy: { kind: "canary", steps: [50, 100], step_seconds: 1, analysis: { max_error_rate: 0.05, min_requests: 5 } } });
  await api("POST", "/endpoints/score/deployments", { name: "main", model_uri: "models:/scorer@champion" });
  await waitFor(() => invoke([{ x: 1, z: 5 }]).catch(() => ({ status: 0 })), (a) => a.status === 200, { what: "the endpoint to answer", timeoutMs: 120_000, intervalMs: 100 });

  // The reference: x ~ N(0, 1), z ~ N(5, 2), 3,000 rows.
  const normal = rng(1);
  const ref = Array.from({ length: 3000 }, () => [normal(), normal() * 2 + 5]);
  const reference = await profileReference(
    new InMemoryTableSource([
      { name: "x", values: Float64Array.from(ref.map((r) => r[0])) },
      { name: "z", values: Float64Array.from(ref.map((r) => r[1])) },
    ]),
  );
  const { path } = await api("POST", "/monitoring/references", { name: "scorer-train", profile: JSON.parse(encodeProfile(reference)) });
  const hook = receiver.url("/hook");
  const { monitor } = await api("POST", "/monitoring/monitors", {
    name: "score-main",
    spec: {
      target: { endpoint: "score", deployment: "main" },
      window_seconds: WINDOW_MS / 1000,
      every_seconds: WINDOW_MS / 1000,
      reference_profile: path,
      alerts: [{ name: "drift", when: "column_drift", webhook: { url: hook, secret: SECRET, format: "slack" }, action: { pipeline: "retrain" } }],
    },
  });

  // Window 1: normal traffic. Window 2 (from t1): x shifted by 2σ, z as before.
  const t0 = Date.now();
  const normalRows = await send(40, 2, 0);
  const t1 = Date.now() + 1;
  while (Date.now() < t1) await new Promise((r) => setImmediate(r));
  const shiftedRows = await send(40, 3, 2);
  const rowsIn = async (from: number, to: number) =>
    ((await api("GET", `/monitoring/segments?endpoint=score&deployment=main&from=${from}&to=${to}`)).segments as Array<{ rows: number }>).reduce((a, s) => a + s.rows, 0);
  await waitFor(
    async () => {
      await api("POST", "/monitoring/inference/flush");
      return rowsIn(t0 - WINDOW_MS, t1 + WINDOW_MS);
    },
    (n) => n >= normalRows + shiftedRows + 1,
    { what: "the routed requests to reach the monitoring store", timeoutMs: 30_000, intervalMs: 250 },
  );

  const runMonitor = async (end: number) => {
    const r = await api("POST", `/monitoring/monitors/${monitor.monitor_id}/run`, { window_end: end, wait: true });
    return (r.points as Array<{ metric: string; flagged: boolean }>).filter((p) => p.flagged && p.metric.startsWith("drift.")).map((p) => p.metric);
  };
  assert.deepEqual(await runMonitor(t1), [], "the normal window: nothing drifts");
  assert.equal(received.length, 0, "and nothing fires");
  assert.deepEqual(await runMonitor(t1 + WINDOW_MS), ["drift.x"], "exactly the shifted column");

  // Steady traffic from here on, so the rollout the retraining will cause has requests to judge.
  const served: Array<{ status: number; deployment: string | null }> = [];
  traffic = (async () => {
    while (!stop) {
      const a = await invoke([{ x: 1, z: 5 }]).catch(() => undefined);
      if (a) served.push(a);
    }
  })();

  // The alert: one signed webhook naming the column.
  await waitFor(() => received.length, (n) => n >= 1, { what: "the webhook" });
  assert.equal(received.length, 1);
  assert.ok(hasValidSignature(received[0], SECRET), "the HMAC signature verifies with the rule's secret");
  assert.match(JSON.parse(received[0].body).text, /\bx\b/);
  const { alerts } = await api("GET", "/monitoring/monitors/score-main/alerts");
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].delivery, "delivered");

  // The retraining: a pipeline run started by the monitor with the window as its inputs.
  const job = await waitFor(async () => (await api("GET", `/jobs/${alerts[0].action_job_id}`)).job, (j) => ["succeeded", "failed", "cancelled"].includes(j.state), { what: "the pipelines.run job", timeoutMs: 60_000 });
  assert.equal(job.state, "succeeded", JSON.stringify(job));
  const run = await waitFor(
    async () => (await api("GET", `/pipelines/runs/${job.result.runId}`)).pipeline_run,
    (r) => ["succeeded", "failed", "cancelled"].includes(r.status),
    { what: "the retraining run", timeoutMs: 120_000, intervalMs: 100 },
  );
  assert.equal(run.status, "succeeded", JSON.stringify(run));
  assert.equal(run.trigger.kind, "monitor");
  assert.equal(run.trigger.detail.monitor, "score-main");
  assert.deepEqual([run.inputs.window_start, run.inputs.window_end, run.inputs.endpoint, run.inputs.deployment], [t1, t1 + WINDOW_MS, "score", "main"]);
  const train = run.steps.find((s: { step_id: string }) => s.step_id === "train");
  // The step read the window's segments from the server: at least the shifted rows (traffic sent since may add some).
  assert.ok(Number(train.outputs.rows) >= shiftedRows, `the training step read the flagged window: ${train.outputs.rows} rows`);
  const trainRun = await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${train.child_run_id}`).then((r) => r.json() as Promise<any>);
  assert.deepEqual(trainRun.run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]), [["window_rows", Number(train.outputs.rows)]]);
  const register = run.steps.find((s: { step_id: string }) => s.step_id === "register");
  assert.equal(register.outputs.version, "2");
  assert.equal((await client.registry.getModelVersionByAlias("scorer", "champion")).version, "2");

  // The rollout (started when the pipeline moved @champion) is judged on this live traffic.
  const rollouts = await waitFor(
    async () => (await api("GET", "/endpoints/score/rollouts")).rollouts,
    (r) => r.length === 1 && !["running", "paused"].includes(r[0].state),
    { what: "the rollout of version 2 to finish", timeoutMs: 120_000, intervalMs: 200 },
  );
  stop = true;
  await traffic;
  assert.equal(rollouts[0].state, "succeeded", JSON.stringify(rollouts[0]));
  assert.equal(rollouts[0].candidate, "main-v2");
  const ep = (await api("GET", "/endpoints/score")).endpoint;
  assert.deepEqual(ep.traffic, { "main-v2": 100 });
  assert.deepEqual(served.filter((s) => s.status !== 200), [], "nothing failed during the rollout");
  const after = await invoke([{ x: 5, z: 5 }]);
  assert.deepEqual([after.status, after.deployment, after.predictions], [200, "main-v2", [15]], "version 2 answers");

  // The page shows it all: the report lists the drifted window, the alert, its delivery and the retraining run.
  const report = await fetch(`${server.url}/api/ciclo/v1/monitoring/monitors/score-main/report`).then((r) => r.text());
  const alertRow = report.match(/<table class="alerts">.*?<\/table>/s)?.[0] ?? "";
  assert.match(alertRow, /<td>drift<\/td><td class="firing">firing<\/td>/);
  assert.ok(alertRow.includes(`${alerts[0].action_job_id} (succeeded)`), alertRow);
  assert.ok(alertRow.includes(`pipeline run <span class="pipeline-run">${run.run_id}</span>`), alertRow);
  assert.equal(report.match(/>●</g)?.length, 1, "one drifted cell in the heatmap: x in the shifted window");
  const ui = await openUiBrowser(server.url);
  if (ui) {
    try {
      const p = await ui.newPage({ viewport: { width: 1280, height: 900 } });
      await p.goto("/monitoring/score-main");
      await p.page.locator(".drift-chart canvas").first().waitFor();
      assert.match(await p.page.locator(".drift-flagged").innerText(), /^Drifted: x \(/);
      const frame = p.page.frameLocator("iframe[title='Monitor score-main']");
      assert.equal(await frame.locator(".alerts .pipeline-run").innerText(), run.run_id, "the page shows the retraining run");
      assert.equal(await frame.locator(".alerts td.firing").count(), 1, "and one alert");
      p.assertClean();
      await p.close();
    } finally {
      await ui.close();
    }
  }
});
