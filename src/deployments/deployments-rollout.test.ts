/**
 * Rollouts end to end, with real model-server processes and the job runner:
 * - moving `@champion` creates a deployment of the new version beside the
 *   one following the alias and rolls it out step by step (20 → 50 → 100 %),
 *   each step judged on the candidate's requests; the replaced deployment goes;
 * - a version that answers 500 is rolled back automatically at its first
 *   canary step: all traffic returns to the stable deployment, and the
 *   history holds the analysis that drove it;
 * - promote and abort by hand; a running rollout refuses manual traffic.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { waitFor } from "../testing/wait-for.js";

describe("rollouts", () => {
  let w: DeployWorld;
  const v: Record<string, string> = {};
  let stop = false;
  let traffic: Promise<void> | undefined;
  const served: Array<{ status: number; deployment: string | null; sentAt: number }> = [];

  before(async () => {
    w = await startDeployWorld();
    v.two = await w.register("ranker", await factorModel(w.dir, "two", 2));
    v.three = await w.register("ranker", await factorModel(w.dir, "three", 3));
    v.broken = await w.register("ranker", await factorModel(w.dir, "broken", 7, { fail: true }));
    await w.setAlias("ranker", "champion", v.two);
  });
  after(async () => {
    stop = true;
    await traffic;
    await w?.close();
  });

  /** Steady client traffic, so each step has requests to judge. */
  const startTraffic = (endpoint: string) => {
    traffic = (async () => {
      while (!stop) {
        const sentAt = performance.now();
        const a = await w.invoke(endpoint, 1).catch(() => undefined);
        if (a) served.push({ status: a.status, deployment: a.headers.get("ciclo-deployment"), sentAt });
      }
    })();
  };
  const rollouts = async (endpoint: string) => (await w.api("GET", `/endpoints/${endpoint}/rollouts`)).json.rollouts;

  test("moving @champion rolls out the new version in judged canary steps", async () => {
    const e = await w.api("POST", "/endpoints", {
      name: "rank",
      strategy: { kind: "canary", steps: [20, 50, 100], step_seconds: 1, analysis: { max_error_rate: 0.05, min_requests: 10 } },
    });
    assert.equal(e.status, 200, JSON.stringify(e.json));
    assert.equal((await w.api("POST", "/endpoints/rank/deployments", { name: "main", model_uri: "models:/ranker@champion" })).status, 200);
    await waitFor(async () => (await w.invoke("rank", 1)).status, (s) => s === 200, { what: "the endpoint to answer", timeoutMs: 120_000, intervalMs: 100 });
    startTraffic("rank");

    await w.setAlias("ranker", "champion", v.three);
    const done = await waitFor(() => rollouts("rank"), (r) => r.length === 1 && !["running", "paused"].includes(r[0].state), { what: "the rollout to finish", timeoutMs: 180_000, intervalMs: 200 });
    assert.equal(done[0].state, "succeeded", JSON.stringify(done[0]));
    assert.equal(done[0].stable, "main");
    assert.equal(done[0].candidate, `main-v${v.three}`);
    const ep = (await w.api("GET", "/endpoints/rank")).json.endpoint;
    assert.deepEqual(ep.traffic, { [`main-v${v.three}`]: 100 });
    assert.deepEqual(ep.deployments.map((d: any) => [d.name, d.model_version, d.follow_alias]), [[`main-v${v.three}`, v.three, "champion"]], "the replaced deployment is gone");
    const a = await w.invoke("rank", 5);
    assert.deepEqual(a.json, { predictions: [15] });

    const h = (await w.api("GET", "/endpoints/rank/history")).json.history;
    const steps = h.filter((x: any) => x.action === "rollout.step").map((x: any) => x.detail.traffic[`main-v${v.three}`]).reverse();
    assert.deepEqual(steps, [20, 50, 100]);
    const judged = h.find((x: any) => x.action === "rollout.succeeded");
    assert.ok(judged.detail.analysis.window.requests >= 10, JSON.stringify(judged.detail));
    assert.equal(judged.actor, "ciclo");
    assert.match(h.find((x: any) => x.action === "rollout.started").reason, /@champion of 'ranker' moved to version/);
    // During the rollout both versions answered, and nothing failed.
    assert.ok(served.some((s) => s.deployment === "main") && served.some((s) => s.deployment === `main-v${v.three}`));
    assert.deepEqual(served.filter((s) => s.status !== 200), []);
  });

  test("a version that answers 500 is rolled back automatically mid-canary", async () => {
    const stable = `main-v${v.three}`;
    const bad = `main-v${v.broken}`;
    served.length = 0;
    await w.setAlias("ranker", "champion", v.broken);
    const done = await waitFor(() => rollouts("rank"), (r) => r.length === 2 && !["running", "paused"].includes(r[0].state), { what: "the second rollout to end", timeoutMs: 180_000, intervalMs: 200 });
    assert.equal(done[0].state, "rolled_back", JSON.stringify(done[0]));
    assert.equal(done[0].candidate, bad);
    assert.equal(done[0].step, 0, "judged at its first (20 %) step");
    assert.match(done[0].reason, /error rate 100\.0 % > 5\.0 %/);
    const ep = (await w.api("GET", "/endpoints/rank")).json.endpoint;
    assert.deepEqual(ep.traffic, { [stable]: 100, [bad]: 0 });
    const h = (await w.api("GET", "/endpoints/rank/history")).json.history;
    const back = h.find((x: any) => x.action === "rollout.rolled_back");
    assert.equal(back.detail.analysis.verdict, "fail");
    assert.ok(back.detail.analysis.window.errors >= 1);
    // After the rollback, clients get the stable version only.
    // Requests sent once the rollback is recorded (one sent before it may still be in flight and answered by the candidate).
    const rolledBackAt = performance.now();
    const sentAfter = () => served.filter((s) => s.sentAt > rolledBackAt);
    await waitFor(() => sentAfter().length, (n) => n >= 20, { what: "traffic after the rollback" });
    assert.deepEqual(sentAfter().filter((s) => s.deployment !== stable || s.status !== 200), []);
    // The broken version only ever saw its canary share.
    const failures = served.filter((s) => s.status !== 200);
    assert.ok(failures.every((s) => s.deployment === bad));
  });

  test("by hand: a rollout refuses manual traffic; abort restores; promote finishes at once", async () => {
    stop = true;
    await traffic;
    const stable = `main-v${v.three}`;
    const bad = `main-v${v.broken}`;
    const started = await w.api("POST", "/endpoints/rank/rollouts", { candidate: bad, strategy: { kind: "canary", steps: [50, 100], step_seconds: 3600 } });
    assert.equal(started.status, 200, JSON.stringify(started.json));
    const id = started.json.rollout.rollout_id;
    const busy = await w.api("POST", "/endpoints/rank/traffic", { traffic: { [stable]: 100 } });
    assert.equal(busy.status, 409);
    assert.match(busy.json.message, /pause or abort it/);
    await waitFor(() => w.api("GET", "/endpoints/rank"), (r) => r.json.endpoint.traffic[bad] === 50, { what: "the first step", timeoutMs: 60_000 });
    const paused = await w.api("POST", `/endpoints/rank/rollouts/${id}/pause`);
    assert.equal(paused.json.rollout.state, "paused");
    const aborted = await w.api("POST", `/endpoints/rank/rollouts/${id}/abort`);
    assert.equal(aborted.json.rollout.state, "aborted");
    assert.deepEqual((await w.api("GET", "/endpoints/rank")).json.endpoint.traffic, { [stable]: 100, [bad]: 0 });
    const again = await w.api("POST", `/endpoints/rank/rollouts/${id}/promote`);
    assert.equal(again.status, 409);
    assert.equal((await w.api("POST", `/endpoints/rank/rollouts/${id}/jump`)).status, 400);

    const second = await w.api("POST", "/endpoints/rank/rollouts", { candidate: bad, strategy: { kind: "blue-green", step_seconds: 3600 } });
    const promoted = await w.api("POST", `/endpoints/rank/rollouts/${second.json.rollout.rollout_id}/promote`);
    assert.equal(promoted.json.rollout.state, "succeeded");
    // The replaced deployment followed @champion, so it goes: the candidate serves everything.
    assert.deepEqual((await w.api("GET", "/endpoints/rank")).json.endpoint.traffic, { [bad]: 100 });
  });
});
