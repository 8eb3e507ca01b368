/**
 * The fluent API against a live server: experiments, runs with MLflow's
 * system tags, nested runs, joining the environment's run, the context
 * capture seam, offline mode — and the module-level functions.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { InvalidStateError } from "../shared/errors.js";
import { startFaultProxy, type FaultProxy } from "../testing/fault-proxy.js";
import { freePort } from "../testing/free-port.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import * as fluent from "./fluent.js";
import { Ciclo, type CicloOptions } from "./fluent-session.js";
import type { LoggingError } from "./logging-errors.js";
import { TrackingClient } from "./tracking-client.js";

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const tagsOf = (tags: Array<{ key: string; value: string }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

describe("fluent api", () => {
  let live: LiveTrackingServer;
  let proxy: FaultProxy;
  let client: TrackingClient;
  const spool = tempDir("ciclo-fluent-spool-");
  const errors: LoggingError[] = [];
  const make = (opts: CicloOptions = {}) =>
    new Ciclo({ trackingUri: proxy.url, env: { LOGNAME: "tester" }, offlineDir: spool.path, onError: (e) => errors.push(e), ...opts });

  before(async () => {
    live = await startLiveTrackingServer();
    proxy = await startFaultProxy(live.url);
    client = new TrackingClient({ trackingUri: live.url, env: {} });
  });
  after(async () => {
    await proxy.close();
    await live.close();
    spool.remove();
  });

  test("setExperiment gets by name and creates on 404, as MLflow's client does", async () => {
    const c = make();
    const hits = (p: string) => proxy.hits.get(`/api/2.0/mlflow/experiments/${p}`) ?? 0;
    const [byName, create] = [hits("get-by-name"), hits("create")];
    const exp = await c.setExperiment("fluent-exp");
    assert.equal(exp.name, "fluent-exp");
    assert.deepEqual([hits("get-by-name") - byName, hits("create") - create], [1, 1]);
    assert.equal((await c.setExperiment("fluent-exp")).experimentId, exp.experimentId);
    assert.deepEqual([hits("get-by-name") - byName, hits("create") - create], [2, 1]);
    const gone = await client.createExperiment("fluent-deleted");
    await client.deleteExperiment(gone);
    await assert.rejects(c.setExperiment("fluent-deleted"), InvalidStateError);
  });

  test("a run carries MLflow's system tags, params, metrics, tags, inputs and its end status", async () => {
    const c = make();
    const exp = await c.setExperiment("fluent-runs");
    const run = await c.startRun({ runName: "baseline", tags: { team: "vision" }, description: "first try" });
    assert.equal(c.activeRun(), run);
    assert.deepEqual([run.runName, run.experimentId, run.offline], ["baseline", exp.experimentId, false]);
    c.logParams({ lr: 0.01, epochs: 3 });
    c.logParam("optimizer", "adam");
    for (let step = 0; step < 5; step++) c.logMetrics({ loss: 1 / (step + 1), acc: step / 5 }, step);
    c.logMetric("final", 0.5, 4, 1234);
    c.setTags({ stage: "dev" });
    c.setTag("stage", "prod");
    c.logInput({ name: "mnist", digest: "abc", source: { uri: "/data/mnist" }, sourceType: "local", schema: { cols: ["x"] }, profile: '{"rows": 10}' }, "training");
    assert.deepEqual((await c.getMetricHistory(run.runId, "loss")).map((m) => m.step), [0, 1, 2, 3, 4], "reads what was buffered");
    const report = await c.endRun();
    assert.deepEqual(report.errors, []);
    assert.equal(c.activeRun(), undefined);
    const got = await client.getRun(run.runId);
    assert.equal(got.info.status, "FINISHED");
    assert.ok(got.info.endTime! >= got.info.startTime!);
    assert.equal(got.info.userId, "tester");
    const tags = tagsOf(got.data.tags);
    assert.deepEqual(
      [tags["mlflow.user"], tags["mlflow.source.name"], tags["mlflow.source.type"], tags["mlflow.runName"], tags["mlflow.note.content"], tags.team, tags.stage],
      ["tester", process.argv[1], "LOCAL", "baseline", "first try", "vision", "prod"],
    );
    assert.deepEqual(tagsOf(got.data.params), { lr: "0.01", epochs: "3", optimizer: "adam" });
    assert.deepEqual(got.data.metrics.find((m) => m.key === "final"), { key: "final", value: 0.5, step: 4, timestamp: 1234 });
    const input = got.inputs.datasetInputs[0];
    assert.deepEqual(input.tags, [{ key: "mlflow.data.context", value: "training" }]);
    assert.deepEqual([input.dataset.source, input.dataset.schema, input.dataset.profile], ['{"uri":"/data/mnist"}', '{"cols":["x"]}', '{"rows": 10}']);
    const found = await c.searchRuns({ filter: "params.optimizer = 'adam'" });
    assert.deepEqual(found.map((r) => r.info.runId), [run.runId]);
    assert.deepEqual((await c.searchRuns({ experimentNames: ["fluent-runs"], maxResults: 1 })).length, 1);
  });

  test("nested runs are tagged with their parent; a second top-level run is refused", async () => {
    const c = make();
    await c.setExperiment("fluent-nested");
    const parent = await c.startRun({ runName: "sweep" });
    await assert.rejects(c.startRun(), /already active.*nested: true/);
    const child = await c.startRun({ nested: true, runName: "trial-1" });
    assert.equal(child.parentRunId, parent.runId);
    assert.equal(c.activeRun(), child);
    c.logMetric("score", 0.9);
    await c.endRun("FAILED");
    assert.equal(c.activeRun(), parent);
    await c.endRun();
    const got = await client.getRun(child.runId);
    assert.equal(tagsOf(got.data.tags)["mlflow.parentRunId"], parent.runId);
    assert.equal(got.info.status, "FAILED");
    assert.equal((await client.getRun(parent.runId)).info.status, "FINISHED");
  });

  test("the first run joins CICLO_RUN_ID / MLFLOW_RUN_ID (what `ciclo run` sets)", async () => {
    for (const name of ["CICLO_RUN_ID", "MLFLOW_RUN_ID"]) {
      const existing = await client.createRun({ runName: `outer-${name}` });
      await client.setTerminated(existing.info.runId, "FINISHED");
      const c = make({ env: { LOGNAME: "tester", [name]: existing.info.runId } });
      const run = await c.startRun({ tags: { joined: "yes" } });
      assert.equal(run.runId, existing.info.runId);
      assert.equal((await client.getRun(run.runId)).info.status, "RUNNING");
      c.logMetric("m", 1);
      await c.endRun();
      const got = await client.getRun(run.runId);
      assert.deepEqual([got.info.status, tagsOf(got.data.tags).joined, got.data.metrics.length], ["FINISHED", "yes", 1]);
      const next = await c.startRun();
      assert.notEqual(next.runId, existing.info.runId, "only the first run joins");
      await c.endRun();
    }
  });

  test("context capture adds tags and sees the new run; its failures never reach the caller", async () => {
    const seen: string[] = [];
    const c = make({
      contextCapture: {
        tags: () => ({ "mlflow.source.git.commit": "abc123", "mlflow.source.type": "PROJECT" }),
        afterStart: (run) => void seen.push(run.runId),
      },
    });
    const run = await c.startRun({ tags: { "mlflow.source.type": "NOTEBOOK" } });
    await c.endRun();
    assert.deepEqual(seen, [run.runId]);
    const tags = tagsOf((await client.getRun(run.runId)).data.tags);
    assert.deepEqual([tags["mlflow.source.git.commit"], tags["mlflow.source.type"]], ["abc123", "NOTEBOOK"]);
    const before = errors.length;
    const broken = make({ contextCapture: { tags: () => { throw new Error("no git"); }, afterStart: async () => { throw new Error("no disk"); } } });
    const r2 = await broken.startRun();
    await broken.endRun();
    assert.deepEqual(errors.slice(before).map((e) => [e.kind, e.message]), [["failed", "Context capture failed: no git"], ["failed", "Context capture failed: no disk"]]);
    assert.equal((await client.getRun(r2.runId)).info.status, "FINISHED");
  });

  test("logging with no active run is reported, not thrown", () => {
    const before = errors.length;
    const c = make();
    c.logMetric("x", 1);
    c.setTag("t", "v");
    assert.deepEqual(errors.slice(before).map((e) => e.kind), ["invalid", "invalid"]);
  });

  test("offline mode spools without touching the network; an unreachable server falls back to it", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const off = make({ trackingUri: dead, offline: true });
    await off.setExperiment("offline-exp");
    const run = await off.startRun({ runName: "on-a-plane" });
    assert.match(run.runId, /^local-[0-9a-f]{32}$/);
    assert.ok(run.offline);
    off.logMetric("loss", 1);
    const report = await off.endRun();
    assert.deepEqual([report.offline, report.spoolDir, report.errors], [true, join(spool.path, run.runId), []]);
    const before = errors.length;
    const cut = make({ trackingUri: dead, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 } });
    assert.equal((await cut.setExperiment("unreachable-exp")).experimentId, "", "no throw: the name is kept");
    const r2 = await cut.startRun({ runName: "cut-off" });
    assert.ok(r2.offline);
    assert.deepEqual(errors.slice(before).map((e) => e.kind), ["offline-fallback", "offline-fallback"]);
    await cut.endRun();
    const manifest = JSON.parse(readFileSync(join(spool.path, r2.runId, "manifest.json"), "utf8"));
    assert.deepEqual([manifest.experimentName, manifest.runName, manifest.status], ["unreachable-exp", "cut-off", "FINISHED"]);
    await assert.rejects(make({ trackingUri: dead, offlineFallback: false, retry: { maxAttempts: 1 } }).setExperiment("x"), /Could not reach/);
  });

  test("a script that never ends its run: buffered points are sent and the run ends FINISHED at exit", async () => {
    const script = join(spool.path, "no-end.mts");
    writeFileSync(
      script,
      `import { Ciclo } from ${JSON.stringify(join(ROOT, "src/sdk/index.ts"))};
const c = new Ciclo({ trackingUri: process.env.TRACKING!, env: {} });
const run = await c.startRun({ runName: "no-end" });
for (let i = 0; i < 1500; i++) c.logMetric("m", i, i);
console.log(run.runId);
`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, TRACKING: live.url };
    delete env.NODE_TEST_CONTEXT;
    const { stdout } = await execFileP(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env });
    const runId = stdout.trim();
    const got = await client.getRun(runId);
    assert.equal(got.info.status, "FINISHED");
    assert.equal((await client.getAllMetricHistory(runId, "m")).length, 1500);
  });

  test("the module-level functions drive one default instance", async () => {
    assert.equal(new Ciclo({ env: { MLFLOW_TRACKING_URI: "http://m:1", CICLO_TRACKING_URI: "http://c:2" } }).getTrackingUri(), "http://c:2");
    assert.equal(new Ciclo({ env: { MLFLOW_TRACKING_URI: "http://m:1" } }).getTrackingUri(), "http://m:1");
    assert.equal(new Ciclo({ env: {} }).getTrackingUri(), "http://127.0.0.1:5000");
    assert.throws(() => new Ciclo({ env: { CICLO_MODE: "sometimes" } }), /CICLO_MODE must be 'online' or 'offline'/);
    fluent.configure({ env: { LOGNAME: "tester" }, onError: (e) => errors.push(e) });
    fluent.setTrackingUri(live.url);
    assert.equal(fluent.getTrackingUri(), live.url);
    await fluent.setExperiment("fluent-module");
    const run = await fluent.startRun({ runName: "module" });
    assert.equal(fluent.activeRun(), run);
    fluent.logParam("a", 1);
    fluent.logParams({ b: 2 });
    fluent.logMetric("m", 1, 0);
    fluent.logMetrics({ n: 2 }, 1);
    fluent.setTag("t", "1");
    fluent.setTags({ u: "2" });
    fluent.logInput({ name: "d", digest: "1", source: "s", sourceType: "local" });
    assert.deepEqual((await fluent.flush()).errors, []);
    assert.deepEqual((await fluent.getMetricHistory(run.runId, "n")).map((m) => m.value), [2]);
    await fluent.endRun("KILLED");
    assert.equal(fluent.getCiclo().activeRun(), undefined);
    const [found] = await fluent.searchRuns();
    assert.deepEqual([found.info.runId, found.info.status, found.data.params.length, found.inputs.datasetInputs.length], [run.runId, "KILLED", 2, 1]);
  });
});
