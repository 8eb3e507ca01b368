/**
 * `ciclo export` / `ciclo import` round trip through live servers: SQLite →
 * PostgreSQL → a fresh SQLite, comparing everything — experiments, run info,
 * params, tags, full metric histories (NaN and infinities, 25,001 points
 * across page, line and batch limits), dataset inputs, nested runs, deleted
 * runs and experiments, artifact bytes — then re-imports (idempotent), a
 * server's own export imported back into it and into the server its runs
 * came from (nothing written), an interrupted import resumed, and a chain
 * A → B → C re-imported along any path (nothing written).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { resolveServerConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/main.js";
import { runCiclo } from "../../testing/child-server.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { tempDir } from "../../testing/temp-dir.js";
import type { Metric } from "../../shared/tracking-types.js";
import { walkArtifacts } from "./artifact-walk.js";
import { FILES, IMPORTED_AT_TAG, type Manifest } from "./export-format.js";
import { serverModules } from "../../modules.js";

interface Server {
  url: string;
  tracking: TrackingClient;
  artifacts: ArtifactClient;
  close(): Promise<void>;
}

async function serve(backendStoreUri: string, artifactsDir: string): Promise<Server> {
  const server: RunningServer = await startServer(
    resolveServerConfig({ backendStoreUri, artifactsDestination: artifactsDir, host: "127.0.0.1", port: 0, logLevel: "silent" }), { modules: serverModules() }
  );
  const tracking = new TrackingClient({ trackingUri: server.url, env: {} });
  return { url: server.url, tracking, artifacts: new ArtifactClient(tracking, { env: {} }), close: () => server.close() };
}

const points = (key: string, n: number, f: (i: number) => number, extra: Partial<Metric> = {}) =>
  Array.from({ length: n }, (_, i) => ({ key, value: f(i), step: i, timestamp: 1_700_000_000_000 + i * 10, ...extra }));

async function seed(s: Server): Promise<void> {
  const t = s.tracking;
  const main = await t.createExperiment("rt-main", { tags: { team: "risk", note: "line1\nline2" } });
  const parent = await t.createRun({ experimentId: main, runName: "parent", userId: "alice", startTime: 1_700_000_000_000, tags: { "mlflow.source.name": "train.py" } });
  const p = parent.info.runId;
  await t.logBatch(p, { params: Array.from({ length: 100 }, (_, i) => ({ key: `p${String(i).padStart(3, "0")}`, value: `v${i}` })) });
  await t.logBatch(p, { params: Array.from({ length: 30 }, (_, i) => ({ key: `q${i}`, value: "x".repeat(i * 50) })), tags: { stage: "candidate", "unicode ü": "日本" } });
  const loss = points("loss", 2500, (i) => (i === 7 ? NaN : i === 8 ? Infinity : i === 9 ? -Infinity : 1 / (i + 1)));
  for (let i = 0; i < loss.length; i += 1000) await t.logBatch(p, { metrics: loss.slice(i, i + 1000) });
  // Same step twice (two timestamps), and points linked to a dataset.
  await t.logBatch(p, { metrics: [{ key: "acc", value: 0.5, step: 1, timestamp: 5 }, { key: "acc", value: 0.6, step: 1, timestamp: 6 }, { key: "val_acc", value: 0.7, step: 2, timestamp: 7, datasetName: "val", datasetDigest: "d2" }] });
  await t.logInputs(p, [
    { tags: [{ key: "mlflow.data.context", value: "train" }], dataset: { name: "train", digest: "d1", sourceType: "local", source: '{"uri":"/data/train.csv"}', schema: '{"mlflow_colspec":[]}', profile: '{"num_rows":10}' } },
    { tags: [{ key: "mlflow.data.context", value: "eval" }], dataset: { name: "val", digest: "d2", sourceType: "s3", source: '{"uri":"s3://b/val"}' } },
  ]);
  await s.artifacts.logBytes(p, Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256)), "model/weights.bin");
  await s.artifacts.logText(p, "flavors: {}\n", "model/MLmodel");
  await s.artifacts.logText(p, "deep", "a/b/c/d.txt");
  await t.setTerminated(p, "FINISHED", 1_700_000_100_000);

  const child = await t.createRun({ experimentId: main, runName: "child", startTime: 1_700_000_001_000, tags: { "mlflow.parentRunId": p } });
  await t.logBatch(child.info.runId, { metrics: [{ key: "loss", value: 3, step: 0, timestamp: 1 }] });
  await t.setTerminated(child.info.runId, "FAILED", 1_700_000_002_000);
  const running = await t.createRun({ experimentId: main, runName: "still-running", startTime: 1_700_000_003_000 });
  await t.logParam(running.info.runId, "lr", 0.1);
  const gone = await t.createRun({ experimentId: main, runName: "deleted-run", startTime: 1_700_000_004_000 });
  await t.logParam(gone.info.runId, "lr", 0.2);
  await t.setTerminated(gone.info.runId, "KILLED", 1_700_000_005_000);
  await t.deleteRun(gone.info.runId);

  const big = await t.createExperiment("rt-big");
  const long = await t.createRun({ experimentId: big, runName: "long", startTime: 1_700_000_006_000 });
  const history = points("m", 25_001, (i) => Math.sin(i));
  for (let i = 0; i < history.length; i += 1000) await t.logBatch(long.info.runId, { metrics: history.slice(i, i + 1000) });
  await t.setTerminated(long.info.runId, "FINISHED", 1_700_000_007_000);

  const dead = await t.createExperiment("rt-deleted-exp", { tags: { why: "old" } });
  const deadRun = await t.createRun({ experimentId: dead, runName: "in-deleted-exp", startTime: 1_700_000_008_000 });
  await t.logMetric(deadRun.info.runId, "x", 1, { step: 0, timestamp: 1 });
  await t.deleteExperiment(dead);
}

/** Everything a server holds, keyed by names (ids differ between servers), bytes as SHA-256. */
async function snapshot(s: Server): Promise<unknown> {
  const t = s.tracking;
  const out: Record<string, unknown> = {};
  const strip = (tags: Array<{ key: string; value: string }>) => tags.filter((x) => !x.key.startsWith("ciclo.import."));
  for await (const e of t.iterateExperiments({ viewType: "ALL" })) {
    const runs = await t.searchAllRuns({ experimentIds: [e.experimentId], viewType: "ALL" });
    const nameOf = new Map(runs.map((r) => [r.info.runId, r.info.runName]));
    const runSnaps: Record<string, unknown> = {};
    for (const r of runs) {
      const histories: Record<string, Metric[]> = {};
      for (const m of r.data.metrics) histories[m.key] = await t.getAllMetricHistory(r.info.runId, m.key);
      const files: Record<string, string> = {};
      for (const f of await walkArtifacts((d) => s.artifacts.listArtifacts(r.info.runId, d), "")) {
        const dir = tempDir();
        try {
          const local = await s.artifacts.downloadArtifacts({ runId: r.info.runId, path: f.path }, dir.path);
          files[f.path] = createHash("sha256").update(readFileSync(local)).digest("hex");
        } finally {
          dir.remove();
        }
      }
      const { runId: _id, experimentId: _e, artifactUri: _a, ...info } = r.info;
      runSnaps[r.info.runName] = {
        info,
        params: r.data.params,
        tags: strip(r.data.tags).map((x) => (x.key === "mlflow.parentRunId" ? { key: x.key, value: `parent:${nameOf.get(x.value)}` } : x)),
        latest: r.data.metrics,
        histories,
        inputs: r.inputs.datasetInputs,
        files,
      };
    }
    out[e.name] = { lifecycleStage: e.lifecycleStage, tags: strip(e.tags), runs: runSnaps };
  }
  return out;
}

