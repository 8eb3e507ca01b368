/**
 * Two `ciclo server`s on one database — two servers started on one SQLite data folder, or two PostgreSQL
 * replicas — each run their own model servers for a local deployment:
 * - the second server's startup cleanup leaves the first one's model server alone (it stopped it: the first
 *   server's replica restarted under a new pid);
 * - a model server that dies is restarted by its own server, every time: the restart job is pinned to that
 *   server's worker (before, either server's worker could take it, and the other one had nothing to restart, so
 *   the replica stayed `restarting`); so is the startup reconcile that starts a server's own model servers (each
 *   server below reaches a ready replica of its own, whichever worker polls first);
 * - once the first server is gone (SIGKILL, its model server left running), the next server to start stops that
 *   orphan, and still not the second server's.
 * Real child servers and real `ciclo models serve` processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { factorModel } from "../testing/deployments-fixture.js";
import { cicloApi } from "../testing/ciclo-api.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";

const STOPPED = "deployments: stopped a model server a previous ciclo left running";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};


/** The server's one replica of shared/main once it is ready: its pid and restarts. */
async function readyReplica(s: ChildServer): Promise<{ pid: number; restarts: number }> {
  const e = await waitFor(
    async () => (await cicloApi(s, "GET", "/endpoints/shared")).endpoint,
    (e: any) => e.deployments[0]?.health.ready_replicas === 1,
    { what: `${s.url}: shared/main ready`, timeoutMs: 120_000, intervalMs: 100 },
  );
  const [r] = e.deployments[0].health.replicas;
  return { pid: r.pid, restarts: r.restarts };
}

/** Kills the server's model server and waits until that server has restarted it (a new pid, one restart more). */
async function killAndWaitForRestart(s: ChildServer, before: { pid: number; restarts: number }): Promise<{ pid: number; restarts: number }> {
  process.kill(before.pid, "SIGKILL");
  const e = await waitFor(
    async () => (await cicloApi(s, "GET", "/endpoints/shared")).endpoint,
    (e: any) => e.deployments[0]?.health.ready_replicas === 1 && e.deployments[0].health.replicas[0].restarts === before.restarts + 1,
    { what: `${s.url}: its killed model server ${before.pid} restarted`, timeoutMs: 60_000, intervalMs: 100 },
  );
  const [r] = e.deployments[0].health.replicas;
  assert.notEqual(r.pid, before.pid);
  return { pid: r.pid, restarts: r.restarts };
}

async function stop(s: ChildServer | undefined): Promise<void> {
  if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  s.proc.kill("SIGTERM");
  await s.exited;
}

for (const backend of ["sqlite", "postgresql"] as const) {
  describe(`two servers on one ${backend} database with a local deployment`, () => {
    const dir = tempDir("ciclo-shared-db-");
    const servers: ChildServer[] = [];
    let pgdb: PgDatabase | undefined;
    after(async () => {
      for (const s of servers) await stop(s);
      await pgdb?.drop();
      dir.remove();
    });

    test("the second leaves the first one's model server alone; a later one stops it once the first is killed", async (t) => {
      let uri = `sqlite:///${join(dir.path, "ciclo.db")}`;
      if (backend === "postgresql") {
        const why = await postgresUnavailable();
        if (why) return t.skip(why);
        pgdb = await createTestDatabase();
        uri = pgdb.uri;
      }
      const start = async () => {
        const s = await startChildServer(uri, join(dir.path, "artifacts"));
        servers.push(s);
        return s;
      };
      const first = await start();
      const client = new ArtifactClient({ trackingUri: first.url, env: {} });
      const run = await client.tracking.createRun({ experimentId: "0" });
      await client.logArtifacts(run.info.runId, await factorModel(dir.path, "two", 2), "model");
      const { version } = await client.registry.registerModel(`runs:/${run.info.runId}/model`, "scorer");
      await cicloApi(first, "POST", "/endpoints", { name: "shared" });
      await cicloApi(first, "POST", "/endpoints/shared/deployments", { name: "main", model_uri: `models:/scorer/${version}` });
      const firstReplica = await readyReplica(first);

      const second = await start();
      const secondReplica = await readyReplica(second); // its startup cleanup ran before its deployments started
      assert.equal(second.logs.filter((l) => l.msg === STOPPED).length, 0, "the second server stopped nothing");
      assert.notEqual(secondReplica.pid, firstReplica.pid);
      assert.ok(alive(firstReplica.pid), "the first server's model server still runs");
      assert.deepEqual(await readyReplica(first), firstReplica, "same pid, no restart");

      // Each server restarts its own model servers: three deaths in a row, alternating, each restarted by its owner.
      let [a, b] = [firstReplica, secondReplica];
      for (let i = 0; i < 3; i++) {
        a = await killAndWaitForRestart(first, a);
        b = await killAndWaitForRestart(second, b);
      }
      assert.equal(a.restarts, 3);
      assert.equal(b.restarts, 3);
      const restartJobs = (await cicloApi(first, "GET", "/jobs?type=deployments.restart&max_results=100")).jobs as any[];
      assert.equal(restartJobs.length, 6);
      assert.ok(restartJobs.every((j) => j.state === "succeeded"));
      const byWorker = new Map<string, number>();
      for (const j of restartJobs) byWorker.set(j.pinned_to, (byWorker.get(j.pinned_to) ?? 0) + 1);
      assert.deepEqual([...byWorker.values()], [3, 3], "each restart pinned to its server's worker");
      Object.assign(firstReplica, a);
      Object.assign(secondReplica, b);

      // The first server dies without draining: its model server is left running, and its record names a server that is gone.
      first.proc.kill("SIGKILL");
      await first.exited;
      assert.ok(alive(firstReplica.pid), "SIGKILL left the model server running");
      const third = await start();
      const stopped = await third.waitForLog(STOPPED);
      assert.equal(stopped.pid, firstReplica.pid);
      await waitFor(() => alive(firstReplica.pid), (a) => !a, { what: `the orphan ${firstReplica.pid} to exit`, timeoutMs: 30_000, intervalMs: 50 });
      await readyReplica(third);
      assert.equal(third.logs.filter((l) => l.msg === STOPPED).length, 1, "only the orphan was stopped");
      assert.ok(alive(secondReplica.pid), "the second server's model server still runs");
      assert.deepEqual(await readyReplica(second), secondReplica);
    });
  });
}
