/**
 * Several `ciclo server` replicas behind one address: three replicas on one
 * PostgreSQL database and one S3 bucket (radosgw) behind Debian's HAProxy, the
 * configuration docs/server.md gives. Under load from HTTP writers and the real
 * MLflow client, the replica running a job is killed with SIGKILL and then
 * restarted. Checked afterwards: every acknowledged write is in the database,
 * the only 5xx answers are the killed replica's in-flight requests (at most one
 * per writer), and a survivor completed the job the killed replica held.
 *
 * Needs PostgreSQL, the S3 test server, `haproxy` and the MLflow oracle; skips
 * with the reason printed when one is missing (fails under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { findOracle } from "../mlflow-import/testing/mlflow-oracle.js";
import { freePort } from "../testing/free-port.js";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { SqlJobStore } from "../store/sql/jobs/sql-job-store.js";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { haproxyUnavailable, startHaproxy } from "../testing/haproxy.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { createTestBucket, s3Unavailable, type S3TestBucket } from "../testing/s3-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";

const run = promisify(execFile);
const ENTRY = ["--import", "tsx", "src/testing/jobs-child-server.ts"];
const WRITERS = 12;

let pgdb: PgDatabase | undefined;
let bucket: S3TestBucket | undefined;
let stores: OpenedStores | undefined;
const dir = tempDir("ciclo-replicas-");
let why: string | undefined;

before(async () => {
  why = (await postgresUnavailable()) ?? (await s3Unavailable()) ?? (await haproxyUnavailable());
  if (why) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${why} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    return;
  }
  pgdb = await createTestDatabase();
  bucket = await createTestBucket();
  stores = await openStores(pgdb.uri, { defaultArtifactRoot: "mlflow-artifacts:/" }); // migrated once, before the replicas
});
after(async () => {
  await stores?.tracking.close();
  await pgdb?.drop();
  await bucket?.drop();
  dir.remove();
});

type Phase = "before the kill" | "one replica down" | "after the restart";

interface Load {
  acked: Map<string, number[]>;
  /** Failed requests (5xx, or the connection dropped: status 0) per phase. */
  failures: Map<Phase, number[]>;
  phase: Phase;
  stop(): Promise<void>;
}

/** WRITERS loops, each logging batches of 5 new points to its own run through the balancer until stopped. */
async function startLoad(base: string, runIds: string[]): Promise<Load> {
  const acked = new Map<string, number[]>(runIds.map((r) => [r, []]));
  let stopping = false;
  const load: Load = {
    acked,
    failures: new Map(),
    phase: "before the kill",
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
  const loops = runIds.map(async (runId) => {
    for (let step = 0; !stopping; step += 5) {
      const steps = [step, step + 1, step + 2, step + 3, step + 4];
      let status: number;
      try {
        const res = await fetch(`${base}/api/2.0/mlflow/runs/log-batch`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ run_id: runId, metrics: steps.map((s) => ({ key: "load", value: s, timestamp: 1, step: s })) }),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0; // the connection dropped (HAProxy closes it when a replica dies mid-answer): not acknowledged
      }
      if (status === 200) acked.get(runId)!.push(...steps);
      else if (status === 0 || status >= 500) {
        const list = load.failures.get(load.phase);
        if (list) list.push(status);
        else load.failures.set(load.phase, [status]);
      } else throw new Error(`log-batch answered ${status}`);
    }
  });
  return load;
}

const MLFLOW_CLIENT = `
import json, os, sys, tempfile
import mlflow
from mlflow import MlflowClient
c = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
exp = c.create_experiment("through-haproxy-" + sys.argv[1])
run = c.create_run(exp)
rid = run.info.run_id
for i in range(int(sys.argv[2])):
    c.log_metric(rid, "client", i * 0.5, step=i)
c.log_param(rid, "p", "v")
d = tempfile.mkdtemp()
with open(os.path.join(d, "notes.txt"), "w") as f:
    f.write("written through the balancer")
c.log_artifact(rid, os.path.join(d, "notes.txt"))
c.set_terminated(rid)
print(json.dumps({"run_id": rid, "artifacts": [a.path for a in c.list_artifacts(rid)]}))
`;

