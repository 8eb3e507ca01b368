/**
 * The local target and the router end to end, with real `ciclo models serve`
 * processes behind a real server:
 * - an endpoint with two deployments of two versions splits 2,000 requests
 *   80/20 within ±3 %, every answer from the deployment its
 *   `ciclo-deployment` header names;
 * - a mirrored third deployment gets its share (10 % ± 3 %) while clients
 *   only ever get the primaries' answers; its latency and prediction
 *   divergence are in /metrics;
 * - `ciclo-deployment: <name>` invokes one deployment directly;
 * - a replica killed with SIGKILL is restarted while the endpoint keeps
 *   answering (< 1 % errors).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { metricValue } from "../testing/scoring-app-kit.js";
import { waitFor } from "../testing/wait-for.js";

/** Runs `n` calls with `concurrency` in flight. */
async function load<T>(n: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await call(i);
      }
    }),
  );
  return out;
}

describe("deployments on the local target", () => {
  let w: DeployWorld;
  const versions: Record<string, string> = {};
  before(async () => {
    w = await startDeployWorld();
    for (const [k, factor] of [["two", 2], ["three", 3], ["five", 5]] as const) versions[k] = await w.register("scorer", await factorModel(w.dir, k, factor));
  });
  after(async () => {
    await w?.close();
  });

  const ready = (endpoint: string, want: Record<string, number>) =>
    waitFor(
      async () => (await w.api("GET", `/endpoints/${endpoint}`)).json.endpoint,
      (e) => Object.entries(want).every(([d, n]) => e.deployments.find((x: any) => x.name === d)?.health.ready_replicas === n),
      { what: `${endpoint}: ready replicas ${JSON.stringify(want)}`, timeoutMs: 120_000, intervalMs: 100 },
    );

  test("2,000 requests split 80/20 within ±3 %; a mirrored deployment sees its share, clients only primary answers", async () => {
    assert.equal((await w.api("POST", "/endpoints", { name: "split" })).status, 200);
    for (const [name, v] of [["blue", versions.two], ["green", versions.three], ["shadow", versions.five]]) {
      const r = await w.api("POST", "/endpoints/split/deployments", { name, model_uri: `models:/scorer/${v}` });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    const t = await w.api("POST", "/endpoints/split/traffic", { traffic: { blue: 80, green: 20 }, mirror_traffic: { shadow: 10 } });
    assert.equal(t.status, 200, JSON.stringify(t.json));
    await ready("split", { blue: 1, green: 1, shadow: 1 });

    const answers = await load(2000, 16, (i) => w.invoke("split", i));
    const counts: Record<string, number> = {};
    answers.forEach((a, i) => {
      assert.equal(a.status, 200, JSON.stringify(a.json));
      const d = a.headers.get("ciclo-deployment")!;
      counts[d] = (counts[d] ?? 0) + 1;
      // The answer is the named deployment's own: blue doubles, green triples; never the shadow's 5×.
      assert.deepEqual(a.json, { predictions: [i * (d === "blue" ? 2 : d === "green" ? 3 : NaN)] }, `request ${i} answered by ${d}`);
    });
    assert.deepEqual(Object.keys(counts).sort(), ["blue", "green"]);
    assert.ok(Math.abs(counts.green / 2000 - 0.2) <= 0.03, `green got ${counts.green} of 2000`);

    // Mirrored copies finish after the primaries' answers: wait until they are all counted.
    const mirrored = async () => {
      const m = await (await fetch(`${w.url}/metrics`)).text();
      return (metricValue(m, "ciclo_endpoint_mirror_requests_total", { endpoint: "split", deployment: "shadow", outcome: "ok" }) ?? 0) + (metricValue(m, "ciclo_endpoint_mirror_requests_total", { endpoint: "split", deployment: "shadow", outcome: "error" }) ?? 0);
    };
    let last = -1;
    const seen = await waitFor(mirrored, (n) => { const settled = n === last && n > 0; last = n; return settled; }, { intervalMs: 300, what: "mirrored requests to settle" });
    assert.ok(Math.abs(seen / 2000 - 0.1) <= 0.03, `shadow saw ${seen} mirrored requests of 2000`);
    const m = await (await fetch(`${w.url}/metrics`)).text();
    assert.equal(metricValue(m, "ciclo_endpoint_mirror_requests_total", { endpoint: "split", deployment: "shadow", outcome: "error" }) ?? 0, 0);
    assert.equal(metricValue(m, "ciclo_endpoint_prediction_divergence_count", { endpoint: "split", deployment: "shadow" }), seen);
    assert.ok((metricValue(m, "ciclo_endpoint_prediction_divergence_sum", { endpoint: "split", deployment: "shadow" }) ?? 0) > 0, "5× differs from 2× and 3×");
    assert.equal(metricValue(m, "ciclo_endpoint_requests_total", { endpoint: "split", deployment: "green", code: "2xx" }), counts.green);
    assert.equal(metricValue(m, "ciclo_deployment_replicas_ready", { endpoint: "split", deployment: "shadow" }), 1);
    assert.equal(metricValue(m, "ciclo_deployment_traffic_percent", { endpoint: "split", deployment: "blue" }), 80);
  });

  test("the ciclo-deployment header invokes one deployment directly, even at 0 %; an unknown one is a 404", async () => {
    const direct = await w.invoke("split", 7, { "ciclo-deployment": "shadow" });
    assert.equal(direct.status, 200);
    assert.equal(direct.headers.get("ciclo-deployment"), "shadow");
    assert.deepEqual(direct.json, { predictions: [35] });
    const none = await w.invoke("split", 7, { "ciclo-deployment": "purple" });
    assert.equal(none.status, 404);
    assert.equal(none.json.error_code, "RESOURCE_DOES_NOT_EXIST");
    const v2 = await fetch(`${w.url}/endpoints/split/v2/health/ready`, { headers: { "ciclo-deployment": "green" } });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get("ciclo-deployment"), "green");
    const logs = await w.api("GET", "/endpoints/split/deployments/green/logs?tail=50");
    assert.ok(logs.json.lines.some((l: string) => l.includes("ciclo scoring server ready")), logs.json.lines.join("\n"));
  });

  test("a replica killed with SIGKILL is restarted while the endpoint keeps answering (< 1 % errors)", async () => {
    assert.equal((await w.api("POST", "/endpoints", { name: "steady" })).status, 200);
    assert.equal((await w.api("POST", "/endpoints/steady/deployments", { name: "main", model_uri: `models:/scorer/${versions.two}`, replicas: 2 })).status, 200);
    const e = await ready("steady", { main: 2 });
    const victim = e.deployments[0].health.replicas[0];
    assert.ok(victim.pid > 0);

    let stop = false;
    let sent = 0;
    let errors = 0;
    let killed = false;
    const worker = async () => {
      while (!stop) {
        const a = await w.invoke("steady", 1).catch(() => ({ status: 0 }));
        sent++;
        if (a.status !== 200) errors++;
        if (sent === 200 && !killed) {
          killed = true;
          process.kill(victim.pid, "SIGKILL");
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    const back = await waitFor(
      async () => (await w.api("GET", "/endpoints/steady")).json.endpoint.deployments[0].health,
      (h) => killed && h.restarts === 1 && h.ready_replicas === 2,
      { what: "the killed replica to be back", timeoutMs: 120_000, intervalMs: 100 },
    );
    // Keep the load on a little after the restart, so traffic reaches the new process too.
    const until = sent + 200;
    await waitFor(() => sent, (n) => n >= until, { what: "more requests" });
    stop = true;
    await Promise.all(workers);
    const restarted = back.replicas.find((r: any) => r.index === victim.index);
    assert.notEqual(restarted.pid, victim.pid);
    assert.match(restarted.last_exit, /SIGKILL/);
    assert.ok(errors / sent < 0.01, `${errors} errors of ${sent} requests`);
    const m = await (await fetch(`${w.url}/metrics`)).text();
    assert.equal(metricValue(m, "ciclo_deployment_restarts", { endpoint: "steady", deployment: "main" }), 1);
  });
});
