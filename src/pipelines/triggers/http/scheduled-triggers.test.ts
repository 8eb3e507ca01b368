/**
 * Cron and registry triggers through the real job runner: the minute tick
 * job fires due cron triggers once (however often it runs), and registry
 * events (a version created, an alias set, a stage transition) start the
 * pipelines whose triggers match them, each event once. The launcher records
 * what it is asked (the boundary to the pipelines engine).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jobsModule } from "../../../jobs/http/jobs-module.js";
import { moduleServices } from "../../../server/app.js";
import { resolveJobsConfig } from "../../../server/config.js";
import { openTestApp, testModules, type TestApp } from "../../../testing/test-app.js";
import { waitFor } from "../../../testing/wait-for.js";
import type { PipelineLaunchRequest } from "../../runs/pipeline-launcher.js";
import { pipelineTriggersModule, TRIGGER_TICK_JOB } from "./pipeline-triggers-module.js";

const CICLO = "/api/ciclo/v1";

describe("cron and registry triggers", () => {
  let fx: TestApp;
  const calls: PipelineLaunchRequest[] = [];
  let failNext = false;
  let now = Date.parse("2026-03-02T08:59:30Z");
  before(async () => {
    const launcher = {
      async launch(req: PipelineLaunchRequest) {
        if (failNext) {
          failNext = false;
          throw new Error("Pipeline 'nightly' is not defined in the project's ciclo.yaml.");
        }
        calls.push(req);
        const id = randomBytes(16).toString("hex");
        return { pipelineRunId: id, runId: id };
      },
    };
    fx = await openTestApp({
      modules: [
        jobsModule({ ...resolveJobsConfig({}, {}), pollMs: 50 }),
        ...testModules().filter((m) => m.id !== "pipeline-triggers"),
        // The tick's own schedule is yearly here: the test runs it when it wants, with its own clock.
        pipelineTriggersModule({ launcher, tickCron: "0 0 1 1 *", now: () => now }),
      ],
    });
  });
  after(() => fx?.close());

  const create = async (body: Record<string, unknown>) => {
    const r = await fx.call("POST", "/pipelines/triggers/create", body, { prefix: CICLO });
    assert.equal(r.status, 200, r.text);
    return r.json.trigger;
  };

  async function runTick(): Promise<{ started: number }> {
    const { job } = await moduleServices(fx.app).scheduler!.enqueue({ type: TRIGGER_TICK_JOB });
    const done = await waitFor(
      async () => (await fx.call("GET", `/jobs/${job.jobId}`, undefined, { prefix: CICLO })).json.job,
      (j) => ["succeeded", "failed"].includes(j.state),
      { what: "the tick job" },
    );
    assert.equal(done.state, "succeeded", JSON.stringify(done));
    return done.result;
  }

  test("cron: fires when its tick has come, once per tick, recorded with the schedule; a launch failure is recorded", async () => {
    const t = await create({ name: "nightly", kind: "cron", project: "/srv/projects/churn", pipeline: "retrain", config: { cron: "0 9 * * *", timezone: "UTC" }, inputs: { data: "s3://bucket/latest" } });
    assert.equal(t.next_fire_at, Date.parse("2026-03-02T09:00:00Z"));
    assert.equal((await runTick()).started, 0, "not before its time");
    now = Date.parse("2026-03-02T09:00:20Z");
    assert.equal((await runTick()).started, 1);
    assert.equal((await runTick()).started, 0, "a tick fires once");
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], {
      project: "/srv/projects/churn",
      pipeline: "retrain",
      inputs: { data: "s3://bucket/latest" },
      trigger: { kind: "cron", detail: { trigger_id: t.trigger_id, trigger_name: "nightly", cron: "0 9 * * *", timezone: "UTC", scheduled_at: "2026-03-02T09:00:00.000Z" } },
    });
    const got = (await fx.call("GET", "/pipelines/triggers/get", { trigger_id: "nightly" }, { prefix: CICLO })).json;
    assert.equal(got.trigger.next_fire_at, Date.parse("2026-03-03T09:00:00Z"));
    // The server was down for two days: one run, not one per missed tick.
    now = Date.parse("2026-03-05T10:00:00Z");
    failNext = true;
    const svc = moduleServices(fx.app).pipelineTriggers!;
    assert.equal(await svc.cronTick(), 0);
    const after = (await fx.call("GET", "/pipelines/triggers/get", { trigger_id: "nightly" }, { prefix: CICLO })).json;
    assert.equal(after.firings[0].outcome, "failed");
    assert.match(after.firings[0].reason, /not defined/);
    assert.equal(after.trigger.next_fire_at, Date.parse("2026-03-06T09:00:00Z"));
    assert.equal(calls.length, 1);
  });

  test("registry: version created, alias set (that alias only), stage transitioned (that stage only), each event once", async () => {
    await create({ name: "on-version", kind: "registry", project: "/srv/p", pipeline: "evaluate", config: { model: "churn", event: "version_created" } });
    await create({ name: "on-champion", kind: "registry", project: "/srv/p", pipeline: "deploy", config: { model: "churn", event: "alias_set", alias: "champion" } });
    await create({ name: "on-prod", kind: "registry", project: "/srv/p", pipeline: "canary", config: { model: "churn", event: "stage_transitioned", stage: "Production" } });
    const before = calls.length;
    const mlflow = (path: string, body: unknown) => fx.call("POST", path, body).then((r) => assert.equal(r.status, 200, r.text));
    await mlflow("/registered-models/create", { name: "churn" });
    await mlflow("/registered-models/create", { name: "other" });
    await mlflow("/model-versions/create", { name: "other", source: "s3://b/m0" });
    await mlflow("/model-versions/create", { name: "churn", source: "s3://b/m1" });
    await mlflow("/model-versions/create", { name: "churn", source: "s3://b/m2" });
    await mlflow("/registered-models/alias", { name: "churn", alias: "challenger", version: "2" });
    await mlflow("/registered-models/alias", { name: "churn", alias: "champion", version: "1" });
    await mlflow("/model-versions/transition-stage", { name: "churn", version: "1", stage: "Staging", archive_existing_versions: false });
    await mlflow("/model-versions/transition-stage", { name: "churn", version: "2", stage: "Production", archive_existing_versions: false });
    const seen = await waitFor(() => calls.slice(before), (c) => c.length >= 4, { what: "four launches" });
    const summary = seen.map((c) => `${c.pipeline}:${c.trigger.kind}:${c.trigger.detail?.version}:${c.trigger.detail?.alias ?? c.trigger.detail?.to_stage ?? ""}`);
    assert.deepEqual(summary, ["evaluate:registry:1:", "evaluate:registry:2:", "deploy:registry:1:champion", "canary:registry:2:Production"]);
    // The subscription has passed every event: nothing else arrives however long we look at the firings.
    const firings = async (name: string) => (await fx.call("GET", "/pipelines/triggers/get", { trigger_id: name }, { prefix: CICLO })).json.firings;
    assert.equal((await firings("on-version")).length, 2);
    assert.equal((await firings("on-champion")).length, 1);
    assert.equal((await firings("on-prod")).length, 1);
    // Redelivery of an event (at-least-once) starts nothing twice.
    const svc = moduleServices(fx.app).pipelineTriggers!;
    const f = (await firings("on-champion"))[0];
    const [source, ...pos] = String(f.firing_key).split(":");
    assert.equal(await svc.onRegistryEvent({ source: source!, position: pos.join(":"), type: "registry.registered_model_alias.set", payload: { name: "churn", version: "1", key: "champion" } }), 0);
    assert.equal(calls.length, before + 4);
  });
});
