/**
 * Deployments feed monitoring with no wiring by the user, on a real server
 * with real `ciclo models serve` replicas:
 * - an endpoint with two deployments of two versions receives traffic through
 *   the router; the monitoring store holds segments per deployment, each with
 *   that deployment's model version and exactly the rows it answered (the
 *   model servers, which log too, skip what the router logged);
 * - the answers carry the request id the rows are filed under (labels join on it);
 * - a shifted window on one deployment is flagged by that deployment's monitor
 *   (a target naming only `endpoint` and `deployment`), not by the other's;
 * - a request sent straight to a replica (not through the router) reaches the
 *   store too, through the replica's own `--log-requests tracking`.
 * The direct requests are sent after the routed ones and asserted last, so the
 * exact row counts prove the replicas did not log the routed requests again.
 * - through `ciclo gateway` (run in-process on the same server's route table),
 *   the gateway logs what it routes, under each deployment's model, and the
 *   replicas skip it again (the second test uses the first one's endpoint).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeProfile } from "../monitoring/profiles/profile-codec.js";
import { profileReference } from "../monitoring/profiles/profiler.js";
import { InMemoryTableSource } from "../monitoring/profiles/table-source.js";
import { startGateway } from "../cli/commands/gateway-server.js";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { waitFor } from "../testing/wait-for.js";

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const ROWS_PER_REQUEST = 20;

describe("deployments feed monitoring", () => {
  let w: DeployWorld;
  const versions: Record<string, string> = {};
  before(async () => {
    w = await startDeployWorld();
    versions.blue = await w.register("scorer", await factorModel(w.dir, "two", 2));
    versions.green = await w.register("scorer", await factorModel(w.dir, "three", 3));
  });
  after(async () => {
    await w?.close();
  });

  /** `n` requests of 20 rows of x ~ N(shift, 1); counts the rows each deployment answered. */
  async function send(n: number, seed: number, shift: number, headers: Record<string, string> = {}, counts: Record<string, number> = {}, base = w.url) {
    const normal = rng(seed);
    const ids: string[] = [];
    for (let i = 0; i < n; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(4, n - i) }, async () => {
          const rows = Array.from({ length: ROWS_PER_REQUEST }, () => ({ x: normal() + shift }));
          const res = await fetch(`${base}/endpoints/traffic/invocations`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ dataframe_records: rows }) });
          const json = (await res.json()) as { predictions: number[] };
          assert.equal(res.status, 200, JSON.stringify(json));
          const d = res.headers.get("ciclo-deployment")!;
          assert.equal(json.predictions[0], rows[0].x * (d === "blue" ? 2 : 3));
          counts[d] = (counts[d] ?? 0) + ROWS_PER_REQUEST;
          return res.headers.get("x-request-id") ?? "";
        }),
      );
      ids.push(...batch);
    }
    return { counts, ids };
  }

  async function segments(deployment: string) {
    return (await w.ok("GET", `/monitoring/segments?endpoint=traffic&deployment=${deployment}`)).segments as Array<{ model_name: string; model_version: string; rows: number; requests: number; endpoint: string; deployment: string }>;
  }
  const rowsOf = (segs: Array<{ rows: number }>) => segs.reduce((a, s) => a + s.rows, 0);

  test("two deployments: rows per deployment with its version; a shifted window is flagged on that deployment only", async () => {
    await w.ok("POST", "/endpoints", { name: "traffic" });
    for (const d of ["blue", "green"]) await w.ok("POST", "/endpoints/traffic/deployments", { name: d, model_uri: `models:/scorer/${versions[d]}` });
    await w.ok("POST", "/endpoints/traffic/traffic", { traffic: { blue: 50, green: 50 } });
    await waitFor(
      async () => (await w.api("GET", "/endpoints/traffic")).json.endpoint,
      (e) => e.deployments.every((d: any) => d.health.ready_replicas === 1), // eslint-disable-line @typescript-eslint/no-explicit-any
      { what: "both deployments ready", timeoutMs: 120_000, intervalMs: 100 },
    );

    // The reference: x ~ N(0, 1), 3,000 rows (large: judged by Wasserstein distance ≥ 0.1).
    const normal = rng(1);
    const reference = await profileReference(new InMemoryTableSource([{ name: "x", values: Float64Array.from({ length: 3000 }, normal) }]));
    const { path } = await w.ok("POST", "/monitoring/references", { name: "scorer-train", profile: JSON.parse(encodeProfile(reference)) });
    for (const d of ["blue", "green"]) {
      // A deployment's monitor names only the endpoint and the deployment.
      await w.ok("POST", "/monitoring/monitors", { name: `traffic-${d}`, spec: { target: { endpoint: "traffic", deployment: d }, window_seconds: 600, every_seconds: 600, reference_profile: path } });
    }

    // Window 1: the split traffic, unshifted.
    const first = await send(100, 2, 0);
    assert.ok(first.counts.blue > 0 && first.counts.green > 0, `both deployments answered: ${JSON.stringify(first.counts)}`);
    assert.ok(first.ids.every((id) => /^[0-9a-f-]{36}$/.test(id)), "every answer names the request id it is filed under");
    const t1 = Date.now() + 1;
    while (Date.now() < t1) await new Promise((r) => setImmediate(r));

    // Window 2: green gets shifted inputs (x + 2σ), blue unshifted ones; a caller's own request id is kept.
    const second = await send(60, 3, 2, { "ciclo-deployment": "green" });
    const own = await fetch(`${w.url}/endpoints/traffic/invocations`, { method: "POST", headers: { "content-type": "application/json", "ciclo-deployment": "blue", "x-request-id": "order-17" }, body: JSON.stringify({ dataframe_records: [{ x: 0.5 }] }) });
    assert.equal(own.headers.get("x-request-id"), "order-17");
    await own.arrayBuffer();
    const blue2 = await send(60, 4, 0, { "ciclo-deployment": "blue" });
    blue2.counts.blue += 1;

    // A request straight to each replica (not through the router) is logged by the replica itself, which sends its
    // log in order once a second: once these reach the store, everything the replicas logged before them has too.
    const e = (await w.ok("GET", "/endpoints/traffic")).endpoint;
    for (const d of ["blue", "green"]) {
      const replica = e.deployments.find((x: { name: string }) => x.name === d).health.replicas[0].url as string;
      const res = await fetch(`${replica}/invocations`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": `direct-${d}` }, body: JSON.stringify({ dataframe_records: [{ x: 1 }, { x: 2 }, { x: 3 }] }) });
      assert.deepEqual(await res.json(), { predictions: [1, 2, 3].map((x) => x * (d === "blue" ? 2 : 3)) });
    }
    await waitFor(
      async () => {
        await w.ok("POST", "/monitoring/inference/flush");
        return [rowsOf(await segments("blue")), rowsOf(await segments("green"))];
      },
      ([b, g]) => b >= first.counts.blue + blue2.counts.blue + 3 && g >= first.counts.green + second.counts.green + 3,
      { what: "the replicas' own logs to reach the store", timeoutMs: 30_000, intervalMs: 250 },
    );
    const blueSegs = await segments("blue");
    const greenSegs = await segments("green");
    assert.deepEqual([...new Set(blueSegs.map((s) => `${s.model_name}/${s.model_version}`))], [`scorer/${versions.blue}`]);
    assert.deepEqual([...new Set(greenSegs.map((s) => `${s.model_name}/${s.model_version}`))], [`scorer/${versions.green}`]);
    // Exactly the rows each answered, plus the 3 sent straight to it: the replicas did not file the routed ones again.
    assert.equal(rowsOf(blueSegs), first.counts.blue + blue2.counts.blue + 3);
    assert.equal(rowsOf(greenSegs), first.counts.green + second.counts.green + 3);

    const run = async (d: string, end: number) => {
      const r = await w.ok("POST", `/monitoring/monitors/traffic-${d}/run`, { window_end: end, wait: true });
      return { rows: r.rows as number, flagged: (r.points as Array<{ metric: string; flagged: boolean }>).filter((p) => p.flagged).map((p) => p.metric) };
    };
    assert.deepEqual(await run("blue", t1), { rows: first.counts.blue, flagged: [] });
    assert.deepEqual(await run("green", t1), { rows: first.counts.green, flagged: [] });
    assert.deepEqual(await run("blue", t1 + 600_000), { rows: blue2.counts.blue + 3, flagged: [] });
    const green = await run("green", t1 + 600_000);
    assert.equal(green.rows, second.counts.green + 3);
    assert.deepEqual(green.flagged.sort(), ["dataset.drift_share", "drift.x"]);
  });
  test("through ciclo gateway: the gateway logs what it routes under each deployment's model; the replicas skip it", async () => {
    await w.ok("POST", "/monitoring/inference/flush");
    const before = { blue: rowsOf(await segments("blue")), green: rowsOf(await segments("green")) };
    const lines: string[] = [];
    const gateway = await startGateway({ trackingUri: w.url, host: "127.0.0.1", port: 0, refreshMs: 60_000, inferenceLog: true, log: (msg) => void lines.push(msg) });
    try {
      assert.ok(lines.includes("ciclo gateway: logging scoring requests to the server's monitoring API"), lines.join("\n"));
      const routed = await send(40, 5, 0, {}, {}, gateway.url);
      assert.ok(routed.counts.blue > 0 && routed.counts.green > 0, `both deployments answered: ${JSON.stringify(routed.counts)}`);
      assert.ok(routed.ids.every((id) => /^[0-9a-f-]{36}$/.test(id)), "the gateway's answers name the request id it logged them under");
      // Posts what it holds.
      await gateway.close();
      // The replicas' own logs, as the end marker: a request straight to each.
      const e = (await w.ok("GET", "/endpoints/traffic")).endpoint;
      for (const d of ["blue", "green"]) {
        const replica = e.deployments.find((x: { name: string }) => x.name === d).health.replicas[0].url as string;
        const res = await fetch(`${replica}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ x: 1 }] }) });
        await res.arrayBuffer();
      }
      const want = { blue: before.blue + routed.counts.blue + 1, green: before.green + routed.counts.green + 1 };
      await waitFor(
        async () => {
          await w.ok("POST", "/monitoring/inference/flush");
          return [rowsOf(await segments("blue")), rowsOf(await segments("green"))];
        },
        ([b, g]) => b >= want.blue && g >= want.green,
        { what: "the gateway's and the replicas' logs to reach the store", timeoutMs: 30_000, intervalMs: 250 },
      );
      const blueSegs = await segments("blue");
      const greenSegs = await segments("green");
      // Each routed request once (the gateway's), plus the one sent straight to each replica.
      assert.deepEqual([rowsOf(blueSegs), rowsOf(greenSegs)], [want.blue, want.green]);
      assert.deepEqual([...new Set(blueSegs.map((s) => `${s.model_name}/${s.model_version}`))], [`scorer/${versions.blue}`]);
      assert.deepEqual([...new Set(greenSegs.map((s) => `${s.model_name}/${s.model_version}`))], [`scorer/${versions.green}`]);
    } finally {
      await gateway.close();
    }
  });
});
