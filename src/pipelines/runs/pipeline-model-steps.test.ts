/**
 * The model steps on a real server: a pipeline trains (uploads a model to
 * its step run), evaluates it against `models:/scorer@champion` with a
 * "no worse" gate, registers, aliases and deploys it. A worse model stops
 * at the gate and nothing after it happens (no version, no endpoint); the
 * same pipeline through `ciclo pipelines run --wait` exits 1 with a summary,
 * reusing the cached training step; a model as good as the champion is
 * registered, aliased and deployed, and the endpoint answers with it.
 * A sweep step runs `ciclo sweep` and hands on the sweep run. Every `ciclo`
 * step is a real CLI process.
 */
import assert from "node:assert/strict";

import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { runCiclo } from "../../testing/child-server.js";
import { factorModel } from "../../testing/deployments-fixture.js";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { waitFor } from "../../testing/wait-for.js";

const PROJECT = `name: scorer
pipelines:
  ship:
    inputs:
      factor: { type: int, default: 2 }
    steps:
      train:
        run: $CICLO artifacts log "$CICLO_RUN_ID" models/f\${{ inputs.factor }} --artifact-path model
      gate:
        uses: evaluate
        needs: [train]
        with:
          model: "runs:/\${{ steps.train.outputs.run_id }}/model"
          data: data/holdout.csv
          targets: y
          model_type: regressor
          baseline: models:/scorer@champion
          thresholds: ["rmse<=+0"]
      register:
        uses: register
        needs: [gate]
        with: { model: "runs:/\${{ steps.train.outputs.run_id }}/model", name: scorer }
      alias:
        uses: alias
        needs: [register]
        with: { name: scorer, alias: candidate, version: "\${{ steps.register.outputs.version }}" }
      deploy:
        uses: deploy
        needs: [alias]
        with:
          endpoint: scorer
          deployment: "v\${{ steps.register.outputs.version }}"
          model: "\${{ steps.register.outputs.model_uri }}"
          strategy: direct
  canary:
    inputs:
      version: string
    steps:
      roll:
        uses: deploy
        with:
          endpoint: scorer
          deployment: "v\${{ inputs.version }}"
          model: "models:/scorer/\${{ inputs.version }}"
          strategy: canary
  misdeploy:
    steps:
      roll:
        uses: deploy
        with: { endpoint: scorer, deployment: v9, model: models:/scorer/1, strategy: sideways }
`;

