/**
 * System metrics against a live server: samples reach the run as `system/*`
 * metrics with increasing steps, sampling stops at endRun, the environment
 * turns it on, and a run without it logs none.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { Ciclo } from "./fluent-session.js";
import { SYSTEM_METRICS, SystemMetricsMonitor, systemMetricsFromEnv, systemMetricsIntervalFromEnv } from "./system-metrics.js";
import { TrackingClient } from "./tracking-client.js";

describe("system metrics", () => {
  let live: LiveTrackingServer;
  let client: TrackingClient;
  before(async () => {
    live = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: live.url, env: {} });
  });
  after(() => live.close());

  test("samples are logged as system/* metrics with increasing steps and stop at endRun", async () => {
    let samples = 0;
    let third!: () => void;
    const gotThree = new Promise<void>((resolve) => (third = resolve));
    const c = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: false });
    const run = await c.startRun({
      systemMetrics: { intervalMs: 20, onSample: () => void (++samples === 3 && third()) },
    });
    assert.ok(run.systemMetrics?.running);
    await gotThree;
    const report = await c.endRun();
    assert.deepEqual(report.errors, []);
    assert.equal(run.systemMetrics?.running, false);
    const taken = samples;
    const got = await client.getRun(run.runId);
    const keys = new Set(got.data.metrics.map((m) => m.key));
    for (const key of Object.values(SYSTEM_METRICS)) assert.ok(keys.has(key), `${key} logged`);
    const rss = await client.getAllMetricHistory(run.runId, SYSTEM_METRICS.rss);
    assert.deepEqual(rss.map((m) => m.step), Array.from({ length: taken }, (_, i) => i));
    assert.ok(rss.every((m) => m.value > 10 && m.value < 100_000), "process RSS in MB");
    const cpu = await client.getAllMetricHistory(run.runId, SYSTEM_METRICS.cpu);
    assert.ok(cpu.every((m) => m.value >= 0 && m.value <= 100));
    const mem = await client.getAllMetricHistory(run.runId, SYSTEM_METRICS.memoryPercent);
    assert.ok(mem.every((m) => m.value > 0 && m.value <= 100));
    // The timer is gone: another tick's worth of event-loop turns brings no new sample.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(samples, taken);
  });

  test("a blocked event loop shows as lag; the sampler's timer never keeps the process alive", async () => {
    const logged: Array<Record<string, number>> = [];
    const m = new SystemMetricsMonitor({ logMetrics: (v) => void logged.push(v) }, { intervalMs: 10_000 }).start();
    assert.equal((m as unknown as { timer: NodeJS.Timeout }).timer.hasRef(), false);
    const turn = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await turn(30); // the delay histogram runs on its own timer: let it tick before blocking
    const until = Date.now() + 80;
    while (Date.now() < until) {
      // busy: the loop is blocked for 80 ms
    }
    await turn(30);
    const v = m.sample();
    m.stop();
    assert.ok(v[SYSTEM_METRICS.lagMax] >= 50, `max lag ${v[SYSTEM_METRICS.lagMax]} ms after an 80 ms block`);
    assert.ok(v[SYSTEM_METRICS.processCpu] > 0);
    assert.equal(logged.length, 1);
  });

  test("the environment turns it on (CICLO_SYSTEM_METRICS, MLflow's variable) and sets the interval; off by default", async () => {
    assert.equal(systemMetricsFromEnv({ CICLO_SYSTEM_METRICS: "1" }), true);
    assert.equal(systemMetricsFromEnv({ MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING: "true" }), true);
    assert.equal(systemMetricsFromEnv({}), false);
    assert.equal(systemMetricsIntervalFromEnv({ CICLO_SYSTEM_METRICS_INTERVAL: "0.5" }), 500);
    assert.equal(systemMetricsIntervalFromEnv({ MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL: "10" }), 10_000);
    const on = new Ciclo({ trackingUri: live.url, env: { CICLO_SYSTEM_METRICS: "1", CICLO_SYSTEM_METRICS_INTERVAL: "30" }, contextCapture: false });
    const r1 = await on.startRun();
    assert.deepEqual([r1.systemMetrics?.running, r1.systemMetrics?.intervalMs], [true, 30_000]);
    r1.systemMetrics!.sample();
    await on.endRun();
    assert.ok((await client.getRun(r1.runId)).data.metrics.some((m) => m.key === SYSTEM_METRICS.heapUsed));
    const off = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: false });
    const r2 = await off.startRun();
    assert.equal(r2.systemMetrics, undefined);
    await off.endRun();
    assert.deepEqual((await client.getRun(r2.runId)).data.metrics, []);
  });
});
