/**
 * A/B mode end to end, on a real server with real `ciclo models serve`
 * replicas: an endpoint splits traffic (sticky by a user header, so the split
 * is the same on every run) between a classifier that is right 85 % of the
 * time (`good`), one that always answers 0 (`bad`, a coin toss on these
 * labels) and a second deployment of the good version (`twin`). Labels
 * arrive by the request ids the answers carry; `GET /endpoints/ab/ab`
 * declares good better than bad, and no difference between good and its
 * twin. Sample sizes and accuracies are checked against what the test itself
 * saw (which deployment answered each request, and its label). The endpoint
 * page, in a real browser, shows the same verdict and sample sizes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { browserUnavailable, ensureUiBuilt, openUiBrowser } from "../testing/browser.js";
import { rng } from "../testing/seeded-data.js";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { waitFor } from "../testing/wait-for.js";

describe("A/B mode with a significance test", () => {
  let w: DeployWorld;
  let good: string;
  let bad: string;
  let expected: { n: Record<string, number> } | undefined;
  before(async () => {
    // The server serves the UI it finds at start.
    if (!browserUnavailable()) await ensureUiBuilt();
    w = await startDeployWorld();
    // x ∈ {0, 1}: factor 1 answers x, factor 0 answers 0.
    good = await w.register("classifier", await factorModel(w.dir, "good", 1));
    bad = await w.register("classifier", await factorModel(w.dir, "bad", 0));
  });
  after(async () => {
    await w?.close();
  });

  test("labelled traffic: the better version is significant, equal ones are not; bad queries are refused", async () => {
    await w.ok("POST", "/endpoints", { name: "ab", sticky_header: "x-user" });
    const deployments = { good, bad, twin: good };
    for (const [d, v] of Object.entries(deployments)) await w.ok("POST", "/endpoints/ab/deployments", { name: d, model_uri: `models:/classifier/${v}` });
    await w.ok("POST", "/endpoints/ab/traffic", { traffic: { good: 34, bad: 33, twin: 33 } });
    await waitFor(
      async () => (await w.api("GET", "/endpoints/ab")).json.endpoint,
      (e) => e.deployments.every((d: { health: { ready_replicas: number } }) => d.health.ready_replicas === 1),
      { what: "three deployments ready", timeoutMs: 120_000, intervalMs: 100 },
    );

    // Before any label: operations only, no test.
    const early = await w.ok("GET", "/endpoints/ab/ab");
    assert.equal(early.test, undefined);
    assert.match(early.notes.join(" "), /No labelled predictions/);

    const r = rng(7);
    const seen: Record<string, { n: number; correct: number }> = { good: { n: 0, correct: 0 }, bad: { n: 0, correct: 0 }, twin: { n: 0, correct: 0 } };
    const labels: Array<{ request_id: string; label: number }> = [];
    const N = 900;
    for (let i = 0; i < N; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => {
        const x = r() < 0.5 ? 1 : 0;
        const label = r() < 0.15 ? 1 - x : x; // the truth disagrees with x 15 % of the time
        return { user: `user-${i + k}`, x, label };
      });
      await Promise.all(
        batch.map(async (q) => {
          const res = await w.invoke("ab", q.x, { "x-user": q.user });
          assert.equal(res.status, 200, JSON.stringify(res.json));
          const d = res.headers.get("ciclo-deployment")!;
          const prediction = (res.json as { predictions: number[] }).predictions[0];
          assert.equal(prediction, d === "bad" ? 0 : q.x);
          seen[d].n++;
          if (prediction === q.label) seen[d].correct++;
          labels.push({ request_id: res.headers.get("x-request-id")!, label: q.label });
        }),
      );
    }
    assert.ok(Object.values(seen).every((s) => s.n > 200), `every variant took its share: ${JSON.stringify(seen)}`);
    await w.ok("POST", "/monitoring/labels", { labels });

    const better = await w.ok("GET", "/endpoints/ab/ab?a=bad&b=good");
    assert.equal(better.task, "classification");
    const variant = (name: string) => better.variants.find((v: { deployment: string }) => v.deployment === name);
    for (const d of ["good", "bad"]) {
      assert.equal(variant(d).labelled, seen[d].n, `${d}: every answered request is labelled`);
      assert.equal(variant(d).accuracy, seen[d].correct / seen[d].n, `${d}: accuracy from the joined labels`);
      assert.equal(variant(d).requests, seen[d].n, `${d}: the router's count`);
      assert.equal(variant(d).errors, 0);
      assert.ok(variant(d).p50_ms > 0 && variant(d).p99_ms >= variant(d).p50_ms);
    }
    assert.equal(variant("twin").labelled, 0, "only the two compared variants read labels");
    const t = better.test;
    assert.deepEqual([t.a, t.b, t.method, t.metric, t.n_a, t.n_b], ["bad", "good", "two-proportion z-test", "accuracy", seen.bad.n, seen.good.n]);
    assert.equal(t.verdict, "significant", t.reason);
    assert.equal(t.better, "good");
    assert.ok(t.p_value < 1e-6, `p = ${t.p_value}`);
    assert.ok(t.effect.ci_low > 0 && t.effect.ci_low < t.effect.estimate && t.effect.estimate < t.effect.ci_high);
    assert.equal(t.effect.estimate, seen.good.correct / seen.good.n - seen.bad.correct / seen.bad.n);

    const equal = await w.ok("GET", "/endpoints/ab/ab?a=good&b=twin");
    assert.equal(equal.test.verdict, "not_significant", equal.test.reason);
    assert.ok(equal.test.p_value >= 0.05);
    assert.ok(equal.test.effect.ci_low < 0 && equal.test.effect.ci_high > 0, "the interval holds 0");

    // Defaults: A is the deployment with the most traffic (good, 34 %), B the next (bad and twin have 33 %: by name).
    const byDefault = await w.ok("GET", "/endpoints/ab/ab");
    assert.deepEqual([byDefault.test.a, byDefault.test.b, byDefault.test.verdict, byDefault.test.better], ["good", "bad", "significant", "good"]);
    // A stricter alpha and a minimum sample the window cannot meet.
    assert.equal((await w.ok("GET", "/endpoints/ab/ab?a=bad&b=good&min_samples=100000")).test.verdict, "insufficient_data");
    const strict = await w.ok("GET", "/endpoints/ab/ab?a=bad&b=good&alpha=0.001");
    assert.equal(strict.alpha, 0.001);
    assert.equal(strict.test.effect.confidence, 0.999);

    expected = { n: { good: seen.good.n, bad: seen.bad.n } };

    const missing = await w.api("GET", "/endpoints/ab/ab?a=nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error_code, "RESOURCE_DOES_NOT_EXIST");
    const same = await w.api("GET", "/endpoints/ab/ab?a=good&b=good");
    assert.equal(same.status, 400);
    assert.equal(same.json.error_code, "INVALID_PARAMETER_VALUE");
    const badAlpha = await w.api("GET", "/endpoints/ab/ab?alpha=2");
    assert.equal(badAlpha.status, 400);
    assert.equal((await w.api("GET", "/endpoints/nothing/ab")).status, 404);
  });

  test("the endpoint page shows the A/B card with the verdict", async (t) => {
    if (!expected) return t.skip("the API test did not get this far");
    const ui = await openUiBrowser(w.url);
    if (!ui) return t.skip("Chromium is not available");
    try {
      const p = await ui.newPage({ viewport: { width: 1280, height: 1000 } });
      await p.goto("/deployments/ab");
      const verdict = p.page.getByTestId("ab-verdict");
      await verdict.waitFor();
      assert.equal(await verdict.innerText(), "Significant: good is better");
      const card = p.page.getByLabel("A/B comparison");
      assert.match(await card.innerText(), new RegExp(`n = ${expected.n.good} / ${expected.n.bad}`));
      assert.match(await p.page.getByTestId("ab-p-value").innerText(), /^\d/);
      p.assertClean();
    } finally {
      await ui.close();
    }
  });
});