/** Each experiment's last-update time and stage, by name: a restore, delete or tag write moves it. */
async function lastUpdates(s: Server): Promise<Record<string, [number, string]>> {
  const out: Record<string, [number, string]> = {};
  for await (const e of s.tracking.iterateExperiments({ viewType: "ALL" })) out[e.name] = [e.lastUpdateTime, e.lifecycleStage];
  return out;
}

describe("ciclo export / import round trip: SQLite → PostgreSQL → SQLite", () => {
  const dir = tempDir("ciclo-rt-");
  let pgdb: PgDatabase | undefined;
  let a: Server;
  let b: Server | undefined;
  let c: Server;
  const cli = (args: string[]) => runCiclo(args, { CICLO_TRACKING_URI: "", MLFLOW_TRACKING_URI: "", CICLO_HTTP_REQUEST_MAX_RETRIES: "0" });

  before(async () => {
    a = await serve(`sqlite:///${join(dir.path, "a.db")}`, join(dir.path, "a-art"));
    c = await serve(`sqlite:///${join(dir.path, "c.db")}`, join(dir.path, "c-art"));
    if (!(await postgresUnavailable())) {
      pgdb = await createTestDatabase();
      b = await serve(pgdb.uri, join(dir.path, "b-art"));
    }
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await c?.close();
    await pgdb?.drop();
    dir.remove();
  });

  test("everything survives both hops; re-imports add nothing; an interrupted import resumes", async (t) => {
    if (!b) return t.skip("PostgreSQL unavailable");
    await seed(a);
    const original = await snapshot(a);

    const e1 = await cli(["export", join(dir.path, "x1"), "--include-deleted", "--tracking-uri", a.url, "--json"]);
    assert.equal(e1.code, 0, e1.stderr);
    const manifest = JSON.parse(e1.stdout) as Manifest;
    assert.deepEqual(manifest.counts, {
      experiments: 4,
      runs: 6,
      params: 132,
      tags: manifest.counts.tags,
      metrics: 6,
      metricPoints: 2500 + 3 + 1 + 25_001 + 1,
      datasetInputs: 2,
      artifactFiles: 3,
      artifactBytes: 300_000 + 12 + 4,
    });
    assert.deepEqual(JSON.parse(readFileSync(join(dir.path, "x1", FILES.manifest), "utf8")), manifest);
    const lines = readFileSync(join(dir.path, "x1", FILES.metrics), "utf8").trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.includes('"key":"m"')).length, 3, "25,001 points are 3 lines of at most 10,000");
    assert.ok(lines.some((l) => /"key":"loss","points":\[.*\[7,\d+,"NaN"\],\[8,\d+,"Infinity"\],\[9,\d+,"-Infinity"\]/.test(l)));

    // The server's own backup imported back into it: every run is already there (same ids), nothing is written.
    const stampsOfA = await lastUpdates(a);
    const own = await cli(["import", join(dir.path, "x1"), "--tracking-uri", a.url, "--json"]);
    assert.equal(own.code, 0, own.stderr);
    const ownResult = JSON.parse(own.stdout);
    assert.equal(ownResult.unchanged, true);
    assert.deepEqual(ownResult.runs, { imported: 0, resumed: 0, skipped: 6 });
    assert.deepEqual(ownResult.experiments, { created: 0, reused: 4 });
    for (const [source, target] of Object.entries(ownResult.runIds)) assert.equal(target, source);
    assert.deepEqual(await snapshot(a), original);
    assert.deepEqual(await lastUpdates(a), stampsOfA, "no experiment was restored, re-deleted or re-tagged");
    const ownText = await cli(["import", join(dir.path, "x1"), "--tracking-uri", a.url]);
    assert.equal(ownText.code, 0, ownText.stderr);
    assert.match(ownText.stdout, /^Nothing to import: all 6 run\(s\) and 4 experiment\(s\) of '.*x1' are already there; nothing was changed\.\n$/);

    const i1 = await cli(["import", join(dir.path, "x1"), "--tracking-uri", b.url]);
    assert.equal(i1.code, 0, i1.stderr);
    assert.match(i1.stdout, /^Imported 6 run\(s\) \(0 resumed, 0 already there\) into 4 experiment\(s\) \(3 created\): 27506 metric point\(s\), 3 artifact file\(s\)\.\n$/);
    assert.deepEqual(await snapshot(b), original);

    const imported = await lastUpdates(b);
    const again = await cli(["import", join(dir.path, "x1"), "--tracking-uri", b.url, "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).runs, { imported: 0, resumed: 0, skipped: 6 });
    assert.equal(JSON.parse(again.stdout).unchanged, true);
    assert.deepEqual(await snapshot(b), original);
    assert.deepEqual(await lastUpdates(b), imported, "the deleted experiment was not restored and deleted again");

    const e2 = await cli(["export", join(dir.path, "x2"), "--include-deleted", "--tracking-uri", b.url]);
    assert.equal(e2.code, 0, e2.stderr);
    // B's own backup into B (PostgreSQL), and back to A, where its runs came from: both already there.
    const stampsOfB = await lastUpdates(b);
    for (const [s, stamps] of [[b, stampsOfB], [a, stampsOfA]] as const) {
      const back = await cli(["import", join(dir.path, "x2"), "--tracking-uri", s.url, "--json"]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(JSON.parse(back.stdout).unchanged, true, back.stdout);
      assert.deepEqual(JSON.parse(back.stdout).runs, { imported: 0, resumed: 0, skipped: 6 });
      assert.deepEqual(await snapshot(s), original);
      assert.deepEqual(await lastUpdates(s), stamps);
    }
    // Renamed since the backup: the experiment of the same id holds the runs themselves, so no new one is made.
    const big = await a.tracking.getExperimentByName("rt-big");
    await a.tracking.renameExperiment(big.experimentId, "rt-big-renamed");
    const renamed = await cli(["import", join(dir.path, "x1"), "--tracking-uri", a.url, "--json"]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(JSON.parse(renamed.stdout).unchanged, true, renamed.stdout);
    assert.equal(JSON.parse(renamed.stdout).experimentIds[big.experimentId], big.experimentId);
    assert.equal(await a.tracking.findExperimentByName("rt-big"), undefined);

    const i2 = await cli(["import", join(dir.path, "x2"), "--tracking-uri", c.url, "--json"]);
    assert.equal(i2.code, 0, i2.stderr);
    assert.deepEqual(await snapshot(c), original);

    // An import cut short: the run has its source tag but no completion tag. The next import resumes into it.
    const mainInC = await c.tracking.getExperimentByName("rt-main");
    const [parentRun] = await c.tracking.searchAllRuns({ experimentIds: [mainInC.experimentId], filter: "attributes.run_name = 'parent'" });
    const parentInC = parentRun.info.runId;
    assert.equal(JSON.parse(i2.stdout).runIds[Object.keys(JSON.parse(i2.stdout).runIds).find((k) => JSON.parse(i2.stdout).runIds[k] === parentInC)!], parentInC);
    assert.equal((await c.tracking.getRun(parentInC)).info.runName, "parent");
    await c.tracking.deleteTag(parentInC, IMPORTED_AT_TAG);
    const resumed = await cli(["import", join(dir.path, "x2"), "--tracking-uri", c.url, "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(JSON.parse(resumed.stdout).runs, { imported: 0, resumed: 1, skipped: 5 });
    assert.deepEqual(await snapshot(c), original);

    // A chain A → B → C: C's runs name B's and A's as their origins. A's backup into C, and C's backup into A,
    // are already there (before, one step of origin was kept and A's runs were imported into C a second time).
    const stampsOfC = await lastUpdates(c);
    const fromA = await cli(["import", join(dir.path, "x1"), "--tracking-uri", c.url]);
    assert.equal(fromA.code, 0, fromA.stderr);
    assert.match(fromA.stdout, /^Nothing to import: all 6 run\(s\) and 4 experiment\(s\) of '.*x1' are already there; nothing was changed\.\n$/);
    assert.deepEqual(await snapshot(c), original);
    assert.deepEqual(await lastUpdates(c), stampsOfC);
    // The same backup as an older ciclo wrote it (no run identities in experiments.jsonl): read from runs.jsonl instead.
    cpSync(join(dir.path, "x1"), join(dir.path, "x1-older"), { recursive: true });
    const expFile = join(dir.path, "x1-older", FILES.experiments);
    const stripped = readFileSync(expFile, "utf8").trimEnd().split("\n").map((l) => {
      const { runIdentities, ...rest } = JSON.parse(l);
      assert.ok(Array.isArray(runIdentities), "this ciclo writes each experiment's run identities");
      return JSON.stringify(rest);
    });
    writeFileSync(expFile, `${stripped.join("\n")}\n`);
    const older = await cli(["import", join(dir.path, "x1-older"), "--tracking-uri", c.url, "--json"]);
    assert.equal(older.code, 0, older.stderr);
    assert.equal(JSON.parse(older.stdout).unchanged, true, older.stdout);
    assert.deepEqual(await lastUpdates(c), stampsOfC);
    await a.tracking.renameExperiment(big.experimentId, "rt-big");
    const stampsOfA2 = await lastUpdates(a);
    const e3 = await cli(["export", join(dir.path, "x3"), "--include-deleted", "--tracking-uri", c.url]);
    assert.equal(e3.code, 0, e3.stderr);
    const toA = await cli(["import", join(dir.path, "x3"), "--tracking-uri", a.url, "--json"]);
    assert.equal(toA.code, 0, toA.stderr);
    assert.equal(JSON.parse(toA.stdout).unchanged, true, toA.stdout);
    assert.deepEqual(JSON.parse(toA.stdout).runs, { imported: 0, resumed: 0, skipped: 6 });
    assert.deepEqual(await snapshot(a), original);
    assert.deepEqual(await lastUpdates(a), stampsOfA2);
  });

  test("export refuses a folder that is not empty; import refuses what is not an export", async () => {
    const used = await cli(["export", join(dir.path, "x1"), "--tracking-uri", a.url]);
    assert.equal(used.code, 2);
    assert.match(used.stderr, /is not empty/);
    const none = await cli(["import", join(dir.path, "nope"), "--tracking-uri", a.url]);
    assert.equal(none.code, 3);
    const notExport = await cli(["import", join(dir.path, "a-art"), "--tracking-uri", a.url]);
    assert.equal(notExport.code, 1);
    assert.match(notExport.stderr, /no manifest\.json/);
  });
});
