/**
 * The loop closed end to end on a real server: traffic is logged, a shifted
 * window makes the monitor's next run (a job) flag exactly the shifted
 * columns, the alert fires once to a real HTTP receiver that checks the HMAC,
 * and the retraining job is enqueued with that window as its input.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jobsModule } from "../../jobs/http/jobs-module.js";
import { resolveJobsConfig } from "../../server/config.js";
import type { CicloModule } from "../../server/module.js";
import { jobEnds } from "../../testing/job-ends.js";
import { openTestApp, testModules, type TestApp } from "../../testing/test-app.js";
import { encodeProfile } from "../profiles/profile-codec.js";
import { profileReference } from "../profiles/profiler.js";
import { InMemoryTableSource } from "../profiles/table-source.js";
import { monitoringModule } from "./monitoring-module.js";
import { hasValidSignature, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "../../testing/webhook-receiver.js";

const CICLO = "/api/ciclo/v1";
const SECRET = "s3cret-for-tests";
const HOUR = 3_600_000;

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return { u, normal: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}

const COLORS = ["red", "green", "blue"];
/** Rows of (a, b, c, color); `shift` moves a by 2σ and makes most colors blue. */
function rows(n: number, seed: number, shift: boolean): Array<[number, number, number, string]> {
  const r = rng(seed);
  return Array.from({ length: n }, () => [
    r.normal() + (shift ? 2 : 0),
    r.normal() * 3 + 10,
    r.u() * 100,
    shift ? (r.u() < 0.8 ? "blue" : COLORS[Math.floor(r.u() * 3)]) : COLORS[Math.floor(r.u() * 3)],
  ]);
}

let fx: TestApp;
const jobs = jobEnds();
let receiver: WebhookReceiver;
let received: ReceivedRequest[] = [];
const retrainPayloads: unknown[] = [];

before(async () => {
  receiver = await startWebhookReceiver();
  received = receiver.received;
  // This test checks the exact job payload monitoring enqueues (the contract with pipelines: window, segments,
  // profiles, trigger), so a recorder owns the `pipelines.run` job type here. The real pipelines module taking that
  // job, registering a new version and the endpoint rolling it out is monitoring-closed-loop.test.ts.
  const retrainRecorder: CicloModule = {
    id: "pipelines",
    init(ctx) {
      ctx.jobs({ type: "pipelines.run", handle: async (p) => void retrainPayloads.push(p) });
    },
  };
  const modules = [
    jobsModule({ ...resolveJobsConfig({}, {}), pollMs: 50 }, { onAttempt: jobs.onAttempt }),
    ...testModules().filter((m) => m.id !== "monitoring" && m.id !== "pipelines" && m.id !== "pipeline-triggers"),
    monitoringModule({ webhookAllow: [receiver.host], recorder: { flushIntervalMs: 3_600_000 }, tickCron: "0 0 1 1 *" }),
    retrainRecorder,
  ];
  fx = await openTestApp({ modules });
});

after(async () => {
  await fx?.close();
  await receiver?.close();
});

async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const r = await fx.call(method, path, body, { prefix: CICLO });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** The job's record once the worker has ended its last attempt. */
async function waitForJob(jobId: string): Promise<any> {
  await jobs.ended(jobId);
  return (await call("GET", `/jobs/${jobId}`)).job;
}

async function sendTraffic(start: number, shift: boolean, seed: number) {
  const data = rows(1500, seed, shift);
  const records = [];
  for (let i = 0; i < data.length; i += 10) {
    const chunk = data.slice(i, i + 10);
    records.push({
      request_id: `req-${seed}-${i}`,
      time: start + i * 1000,
      model_name: "fraud",
      model_version: "1",
      status: 200,
      latency_ms: 3 + (i % 7),
      request: { dataframe_split: { columns: ["a", "b", "c", "color"], data: chunk } },
      response: { predictions: chunk.map((r) => (r[0] > 1 ? 1 : 0)) },
    });
  }
  assert.equal((await call("POST", "/monitoring/inference", { records })).accepted, records.length);
  const flushed = await call("POST", "/monitoring/inference/flush");
  assert.equal(flushed.segments.length, 1);
  assert.equal(flushed.segments[0].rows, 1500);
}