test("three replicas behind HAProxy: a replica killed mid-load loses no acknowledged write, and its job is finished by a survivor", { timeout: 600_000 }, async (t) => {
  if (why || !pgdb || !bucket || !stores) return t.skip(why ?? "unavailable");
  const oracle = await findOracle(dir.path);
  const ports = [await freePort(), await freePort(), await freePort()];
  const lbPort = await freePort();
  const env = {
    ...bucket.env,
    CICLO_TEST_RECORD_DIR: dir.path,
    CICLO_JOB_LEASE_MS: "1000",
    CICLO_JOB_POLL_MS: "50",
  };
  const startReplica = (port: number) =>
    startChildServer(pgdb!.uri, `s3://${bucket!.bucket}/artifacts`, { env, entry: ENTRY, args: ["--port", String(port)] });
  const replicas: Array<ChildServer | undefined> = await Promise.all(ports.map(startReplica));
  const haproxy = await startHaproxy(dir.path, lbPort, ports).catch(async (err) => {
    await Promise.all(replicas.map((r) => (r?.proc.kill("SIGTERM"), r?.exited)));
    throw err;
  });
  const base = haproxy.url;
  try {
    const api = `${base}/api/2.0/mlflow`;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${api}/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const runIds: string[] = [];
    for (let i = 0; i < WRITERS; i++) runIds.push((await post("runs/create", { experiment_id: "0", run_name: `w${i}` })).run.info.run_id);

    const load = await startLoad(base, runIds);
    const mlflowClient = oracle
      ? run("/usr/bin/python3", ["-c", MLFLOW_CLIENT, String(Date.now()), "150"], { env: { ...oracle.env("2.10"), MLFLOW_TRACKING_URI: base }, timeout: 300_000 })
      : undefined;
    const acks = () => [...load.acked.values()].reduce((n, a) => n + a.length, 0);
    await waitFor(acks, (n) => n >= 500, { what: "writes before the kill" });

    // The replica that leases the job is the one killed; a survivor must finish it.
    const jobs = new SqlJobStore(stores.connection);
    const { job } = await jobs.enqueue({ type: "test.hang-first", payload: {}, maxAttempts: 3 }, Date.now());
    const hang = join(dir.path, `hang-${job.jobId}`);
    await waitFor(() => existsSync(hang), (x) => x, { what: "a replica to start the job" });
    const victimPid = Number(readFileSync(hang, "utf8"));
    const victim = replicas.findIndex((r) => r?.proc.pid === victimPid);
    assert.ok(victim >= 0, "the job ran on one of the replicas");
    load.phase = "one replica down";
    replicas[victim]!.proc.kill("SIGKILL");
    await replicas[victim]!.exited;
    replicas[victim] = undefined;

    const atKill = acks();
    await waitFor(acks, (n) => n >= atKill + 500, { what: "writes while a replica is down" });
    const done = await waitFor(() => jobs.getJob(job.jobId), (j) => j.state === "succeeded" || j.state === "failed", { what: "a survivor to finish the job" });
    assert.equal(done.state, "succeeded");
    assert.equal(done.attempts, 2);
    assert.notEqual((done.result as { pid: number }).pid, victimPid);

    replicas[victim] = await startReplica(ports[victim]);
    // HAProxy sends it requests again once two health checks pass.
    await waitFor(() => fetch(`http://127.0.0.1:${ports[victim]}/health`).then((r) => r.status, () => 0), (s) => s === 200, { what: "the restarted replica" });
    load.phase = "after the restart";
    const atRestart = acks();
    await waitFor(acks, (n) => n >= atRestart + 500, { what: "writes after the restart" });
    await load.stop();
    const mlflowOut = mlflowClient ? JSON.parse((await mlflowClient).stdout.trim().split("\n").pop()!) as { run_id: string; artifacts: string[] } : undefined;

    // Only the killed replica's in-flight requests may have failed: at most one per writer, none before the kill
    // or after the restart.
    const failures = Object.fromEntries(load.failures);
    t.diagnostic(`failed requests by phase: ${JSON.stringify(failures)}`);
    assert.equal(load.failures.get("before the kill"), undefined);
    assert.equal(load.failures.get("after the restart"), undefined);
    assert.ok((load.failures.get("one replica down") ?? []).length <= WRITERS, JSON.stringify(failures));
    // Every acknowledged point is stored: read back through the history route (the points live in metric chunks).
    const stored = new Map<string, Set<number>>();
    for (const runId of runIds) {
      const history = await fetch(`${api}/metrics/get-history?run_id=${runId}&metric_key=load`).then(
        (r) => r.json() as Promise<{ metrics?: Array<{ step: number }> }>,
      );
      stored.set(runId, new Set((history.metrics ?? []).map((m) => Number(m.step))));
    }
    for (const runId of runIds) {
      const missing = load.acked.get(runId)!.filter((s) => !stored.get(runId)!.has(s));
      assert.deepEqual(missing, [], `acknowledged points of ${runId} missing`);
    }
    // Each run's latest value is its highest stored step, whichever replicas wrote the points.
    for (const runId of runIds.slice(0, 3)) {
      const got = await fetch(`${api}/runs/get?run_id=${runId}`).then((r) => r.json() as Promise<{ run: { data: { metrics: Array<{ step: number }> } } }>);
      assert.equal(got.run.data.metrics[0].step, Math.max(...stored.get(runId)!));
    }
    if (mlflowOut) {
      const hist = await fetch(`${api}/metrics/get-history?run_id=${mlflowOut.run_id}&metric_key=client`).then((r) => r.json() as Promise<{ metrics: unknown[] }>);
      assert.equal(hist.metrics.length, 150);
      assert.deepEqual(mlflowOut.artifacts, ["notes.txt"]);
      const got = await fetch(`${base}/get-artifact?path=notes.txt&run_uuid=${mlflowOut.run_id}`).then((r) => r.text());
      assert.equal(got, "written through the balancer");
    } else {
      t.diagnostic("MLflow oracle unavailable: the MLflow client part did not run");
    }
  } finally {
    await haproxy.stop();
    await Promise.all(replicas.map(async (r) => {
      if (!r) return;
      r.proc.kill("SIGTERM");
      await r.exited;
    }));
  }
});
