/**
 * Monitoring's settings as `ciclo server` flags, through a real child server:
 * - `--monitor-sample-rate` and `--monitor-segment-requests` (with a long
 *   `--monitor-flush-interval`): segments are written as soon as that many
 *   sampled requests wait, each marked with the sample rate, and only a share
 *   of the requests is kept;
 * - `--monitor-webhook-allow` lets an alert reach a receiver on loopback, and
 *   `--monitor-webhook-timeout` gives up on one that never answers;
 * - bad values stop the server before it listens, naming the flag.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo, startChildServer, type ChildServer } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";

describe("ciclo server --monitor-* flags", () => {
  const dir = tempDir();
  let server: ChildServer;
  let silent: Server;
  let port = 0;
  before(async () => {
    // A webhook receiver that takes the request and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    port = (silent.address() as AddressInfo).port;
    server = await startChildServer(`sqlite:///${join(dir.path, "mon.db")}`, join(dir.path, "artifacts"), {
      args: ["--monitor-sample-rate", "0.5", "--monitor-segment-requests", "4", "--monitor-flush-interval", "1h", "--monitor-webhook-allow", `127.0.0.1:${port}`, "--monitor-webhook-timeout", "1s", "--monitor-tick", "0 0 1 1 *"],
    });
  });
  after(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill("SIGTERM");
      await server.exited;
    }
    silent?.closeAllConnections();
    await new Promise((r) => silent?.close(r));
    dir.remove();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/ciclo/v1${path}`, { method, headers: body === undefined ? undefined : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(res.status, 200, JSON.stringify(json));
    return json;
  };

  test("requests are sampled at the rate and written once --monitor-segment-requests wait", async () => {
    const now = Date.now();
    const records = Array.from({ length: 80 }, (_, i) => ({ request_id: `r${i}`, time: now + i, model_name: "m", model_version: "1", status: 200, latency_ms: 2, request: { dataframe_records: [{ x: i }] }, response: { predictions: [i] } }));
    assert.equal((await call("POST", "/monitoring/inference", { records })).accepted, 80);
    // No flush asked for, and the timer is an hour away: segments exist only because 4 sampled requests waited.
    const segments = await waitFor(
      async () => (await call("GET", "/monitoring/segments?model_name=m")).segments as Array<{ requests: number; sample_rate: number }>,
      (s) => s.length > 0,
      { what: "a segment written by count", timeoutMs: 20_000, intervalMs: 100 },
    );
    for (const s of segments) {
      assert.equal(s.sample_rate, 0.5);
      assert.ok(s.requests >= 4, `a segment of ${s.requests} requests`);
    }
    await call("POST", "/monitoring/inference/flush");
    const kept = ((await call("GET", "/monitoring/segments?model_name=m")).segments as Array<{ requests: number }>).reduce((a, s) => a + s.requests, 0);
    // Binomial(80, 0.5): outside 20–60 once in ~10^5 runs.
    assert.ok(kept >= 20 && kept <= 60, `kept ${kept} of 80 requests at rate 0.5`);
  });

  test("an alert's webhook may reach the allowed loopback receiver, and gives up after --monitor-webhook-timeout", async () => {
    const t0 = Date.now();
    await call("POST", "/monitoring/monitors", {
      name: "ops",
      spec: {
        target: { model_name: "m" },
        window_seconds: 3600,
        every_seconds: 3600,
        operations: { max_latency_p95_ms: 1 },
        alerts: [{ name: "few", when: "operations", webhook: { url: `http://127.0.0.1:${port}/hook`, format: "generic" } }],
      },
    });
    const run = await call("POST", "/monitoring/monitors/ops/run", { window_end: Date.now() + 1000, wait: true });
    const took = Date.now() - t0;
    assert.equal(run.alerts.length, 1);
    assert.equal(run.alerts[0].outcome, "opened");
    // Allowed (not refused as internal) and timed out: the receiver got the request and never answered.
    assert.match(run.alerts[0].delivery, /^failed: .*timed out/);
    assert.ok(took < 4_000, `the 1 s webhook timeout held the run ${took} ms`);
  });

  test("bad values stop the server before it listens, naming the flag", async () => {
    const db = `sqlite:///${join(dir.path, "bad.db")}`;
    for (const [args, message] of [
      [["--monitor-sample-rate", "1.5"], /--monitor-sample-rate 1\.5: a share of requests in \(0, 1\]/],
      [["--monitor-retention", "forever"], /--monitor-retention expects an age like 30d/],
      [["--monitor-segment-requests", "0"], /--monitor-segment-requests 0: a whole number of at least 1/],
      [["--monitor-buffer", "10", "--monitor-segment-requests", "20"], /--monitor-buffer \(10\) must hold at least --monitor-segment-requests \(20\)/],
    ] as const) {
      const r = await runCiclo(["server", "--port", "0", "--backend-store-uri", db, "--artifacts-destination", join(dir.path, "bad-artifacts"), ...args]);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message);
    }
  });
});