test("shifted traffic: the monitor's next run flags exactly the shifted columns, the alert fires once, retraining gets the window", async () => {
  const ref = rows(3000, 1, false);
  const profile = await profileReference(
    new InMemoryTableSource([
      { name: "a", values: Float64Array.from(ref.map((r) => r[0])) },
      { name: "b", values: Float64Array.from(ref.map((r) => r[1])) },
      { name: "c", values: Float64Array.from(ref.map((r) => r[2])) },
      { name: "color", values: ref.map((r) => r[3]) },
    ]),
  );
  const { path } = await call("POST", "/monitoring/references", { name: "fraud-train", profile: JSON.parse(encodeProfile(profile)) });
  const { monitor } = await call("POST", "/monitoring/monitors", {
    name: "fraud-drift",
    spec: {
      target: { model_name: "fraud", model_version: "1" },
      window_seconds: 3600,
      every_seconds: 3600,
      reference_profile: path,
      alerts: [{ name: "drift", when: "column_drift", webhook: { url: receiver.url("/hook"), secret: SECRET, format: "slack" }, action: { pipeline: "retrain-fraud", params: { epochs: 3 } } }],
    },
  });
  assert.equal(monitor.spec.alerts[0].webhook.secret, "***", "the secret is never sent back");

  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  await sendTraffic(t0, false, 2);
  await sendTraffic(t0 + HOUR, true, 3);
  await sendTraffic(t0 + 2 * HOUR, true, 4);

  // The baseline window: nothing drifts, nothing fires.
  const quiet = await waitForJob((await call("POST", `/monitoring/monitors/${monitor.monitor_id}/run`, { window_end: t0 + HOUR })).job_id);
  assert.equal(quiet.state, "succeeded", quiet.error);
  assert.deepEqual(quiet.result.flagged, []);
  assert.equal(received.length, 0);

  // The shifted window, through the job path.
  const job = await waitForJob((await call("POST", `/monitoring/monitors/${monitor.monitor_id}/run`, { window_end: t0 + 2 * HOUR })).job_id);
  assert.equal(job.state, "succeeded", job.error);
  assert.deepEqual(job.result.flagged.filter((m: string) => m.startsWith("drift.")).sort(), ["drift.a", "drift.color"]);
  assert.equal(received.length, 1, "one webhook");
  assert.ok(hasValidSignature(received[0], SECRET), "the HMAC signature verifies with the rule's secret");
  const slack = JSON.parse(received[0].body);
  assert.match(slack.text, /a, color/);

  const { alerts } = await call("GET", `/monitoring/monitors/fraud-drift/alerts`);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].state, "firing");
  assert.equal(alerts[0].delivery, "delivered");
  const retrain = await waitForJob(alerts[0].action_job_id);
  assert.equal(retrain.state, "succeeded");
  assert.equal(retrainPayloads.length, 1);
  const p = retrainPayloads[0] as any;
  assert.equal(p.pipeline, "retrain-fraud");
  assert.deepEqual([p.input.window_start, p.input.window_end], [t0 + HOUR, t0 + 2 * HOUR]);
  assert.equal(p.input.segments.length, 1);
  assert.ok(p.input.window_profile);

  // Still shifted in the next window: the same incident, no second webhook or retraining.
  const again = await waitForJob((await call("POST", `/monitoring/monitors/${monitor.monitor_id}/run`, { window_end: t0 + 3 * HOUR })).job_id);
  assert.equal(again.state, "succeeded", again.error);
  assert.deepEqual(again.result.alerts, [{ rule: "drift", outcome: "continuing" }]);
  assert.equal(received.length, 1);
  assert.equal(retrainPayloads.length, 1);

  // The time series holds every window; the gauges show the latest.
  const { points } = await call("GET", `/monitoring/monitors/fraud-drift/series`, { metric_prefix: "drift." });
  assert.equal(points.length, 3 * 4);
  const metrics = await fx.request("GET", `${CICLO}/monitoring/metrics`);
  assert.match(metrics.text, /ciclo_monitor_flagged\{monitor="fraud-drift",metric="drift.a"\} 1/);
  assert.match(metrics.text, /ciclo_monitor_alert_firing\{monitor="fraud-drift",rule="drift"\} 1/);

  // The page as static HTML: the heatmap marks the four drifted cells (a and color in two windows).
  const report = await fx.request("GET", `${CICLO}/monitoring/monitors/fraud-drift/report`);
  assert.equal(report.status, 200);
  assert.match(report.contentType, /text\/html/);
  assert.equal(report.text.match(/>●</g)?.length, 4);
  assert.match(report.text, /Alert history<\/h2><table/);
  assert.ok((report.text.match(/<figure><figcaption>(a|b|c|color) </g) ?? []).length === 4, "reference vs current for each column");
  assert.ok(!report.text.includes("<script"), "no script in the report");
  assert.match(report.text, /<h1>Monitor fraud-drift<\/h1>/);
  // Embedded in the UI's page, which has the title: the same report without its heading.
  const embedded = await fx.request("GET", `${CICLO}/monitoring/monitors/fraud-drift/report?embedded=true`);
  assert.equal(embedded.status, 200);
  assert.ok(!embedded.text.includes("<h1"), "no heading of its own");
  assert.match(embedded.text, /Alert history<\/h2><table/);
  const bad = await fx.request("GET", `${CICLO}/monitoring/monitors/fraud-drift/report?embedded=maybe`);
  assert.equal(bad.status, 400);
});