describe("model steps: train, evaluate gate, register, alias, deploy", () => {
  let w: PipelineWorld;
  let proj: string;
  let client: ArtifactClient;
  before(async () => {
    w = await startPipelineWorld();
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${2 * i}`).join("\n");
    proj = w.project("scorer", { "ciclo.yaml": PROJECT, "data/holdout.csv": `x,y\n${rows}\n` });
    await factorModel(join(proj, "models"), "f2", 2);
    await factorModel(join(proj, "models"), "f3", 3);
    // The champion: version 1, the exact model (y = 2x).
    client = new ArtifactClient({ trackingUri: w.url });
    const run = await client.tracking.createRun({ experimentId: "0" });
    await client.logArtifacts(run.info.runId, join(proj, "models", "f2"), "model");
    const v = await client.registry.registerModel(`runs:/${run.info.runId}/model`, "scorer");
    await client.registry.setRegisteredModelAlias("scorer", "champion", v.version);
  });
  after(async () => {
    await w?.close();
  });

  const versions = async () => (await client.registry.searchModelVersions({ filter: "name='scorer'" })).items.map((v) => v.version).sort();

  test("a worse model stops at the gate: nothing is registered or deployed", async () => {
    const run = await w.until((await w.start(proj, "ship", { factor: 3 })).run_id, undefined, 180_000);
    const by = Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));
    assert.equal(run.status, "failed", JSON.stringify(run));
    assert.equal(by.train.status, "succeeded");
    assert.equal(by.gate.status, "failed");
    // The step's error names the threshold the model missed, with both values, not just "failed".
    assert.match(by.gate.error, /^the evaluation failed a threshold: .*root_mean_squared_error.*candidate model root_mean_squared_error = [\d.]+, baseline model root_mean_squared_error = [\d.]+/);
    assert.deepEqual([by.register.status, by.alias.status, by.deploy.status], ["skipped", "skipped", "skipped"]);
    assert.deepEqual(await versions(), ["1"]);
    assert.equal((await w.api("GET", "/endpoints/scorer")).status, 404);
    const gateRun = await w.mlflow("GET", `/runs/get?run_id=${by.gate.child_run_id}`);
    const metrics = Object.fromEntries(gateRun.json.run.data.metrics.map((m: any) => [m.key, m.value]));
    assert.ok(metrics.root_mean_squared_error > 0, "the gate's metrics are logged to its step run");
    const logs = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs?step=gate`)).json.lines.map((l: any) => l.line).join("\n");
    assert.match(logs, /root_mean_squared_error/);
  });

  test("ciclo pipelines run --wait: exit 1 and a summary on failure (training cached), exit 0 when the model is as good; it is registered, aliased and served", async () => {
    const env = { ...process.env, CICLO_FROM_SOURCE: "1", CICLO_TRACKING_URI: w.url, CICLO_HTTP_REQUEST_MAX_RETRIES: "0" };
    const worse = await runCiclo(["pipelines", "run", "ship", "--project", proj, "-p", "factor=3", "--wait"], env);
    assert.equal(worse.code, 1, worse.stderr);
    assert.match(worse.stdout, /run \w+: failed \(step 'gate' failed/);
    assert.match(worse.stdout, /train\s+run\s+cached/);
    assert.match(worse.stdout, /gate\s+evaluate\s+failed/);
    assert.match(worse.stderr, /gate: running/, "progress while waiting");

    const good = await runCiclo(["pipelines", "run", "ship", "--project", proj, "-p", "factor=2", "--wait", "--json"], env);
    assert.equal(good.code, 0, good.stderr);
    const run = JSON.parse(good.stdout);
    assert.equal(run.status, "succeeded");
    const by = Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));
    assert.equal(by.register.outputs.version, "2");
    assert.deepEqual(await versions(), ["1", "2"]);
    assert.equal((await client.registry.getModelVersionByAlias("scorer", "candidate")).version, "2");
    assert.equal(by.deploy.outputs.strategy, "direct");
    const ep = await waitFor(
      async () => (await w.api("GET", "/endpoints/scorer")).json?.endpoint,
      (e) => e?.deployments?.find((d: any) => d.name === "v2")?.health?.ready_replicas === 1,
      { what: "the deployed model to be ready", timeoutMs: 120_000, intervalMs: 200 },
    );
    assert.deepEqual(ep.traffic, { v2: 100 });
    const res = await fetch(`${w.url}/endpoints/scorer/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ x: 21 }] }) });
    const answer = (await res.json()) as { predictions: unknown };
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.stringify(answer.predictions).match(/42/)?.[0], "42");
  });

  test("deploy with strategy: canary onto an endpoint that serves traffic starts a canary rollout of the new deployment", async () => {
    // v2 serves all of the endpoint's traffic (the test above): version 1 goes out as a canary against it.
    const run = await w.until((await w.start(proj, "canary", { version: "1" })).run_id, undefined, 120_000);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    const out = run.steps[0].outputs;
    assert.equal(out.strategy, "rollout");
    assert.equal(out.rollout_kind, "canary");
    const rollouts = (await w.api("GET", "/endpoints/scorer/rollouts")).json.rollouts as any[];
    const r = rollouts.find((x) => x.rollout_id === out.rollout_id);
    assert.ok(r, `the step's rollout ${out.rollout_id} is the endpoint's: ${JSON.stringify(rollouts)}`);
    assert.equal(r.candidate, "v1");
    assert.equal(r.stable, "v2");
    assert.equal(r.strategy.kind, "canary");
    assert.equal(r.reason, "pipeline deploy step");
    const ep = (await w.api("GET", "/endpoints/scorer")).json.endpoint;
    assert.ok(ep.deployments.some((d: any) => d.name === "v1" && d.model_uri === "models:/scorer/1"), JSON.stringify(ep.deployments));
    // An unknown strategy fails the step before anything is deployed.
    const bad = await w.until((await w.start(proj, "misdeploy")).run_id);
    assert.equal(bad.status, "failed");
    assert.match(bad.steps[0].error, /with.strategy must be rollout, canary, blue-green, direct; got "sideways"/);
    assert.ok(!(await w.api("GET", "/endpoints/scorer")).json.endpoint.deployments.some((d: any) => d.name === "v9"));
  });
});


describe("sweep step", () => {
  let w: PipelineWorld;
  before(async () => {
    w = await startPipelineWorld();
  });
  after(async () => {
    await w?.close();
  });

  test("a sweep step runs ciclo sweep in the pipeline's experiment; its best trial is the step's output", async () => {
    // Each trial logs loss = (x - 1)^2 to its run over MLflow's REST API.
    const proj = w.project("sweepy", {
      "ciclo.yaml": `name: sweepy
entry_points:
  main:
    parameters: { x: float }
    command: node trial.mjs {x}
pipelines:
  tune:
    steps:
      search:
        uses: sweep
        with: { space: space.yaml, metric: loss, mode: min, trials: 3, sampler: random, seed: 7 }
      report:
        needs: [search]
        run: echo "best=\${{ steps.search.outputs.run_id }}" >> "$CICLO_STEP_OUTPUTS"
`,
      "space.yaml": "x: { uniform: [0, 2] }\n",
      "trial.mjs": `const x = Number(process.argv[2]);
const res = await fetch(process.env.CICLO_TRACKING_URI + "/api/2.0/mlflow/runs/log-metric", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ run_id: process.env.CICLO_RUN_ID, key: "loss", value: (x - 1) ** 2, timestamp: Date.now(), step: 0 }),
});
if (!res.ok) throw new Error(await res.text());
`,
    });
    const run = await w.until((await w.start(proj, "tune")).run_id, undefined, 180_000);
    const by = Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(by.search.outputs.status, "FINISHED");
    const sweepRunId = by.search.outputs.run_id;
    assert.match(sweepRunId, /^[0-9a-f]{32}$/);
    assert.equal(by.report.outputs.best, sweepRunId);
    const trials = await w.mlflow("POST", "/runs/search", { experiment_ids: [run.experiment_id], filter: `tags.\`mlflow.parentRunId\` = '${sweepRunId}'`, max_results: 100 });
    assert.equal(trials.json.runs.length, 3, "three trials, children of the sweep run, in the pipeline's experiment");
  });
});
