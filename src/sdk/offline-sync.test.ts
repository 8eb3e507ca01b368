/**
 * Offline → sync round trips against real server processes: log offline,
 * start a server, run `ciclo sync` (the CLI as a child process), read
 * everything back through the API; resume an interrupted sync without
 * duplicates; survive a server killed mid-run and restarted.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo, startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { Ciclo } from "./fluent-session.js";
import type { LoggingError } from "./logging-errors.js";
import { syncOfflineRuns } from "./offline-sync.js";
import { TrackingClient } from "./tracking-client.js";

const tagsOf = (tags: Array<{ key: string; value: string }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

describe("offline runs and ciclo sync", () => {
  const work = tempDir("ciclo-sync-");
  const db = `sqlite:///${join(work.path, "ciclo.db")}`;
  let server: ChildServer;
  let client: TrackingClient;
  const errors: LoggingError[] = [];

  before(async () => {
    server = await startChildServer(db, join(work.path, "artifacts"));
    client = new TrackingClient({ trackingUri: server.url, env: {} });
  });
  after(async () => {
    server.proc.kill("SIGTERM");
    await server.exited;
    work.remove();
  });

  test("logs offline, then `ciclo sync` uploads runs, params, metric history, tags, inputs and end status", async () => {
    const spool = join(work.path, "offline-a");
    const c = new Ciclo({ offline: true, offlineDir: spool, trackingUri: "http://127.0.0.1:9", env: { LOGNAME: "pilot" }, onError: (e) => errors.push(e) });
    await c.setExperiment("offline-e2e");
    const parent = await c.startRun({ runName: "parent", tags: { team: "vision" } });
    c.logParams({ lr: 0.01, layers: 4 });
    for (let step = 0; step < 50; step++) c.logMetric("loss", step === 7 ? NaN : 1 / (step + 1), step, 1_000 + step);
    c.setTag("phase", "train");
    c.logInput({ name: "mnist", digest: "d1", source: "/data", sourceType: "local", profile: { rows: 60000 } }, "training");
    const child = await c.startRun({ nested: true, runName: "child" });
    c.logMetric("score", Infinity, 3);
    assert.deepEqual((await c.endRun("FAILED")).errors, []);
    assert.deepEqual((await c.endRun()).errors, []);
    assert.match(parent.runId, /^local-/);

    const res = await runCiclo(["sync", spool, "--tracking-uri", server.url]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Synced 2 run\(s\), \d+ record\(s\) to http:\/\/127\.0\.0\.1:\d+; 0 already synced\./);

    const exp = await client.getExperimentByName("offline-e2e");
    const runs = await client.searchAllRuns({ experimentIds: [exp.experimentId] });
    const byName = Object.fromEntries(runs.map((r) => [r.info.runName, r]));
    assert.deepEqual(Object.keys(byName).sort(), ["child", "parent"]);
    const p = byName.parent;
    const manifest = JSON.parse(readFileSync(join(spool, parent.runId, "manifest.json"), "utf8"));
    assert.deepEqual([p.info.status, p.info.startTime, p.info.endTime, p.info.userId], ["FINISHED", manifest.startTime, manifest.endTime, "pilot"]);
    assert.deepEqual(tagsOf(p.data.params), { lr: "0.01", layers: "4" });
    const tags = tagsOf(p.data.tags);
    assert.deepEqual([tags.team, tags.phase, tags["mlflow.user"], tags["mlflow.source.type"], tags["ciclo.offline.id"]], ["vision", "train", "pilot", "LOCAL", parent.runId]);
    const history = await client.getAllMetricHistory(p.info.runId, "loss");
    assert.deepEqual(history.map((m) => m.step), Array.from({ length: 50 }, (_, i) => i));
    assert.ok(Number.isNaN(history[7].value));
    assert.deepEqual([history[49].value, history[49].timestamp], [1 / 50, 1049]);
    assert.deepEqual(p.inputs.datasetInputs.map((d) => [d.dataset.name, d.dataset.profile, d.tags[0].value]), [["mnist", '{"rows":60000}', "training"]]);
    const ch = byName.child;
    assert.equal(tagsOf(ch.data.tags)["mlflow.parentRunId"], p.info.runId, "the local parent id became the server's");
    assert.deepEqual([ch.info.status, ch.data.metrics[0].value], ["FAILED", Infinity]);
    assert.equal(tagsOf(ch.data.tags)["ciclo.offline.id"], child.runId);

    const again = await runCiclo(["sync", spool, "--tracking-uri", server.url, "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).map((r: { alreadySynced: boolean }) => r.alreadySynced), [true, true]);
    assert.equal((await client.searchAllRuns({ experimentIds: [exp.experimentId] })).length, 2);
    assert.equal((await client.getAllMetricHistory(p.info.runId, "loss")).length, 50);
    const dry = await runCiclo(["sync", spool, "--dry-run"]);
    assert.match(dry.stdout, new RegExp(`${parent.runId}  parent  experiment=offline-e2e  FINISHED  50 metric\\(s\\) 2 param\\(s\\)  synced`));
    const help = await runCiclo(["sync", "--help"]);
    assert.match(help.stdout, /Examples:\n\s+\$ CICLO_MODE=offline node train\.js/);
    assert.deepEqual(errors, []);
  });

  test("an interrupted sync resumes without duplicating runs or points", async () => {
    const spool = join(work.path, "offline-b");
    const c = new Ciclo({ offline: true, offlineDir: spool, env: {}, maxMetricsPerBatch: 5, onError: (e) => errors.push(e) });
    await c.setExperiment("offline-resume");
    const run = await c.startRun({ runName: "resumable" });
    for (let i = 0; i < 50; i++) {
      c.logMetric("m", i, i, 100 + i);
      if (i % 5 === 4) await c.flush(); // one record per 5 points
    }
    await c.endRun();
    const stop = new AbortController();
    const first = await syncOfflineRuns(spool, {
      client,
      signal: stop.signal,
      onProgress: (e) => {
        if (e.recordsDone === 4) stop.abort();
      },
    });
    const serverId = first[0].runId;
    const manifestPath = join(spool, run.runId, "manifest.json");
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    assert.deepEqual([m.sync.recordsDone, m.sync.ended, m.sync.runId], [4, false, serverId]);
    assert.equal((await client.getAllMetricHistory(serverId, "m")).length, 20);
    // A crash right after creating the run, before its id was recorded: the run must be found, not made again.
    delete m.sync;
    writeFileSync(manifestPath, JSON.stringify(m));
    const second = await syncOfflineRuns(spool, { client });
    assert.deepEqual([second[0].runId, second[0].recordsSent, second[0].recordsFailed], [serverId, 10, 0]);
    const exp = await client.getExperimentByName("offline-resume");
    assert.equal((await client.searchAllRuns({ experimentIds: [exp.experimentId] })).length, 1);
    assert.deepEqual((await client.getAllMetricHistory(serverId, "m")).map((p) => p.value), Array.from({ length: 50 }, (_, i) => i));
    assert.equal((await client.getRun(serverId)).info.status, "FINISHED");
    assert.deepEqual((await syncOfflineRuns(spool, { client })).map((r) => r.alreadySynced), [true]);
  });

  test("a server killed mid-run: the run continues in the spool, and sync completes it on the restarted server", async () => {
    const spool = join(work.path, "offline-c");
    const c = new Ciclo({
      trackingUri: server.url,
      offlineDir: spool,
      env: {},
      retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
      onError: (e) => errors.push(e),
    });
    await c.setExperiment("killed");
    const run = await c.startRun({ runName: "survivor" });
    for (let i = 0; i < 10; i++) c.logMetric("m", i, i);
    c.logParam("p", "1");
    assert.deepEqual((await c.flush()).errors, []);
    server.proc.kill("SIGKILL");
    await server.exited;
    for (let i = 10; i < 25; i++) c.logMetric("m", i, i);
    c.setTag("after", "crash");
    const report = await c.endRun("FINISHED");
    assert.deepEqual([report.offline, report.spoolDir], [true, join(spool, run.runId)]);
    assert.equal(errors.at(-1)?.kind, "offline-fallback");
    errors.length = 0;

    server = await startChildServer(db, join(work.path, "artifacts"));
    client = new TrackingClient({ trackingUri: server.url, env: {} });
    assert.equal((await client.getRun(run.runId)).info.status, "RUNNING");
    const res = await runCiclo(["sync", spool, "--tracking-uri", server.url]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`✓ survivor \\(${run.runId}\\) → run ${run.runId}: 1 record\\(s\\), FINISHED`));
    const got = await client.getRun(run.runId);
    assert.deepEqual([got.info.status, tagsOf(got.data.tags).after, tagsOf(got.data.params).p], ["FINISHED", "crash", "1"]);
    assert.deepEqual((await client.getAllMetricHistory(run.runId, "m")).map((p) => p.step), Array.from({ length: 25 }, (_, i) => i));
  });
});
