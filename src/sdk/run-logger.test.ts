/**
 * The buffered run logger against a live server: batching, interval flushes,
 * retries after lost responses (a proxy drops the connection after the server
 * applied the batch), refused entities, offline fallback — and never a throw.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startFaultProxy, type FaultProxy } from "../testing/fault-proxy.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import type { LoggingError } from "./logging-errors.js";
import { syncOfflineRuns } from "./offline-sync.js";
import { RunLogger, type LoggerTarget, type RunLoggerOptions } from "./run-logger.js";
import { TrackingClient } from "./tracking-client.js";

const FAST = { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 };
const LOG_BATCH = "/api/2.0/mlflow/runs/log-batch";

describe("run logger", () => {
  let live: LiveTrackingServer;
  let proxy: FaultProxy;
  let direct: TrackingClient;
  let viaProxy: TrackingClient;
  let exp: string;
  const spoolRoot = tempDir("ciclo-spool-");
  const loggers: RunLogger[] = [];

  before(async () => {
    live = await startLiveTrackingServer();
    proxy = await startFaultProxy(live.url);
    direct = new TrackingClient({ trackingUri: live.url, env: {} });
    viaProxy = new TrackingClient({ trackingUri: proxy.url, env: {}, retry: FAST });
    exp = await direct.createExperiment("logger");
  });
  after(async () => {
    for (const l of loggers) await l.end();
    await proxy.close();
    await live.close();
    spoolRoot.remove();
  });

  /** A new run and a logger for it, talking through the proxy. */
  async function newLogger(opts: RunLoggerOptions = {}, client = viaProxy) {
    const run = await direct.createRun({ experimentId: exp, runName: `r${loggers.length}` });
    const i = run.info;
    const target: LoggerTarget = {
      mode: "online",
      client,
      run: { runId: i.runId, experimentId: i.experimentId, experimentName: "logger", runName: i.runName, userId: i.userId, startTime: i.startTime!, tags: [] },
    };
    const errors: LoggingError[] = [];
    const logger = new RunLogger(target, { flushIntervalMs: 60_000, offlineDir: spoolRoot.path, onError: (e) => errors.push(e), ...opts });
    loggers.push(logger);
    return { logger, runId: i.runId, errors };
  }

  test("returns before any I/O and sends batches of 1,000", async () => {
    const { logger, runId } = await newLogger();
    const hitsBefore = proxy.hits.get(LOG_BATCH) ?? 0;
    for (let i = 0; i < 2500; i++) logger.logMetric("loss", 1 / (i + 1), i, 1000 + i);
    logger.logParam("lr", 0.01);
    logger.setTag("phase", "warmup");
    logger.setTag("phase", "train");
    assert.equal(proxy.hits.get(LOG_BATCH) ?? 0, hitsBefore, "nothing was sent inside the logging calls");
    assert.equal(logger.pending, 2502);
    const report = await logger.flush();
    assert.deepEqual(report, { errors: [], offline: false, spoolDir: undefined });
    assert.equal(logger.pending, 0);
    assert.deepEqual(logger.stats.metricsPerBatch, [998, 1000, 502], "params and tags share the first call's 1,000 entities");
    const history = await direct.getAllMetricHistory(runId, "loss");
    assert.equal(history.length, 2500);
    assert.deepEqual([history[0].step, history[2499].step, history[2499].timestamp], [0, 2499, 3499]);
    const run = await direct.getRun(runId);
    assert.deepEqual(run.data.params, [{ key: "lr", value: "0.01" }]);
    assert.equal(run.data.tags.find((t) => t.key === "phase")?.value, "train");
  });

  test("flush waits for a batch in flight and for what was logged behind it", async () => {
    const { logger, runId } = await newLogger();
    for (let i = 0; i < 1000; i++) logger.logMetric("f", i, i);
    await new Promise<void>((r) => setImmediate(r)); // the size-triggered drain has started: a batch is in flight
    for (let i = 1000; i < 1005; i++) logger.logMetric("f", i, i);
    await logger.flush();
    assert.equal((await direct.getAllMetricHistory(runId, "f")).length, 1005);
    assert.deepEqual(logger.stats.metricsPerBatch, [1000, 5]);
  });

  test("flushes on its interval without being asked", async () => {
    let sent!: () => void;
    const sentOnce = new Promise<void>((r) => (sent = r));
    const { logger, runId } = await newLogger({ flushIntervalMs: 20, onBatchSent: () => sent() });
    logger.logMetrics({ a: 1, b: 2 }, 7);
    await sentOnce;
    const run = await direct.getRun(runId);
    assert.deepEqual(run.data.metrics.map((m) => [m.key, m.value, m.step]).sort(), [["a", 1, 7], ["b", 2, 7]]);
  });

  test("a batch re-sent after a lost response is stored once", async () => {
    const { logger, runId, errors } = await newLogger();
    const hitsBefore = proxy.hits.get(LOG_BATCH) ?? 0;
    proxy.failNext("runs/log-batch", "drop-after", 1); // the server applies the batch; its answer never arrives
    proxy.failNext("runs/log-batch", "503", 1);
    for (let i = 0; i < 10; i++) logger.logMetric("x", i * 0.5, i, 500 + i);
    logger.logParam("p", "1");
    logger.setTag("t", "v");
    const report = await logger.flush();
    assert.deepEqual(report.errors, []);
    assert.deepEqual(errors, []);
    assert.equal(proxy.hits.get(LOG_BATCH), hitsBefore + 3, "the same batch went out three times");
    assert.deepEqual((await direct.getAllMetricHistory(runId, "x")).map((m) => m.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const run = await direct.getRun(runId);
    assert.deepEqual(run.data.params, [{ key: "p", value: "1" }]);
  });

  test("isolates what the server refuses and keeps the rest", async () => {
    const { logger, runId, errors } = await newLogger();
    for (let i = 0; i < 40; i++) logger.logMetric("good", i, i);
    logger.logMetric("a/../b", 1); // MLflow refuses keys that normalise to another path
    logger.logParam("huge", "x".repeat(7000)); // over the 6,000-character limit
    logger.logParam("ok", "1");
    const report = await logger.flush();
    assert.equal((await direct.getAllMetricHistory(runId, "good")).length, 40);
    assert.deepEqual((await direct.getRun(runId)).data.params, [{ key: "ok", value: "1" }]);
    assert.deepEqual(report.errors.map((e) => e.kind), ["rejected", "rejected"]);
    const dropped = report.errors.reduce((a, e) => ({ m: a.m + e.dropped.metrics, p: a.p + e.dropped.params }), { m: 0, p: 0 });
    assert.deepEqual(dropped, { m: 1, p: 1 });
    assert.ok(report.errors.some((e) => /a\/\.\.\/b/.test(e.message)));
    assert.deepEqual(errors, report.errors, "onError saw the same problems");
    assert.deepEqual((await logger.flush()).errors, [], "a report hands each error out once");
  });

  test("a run deleted under the logger: its batch is dropped at once, not split", async () => {
    const { logger, runId } = await newLogger();
    await direct.deleteRun(runId);
    const hitsBefore = proxy.hits.get(LOG_BATCH) ?? 0;
    for (let i = 0; i < 500; i++) logger.logMetric("m", i, i);
    const report = await logger.flush();
    assert.deepEqual(report.errors.map((e) => [e.kind, e.dropped.metrics]), [["rejected", 500]]);
    assert.match(report.errors[0].message, /must be in the 'active' state/);
    assert.equal(proxy.hits.get(LOG_BATCH), hitsBefore + 1);
  });

  test("never throws: bad arguments, changed params, calls after the end", async () => {
    const { logger, runId, errors } = await newLogger();
    logger.logMetric(42 as unknown as string, "high" as unknown as number);
    logger.logParam("lr", 0.1);
    logger.logParam("lr", 0.1);
    logger.logParam("lr", 0.2);
    logger.logMetric("nan", NaN, 0, 1);
    logger.logMetric("inf", -Infinity, 0, 1);
    const end = await logger.end("FAILED", 12345);
    assert.deepEqual(end.errors.map((e) => e.kind), ["invalid", "param-changed"]);
    logger.logMetric("late", 1);
    logger.setTag("late", "1");
    assert.deepEqual(errors.map((e) => e.kind), ["invalid", "param-changed", "closed", "closed"]);
    const run = await direct.getRun(runId);
    assert.deepEqual([run.info.status, run.info.endTime], ["FAILED", 12345]);
    assert.deepEqual(run.data.params, [{ key: "lr", value: "0.1" }]);
    const byKey = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    assert.ok(Number.isNaN(byKey.nan));
    assert.equal(byKey.inf, -Infinity);
    assert.equal(byKey.late, undefined);
  });

  test("drops points beyond the buffer bound with one error", async () => {
    const { logger, runId } = await newLogger({ maxBufferedMetrics: 5 });
    for (let i = 0; i < 12; i++) logger.logMetric("m", i, i);
    const report = await logger.flush();
    assert.deepEqual(report.errors.map((e) => e.kind), ["buffer-full"]);
    assert.equal((await direct.getAllMetricHistory(runId, "m")).length, 5);
  });

  test("falls back to the offline spool when the server stays unreachable, and sync completes the run", async () => {
    const { logger, runId, errors } = await newLogger({ maxMetricsPerBatch: 4 });
    logger.logMetric("before", 1, 0, 1);
    await logger.flush();
    proxy.failNext("runs/log-batch", "drop-before", 1000);
    for (let i = 0; i < 10; i++) logger.logMetric("during", i, i, 10 + i);
    logger.logParam("p", "x");
    const report = await logger.flush();
    assert.equal(report.offline, true);
    assert.equal(report.errors[0].kind, "offline-fallback");
    assert.match(report.errors[0].message, /continues offline in .*; upload it later with `ciclo sync/);
    assert.equal(report.spoolDir, join(spoolRoot.path, runId));
    logger.logMetric("after", 3, 0, 30);
    const end = await logger.end("FINISHED", 999);
    proxy.clearFaults();
    assert.equal(end.offline, true);
    assert.deepEqual(errors.map((e) => e.kind), ["offline-fallback"]);
    const manifest = JSON.parse(readFileSync(join(report.spoolDir!, "manifest.json"), "utf8"));
    assert.deepEqual([manifest.runId, manifest.status, manifest.endTime, manifest.counts.metrics, manifest.counts.params], [runId, "FINISHED", 999, 11, 1]);
    assert.ok(existsSync(join(report.spoolDir!, "records.jsonl")));
    assert.equal((await direct.getRun(runId)).info.status, "RUNNING", "the server has not heard of the end yet");
    const synced = await syncOfflineRuns(report.spoolDir!, { client: direct });
    assert.deepEqual(synced.map((s) => [s.runId, s.recordsFailed]), [[runId, 0]]);
    const run = await direct.getRun(runId);
    assert.deepEqual([run.info.status, run.info.endTime], ["FINISHED", 999]);
    assert.deepEqual((await direct.getAllMetricHistory(runId, "during")).map((m) => m.value), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal((await direct.getAllMetricHistory(runId, "before")).length, 1);
    assert.equal((await direct.getAllMetricHistory(runId, "after")).length, 1);
    assert.deepEqual(run.data.params, [{ key: "p", value: "x" }]);
  });
});
