/**
 * A `ciclo server --no-jobs` (an API-only replica: no job worker) beside a server that runs one, on one database,
 * with a local deployment. The API-only server's model servers are its own children, so it must look after them
 * itself: a job pinned to no worker would be taken by the other server's worker, which has nothing of its own to
 * restart or start (before, the replica stayed `restarting`, and after a restart of the API-only server its
 * deployments never started).
 * - its killed model server is restarted by itself, after the backoff (never sooner);
 * - restarted, it starts its own model server again (the startup reconcile runs in the process).
 * Real child servers and real `ciclo models serve` processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { factorModel } from "../testing/deployments-fixture.js";
import { cicloApi } from "../testing/ciclo-api.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";


interface Replica {
  pid: number;
  restarts: number;
  lastExit?: string;
  startedAt?: number;
}

/** The server's replica of solo/main once it is ready with `restarts` restarts. */
async function readyReplica(s: ChildServer, restarts: number): Promise<Replica> {
  const e = await waitFor(
    async () => (await cicloApi(s, "GET", "/endpoints/solo")).endpoint,
    (e: any) => e.deployments[0]?.health.ready_replicas === 1 && e.deployments[0].health.replicas[0].restarts === restarts,
    { what: `${s.url}: solo/main ready after ${restarts} restart(s)`, timeoutMs: 120_000, intervalMs: 100 },
  );
  const [r] = e.deployments[0].health.replicas;
  return { pid: r.pid, restarts: r.restarts, lastExit: r.last_exit, startedAt: r.started_at };
}

const dir = tempDir("ciclo-no-jobs-");
const servers: ChildServer[] = [];
after(async () => {
  for (const s of servers) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) continue;
    s.proc.kill("SIGTERM");
    await s.exited;
  }
  dir.remove();
});

test("a --no-jobs server restarts and starts its own model servers, beside a server with a worker", async () => {
  const uri = `sqlite:///${join(dir.path, "ciclo.db")}`;
  const start = async (args: string[] = []) => {
    const s = await startChildServer(uri, join(dir.path, "artifacts"), { args });
    servers.push(s);
    return s;
  };
  const worker = await start();
  const client = new ArtifactClient({ trackingUri: worker.url, env: {} });
  const run = await client.tracking.createRun({ experimentId: "0" });
  await client.logArtifacts(run.info.runId, await factorModel(dir.path, "two", 2), "model");
  const { version } = await client.registry.registerModel(`runs:/${run.info.runId}/model`, "scorer");
  await cicloApi(worker, "POST", "/endpoints", { name: "solo" });
  await cicloApi(worker, "POST", "/endpoints/solo/deployments", { name: "main", model_uri: `models:/scorer/${version}` });
  const workers = await readyReplica(worker, 0);

  let apiOnly = await start(["--no-jobs"]);
  const first = await readyReplica(apiOnly, 0);
  assert.notEqual(first.pid, workers.pid);

  process.kill(first.pid, "SIGKILL");
  const backoff = await apiOnly.waitForLog("deployments: replica exited; restarting after backoff");
  const restarted = await readyReplica(apiOnly, 1);
  assert.notEqual(restarted.pid, first.pid);
  const exitedAt = Date.parse(String(restarted.lastExit).replace(/^.* at /, ""));
  assert.ok(Number.isFinite(exitedAt) && typeof restarted.startedAt === "number", JSON.stringify(restarted));
  assert.ok(restarted.startedAt! - exitedAt >= Number(backoff.delayMs), `restarted ${restarted.startedAt! - exitedAt} ms after the exit, backoff ${backoff.delayMs} ms`);
  assert.deepEqual(await readyReplica(worker, 0), workers, "the worker's server restarted nothing of its own");
  const jobs = (await cicloApi(worker, "GET", "/jobs?type=deployments.restart&max_results=100")).jobs as unknown[];
  assert.equal(jobs.length, 0, "no restart job for another worker to take");

  // Restarted, the API-only server starts its own model server again (its startup reconcile runs in the process).
  apiOnly.proc.kill("SIGTERM");
  await apiOnly.exited;
  apiOnly = await start(["--no-jobs"]);
  const again = await readyReplica(apiOnly, 0);
  assert.notEqual(again.pid, restarted.pid);
  assert.deepEqual(await readyReplica(worker, 0), workers);
});
