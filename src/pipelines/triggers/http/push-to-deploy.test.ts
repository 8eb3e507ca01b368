/**
 * The seed's pipeline end to end (examples/push-to-deploy): a signed GitHub
 * push to the project's git repository → train with the configuration →
 * evaluate on the validation set and gate against models:/demand@champion →
 * register → build the model's image and push it to the loopback OCI
 * registry → deploy to the endpoint as a canary (the endpoint's canary
 * strategy, judged on live requests) → promote (@champion). The same
 * pipeline with a worse configuration stops at the gate: nothing registered,
 * pushed or deployed. With require_approval it waits until approved.
 * Everything is real: the server on a loopback port, the job runner, step
 * processes and `ciclo` CLI processes, the model servers, the registry.
 * Skips (printing why) without the registry and its Node base image; fails
 * then under CICLO_REQUIRE_ALL=1.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../../sdk/artifact-client.js";
import { startPipelineWorld, type PipelineWorld } from "../../../testing/pipelines-fixture.js";
import { NODE_BASE, TEST_REGISTRY, testRegistryUnavailable } from "../../../testing/registry-fixture.js";
import { waitFor } from "../../../testing/wait-for.js";

const EXAMPLE = fileURLToPath(new URL("../../../../examples/push-to-deploy/", import.meta.url));
const unavailable = await testRegistryUnavailable();
if (unavailable && process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${unavailable} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
const repo = `ciclo-test/demand-${randomBytes(3).toString("hex")}`;

describe("push to deploy (examples/push-to-deploy)", { skip: unavailable }, () => {
  let w: PipelineWorld;
  let client: ArtifactClient;
  let gitUrl: string;
  let git: (...args: string[]) => string;
  let trigger: { path: string; secret: string };
  const savedKey = process.env.CICLO_SECRETS_KEY;

  before(async () => {
    process.env.CICLO_SECRETS_KEY = randomBytes(32).toString("base64");
    w = await startPipelineWorld();
    // The project's repository: the example, committed.
    const dir = join(w.dir, "demand");
    cpSync(EXAMPLE, dir, { recursive: true });
    git = (...args) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@ciclo.invalid", ...args], { cwd: dir, encoding: "utf8" }).trim();
    git("init", "--quiet", "--initial-branch=main");
    git("add", ".");
    git("commit", "--quiet", "-m", "demand model");
    gitUrl = pathToFileURL(dir).href;

    // Production before the push: the example's bootstrap pipeline trains version 1, deploys it and makes it
    // @champion, on an endpoint whose canary steps are short (50 % then 100 %, judged after 1 s and 5 requests).
    client = new ArtifactClient({ trackingUri: w.url });
    const strategy = { kind: "canary", steps: [50, 100], step_seconds: 1, analysis: { min_requests: 5, max_error_rate: 0.05 } };
    const ok = (r: { status: number; json: unknown }) => assert.equal(r.status, 200, JSON.stringify(r.json));
    ok(await w.api("POST", "/endpoints", { name: "demand", strategy }));
    const boot = await w.until((await w.start(gitUrl, "bootstrap")).run_id, undefined, 300_000);
    assert.equal(boot.status, "succeeded", JSON.stringify(boot));
    assert.equal((await client.registry.getModelVersionByAlias("demand", "champion")).version, "1");
    await waitFor(
      async () => (await w.api("GET", "/endpoints/demand")).json.endpoint,
      (e) => e.traffic.v1 === 100 && e.deployments.find((d: any) => d.name === "v1")?.health?.ready_replicas === 1,
      { what: "v1 to be live", timeoutMs: 120_000, intervalMs: 200 },
    );

    const t = await w.api("POST", "/pipelines/triggers/create", {
      name: "demand-on-push",
      kind: "github",
      project: gitUrl,
      pipeline: "train-deploy",
      config: { branches: ["main"] },
      inputs: { image_repo: `${TEST_REGISTRY}/${repo}`, base_image: NODE_BASE },
    });
    ok(t);
    trigger = { path: t.json.trigger.webhook_path, secret: t.json.secret };
  });
  after(async () => {
    await w?.close();
    if (savedKey === undefined) delete process.env.CICLO_SECRETS_KEY;
    else process.env.CICLO_SECRETS_KEY = savedKey;
  });

  async function push(): Promise<string> {
    const sha = git("rev-parse", "HEAD");
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { full_name: "acme/demand", clone_url: gitUrl }, pusher: { name: "ana" } });
    const res = await fetch(`${w.url}${trigger.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": `sha256=${createHmac("sha256", trigger.secret).update(body).digest("hex")}` },
      body,
    });
    const json = (await res.json()) as any;
    assert.equal(res.status, 202, JSON.stringify(json));
    assert.equal(json.outcome, "started");
    return json.run_id as string;
  }

  /** Scoring requests against the endpoint until `done` resolves, so the canary's analysis has live traffic. */
  function traffic(): { stop(): Promise<number> } {
    let on = true;
    let errors = 0;
    const loop = (async () => {
      while (on) {
        const res = await fetch(`${w.url}/endpoints/demand/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ x: 2 }] }) });
        if (res.status !== 200) errors++;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return { stop: async () => ((on = false), await loop, errors) };
  }

  /** The deployments taking live traffic (a retired one stays listed at 0 %). */
  const live = async () => Object.fromEntries(Object.entries((await w.api("GET", "/endpoints/demand")).json.endpoint.traffic as Record<string, number>).filter(([, v]) => v > 0));
  const versions = async () => (await client.registry.searchModelVersions({ filter: "name='demand'" })).items.map((v) => v.version).sort();
  const byStep = (run: any) => Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));

  test("a worse configuration stops at the gate: nothing registered, pushed or deployed", async () => {
    writeFileSync(join(fileURLToPath(gitUrl), "config", "train.json"), readWorse());
    git("commit", "--quiet", "-am", "more shrinkage");
    const runId = await push();
    const run = await w.until(runId, undefined, 300_000);
    const by = byStep(run);
    assert.equal(run.status, "failed", JSON.stringify(run));
    assert.equal(run.trigger.kind, "git");
    assert.equal(by.train.status, "succeeded");
    assert.equal(by.gate.status, "failed");
    for (const s of ["register", "image", "approve", "deploy", "canary", "promote"]) assert.equal(by[s].status, "skipped", s);
    assert.deepEqual(await versions(), ["1"]);
    assert.deepEqual(await live(), { v1: 100 });
    assert.equal((await client.registry.getModelVersionByAlias("demand", "champion")).version, "1");
    git("revert", "--no-edit", "HEAD");
  });

  test("a push trains, gates, registers, pushes the image, canaries and promotes", async () => {
    const load = traffic();
    let run: any;
    try {
      run = await w.until(await push(), undefined, 600_000);
    } finally {
      assert.equal(await load.stop(), 0, "no scoring request failed during the canary");
    }
    const by = byStep(run);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(by.gate.outputs.passed, true);
    const version = by.register.outputs.version;
    assert.equal(version, "2");
    assert.match(by.image.outputs.digest, /^sha256:[0-9a-f]{64}$/);
    const manifest = await fetch(`http://${TEST_REGISTRY}/v2/${repo}/manifests/v2`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
    });
    assert.equal(manifest.status, 200, "the registry serves the pushed image");
    assert.equal(manifest.headers.get("docker-content-digest"), by.image.outputs.digest);
    assert.equal(by.approve.status, "skipped", "no approval asked for");
    assert.equal(by.deploy.outputs.strategy, "rollout");
    assert.equal(by.canary.status, "succeeded");
    assert.deepEqual(await live(), { v2: 100 }, "the canary ended with all traffic on the new version");
    assert.equal((await client.registry.getModelVersionByAlias("demand", "champion")).version, "2", "promoted");
    const res = await fetch(`${w.url}/endpoints/demand/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ x: 10 }] }) });
    const y = JSON.stringify(((await res.json()) as { predictions: unknown }).predictions).match(/-?\d+(\.\d+)?/)![0];
    assert.ok(Math.abs(Number(y) - 31) < 0.5, `y(10) ≈ 3·10 + 1, got ${y}`);
  });

  test("with require_approval the pipeline waits at the approval, and deploys only once approved", async () => {
    const started = await w.start(gitUrl, "train-deploy", { require_approval: true, image_repo: "" });
    const waiting = await w.until(started.run_id, ["waiting"], 300_000);
    const by = byStep(waiting);
    assert.equal(by.approve.status, "waiting");
    assert.equal(by.deploy.status, "pending");
    assert.deepEqual(await live(), { v2: 100 }, "nothing deployed while waiting");
    const load = traffic();
    try {
      const ok = await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: true, by: "lead", comment: "ship it" });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      const done = await w.until(started.run_id, undefined, 300_000);
      assert.equal(done.status, "succeeded", JSON.stringify(done));
    } finally {
      await load.stop();
    }
    assert.deepEqual(await live(), { v3: 100 });
    assert.equal((await client.registry.getModelVersionByAlias("demand", "champion")).version, "3");
  });
});

function readWorse(): string {
  return execFileSync("cat", [join(EXAMPLE, "config", "worse.json")], { encoding: "utf8" });
}
