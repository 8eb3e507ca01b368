/**
 * The job runner across real server processes (src/testing/jobs-child-server.ts:
 * `ciclo server` plus test job types that record each run in a file outside
 * the database):
 *
 * - two servers on one PostgreSQL database run 1,000 jobs, each exactly once;
 * - a server holding a lease is killed with SIGKILL; another re-leases the job
 *   when the lease expires and completes it;
 * - a server restart (SQLite) loses no queued job and runs none twice.
 *
 * Leases are short (1 s) so an expiry comes soon; every wait is for a condition.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { SqlJobStore } from "../store/sql/jobs/sql-job-store.js";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";

const ENTRY = ["--import", "tsx", "src/testing/jobs-child-server.ts"];

/** Every job id each process recorded, by pid. */
function records(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".log"))) {
    out.set(f.slice(0, -4), readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l !== ""));
  }
  return out;
}

async function stop(s: ChildServer): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill("SIGTERM");
  const exit = await s.exited;
  assert.ok(exit.code === 0 || exit.signal === "SIGKILL", `server exited with ${JSON.stringify(exit)}: ${s.stderr()}`);
}

async function countByState(stores: OpenedStores, type: string): Promise<Record<string, number>> {
  const rows = await stores.connection.db
    .selectFrom("jobs")
    .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("type", "=", type)
    .groupBy("state")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

describe("job runner across server processes", { concurrency: false }, () => {
  describe("postgres", () => {
    let pgdb: PgDatabase | undefined;
    let stores: OpenedStores;
    const dir = tempDir("ciclo-jobs-proc-");
    const env = { CICLO_TEST_RECORD_DIR: dir.path, CICLO_JOB_LEASE_MS: "1000", CICLO_JOB_POLL_MS: "50", CICLO_JOB_CONCURRENCY: "8" };
    const start = () => startChildServer(pgdb!.uri, join(dir.path, "artifacts"), { env, entry: ENTRY });

    before(async () => {
      if (await postgresUnavailable()) return;
      pgdb = await createTestDatabase();
      stores = await openStores(pgdb.uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
    });
    after(async () => {
      if (!pgdb) return;
      await stores.tracking.close();
      await pgdb.drop();
      dir.remove();
    });

    test("two servers on one database run 1,000 jobs, each exactly once", async (t) => {
      if (!pgdb) return t.skip("postgres unavailable");
      const started = await Promise.allSettled([start(), start()]);
      const up = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      if (up.length < 2) {
        await Promise.all(up.map(stop));
        throw (started.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      }
      const [a, b] = up;
      try {
        const store = new SqlJobStore(stores.connection);
        const ids = await Promise.all(
          Array.from({ length: 1000 }, async (_, i) => (await store.enqueue({ type: "test.record", payload: { i }, maxAttempts: 3 }, Date.now())).job.jobId),
        );
        await waitFor(() => countByState(stores, "test.record"), (c) => c.succeeded === 1000, { timeoutMs: 180_000, what: "1,000 jobs to succeed" });
        const byPid = records(dir.path);
        const ran = [...byPid.values()].flat();
        assert.equal(ran.length, 1000, "a job ran more than once (or not at all)");
        assert.deepEqual(new Set(ran), new Set(ids));
        assert.deepEqual([...byPid.keys()].sort(), [String(a.proc.pid), String(b.proc.pid)].sort(), "both servers took part");
        const retried = await stores.connection.db.selectFrom("jobs").select("id").where("type", "=", "test.record").where("attempts", "!=", 1).execute();
        assert.deepEqual(retried, []);
      } finally {
        await Promise.all([stop(a), stop(b)]);
      }
    });

    test("a server killed with SIGKILL while holding a lease: another re-leases the job and completes it", async (t) => {
      if (!pgdb) return t.skip("postgres unavailable");
      const store = new SqlJobStore(stores.connection);
      const a = await start();
      const { job } = await store.enqueue({ type: "test.hang-first", payload: {}, maxAttempts: 3 }, Date.now());
      await waitFor(() => existsSync(join(dir.path, `hang-${job.jobId}`)), (x) => x, { what: "the first server to start the job" });
      const held = await store.getJob(job.jobId);
      assert.equal(held.state, "running");
      assert.match(held.leaseOwner ?? "", new RegExp(`:${a.proc.pid}:`));
      a.proc.kill("SIGKILL");
      await a.exited;
      const b = await start();
      try {
        const done = await waitFor(() => store.getJob(job.jobId), (j) => j.state !== "running" && j.state !== "queued", { what: "the job to be completed" });
        assert.equal(done.state, "succeeded");
        assert.equal(done.attempts, 2);
        assert.deepEqual(done.result, { pid: b.proc.pid, attempt: 2 });
        assert.equal(done.leaseOwner, null);
      } finally {
        await stop(b);
      }
    });
  });

  describe("sqlite", () => {
    const dir = tempDir("ciclo-jobs-restart-");
    const uri = `sqlite:///${join(dir.path, "ciclo.db")}`;
    let stores: OpenedStores;
    const start = (extra: Record<string, string> = {}) =>
      startChildServer(uri, join(dir.path, "artifacts"), {
        env: { CICLO_TEST_RECORD_DIR: dir.path, CICLO_JOB_POLL_MS: "50", CICLO_JOB_CONCURRENCY: "4", ...extra },
        entry: ENTRY,
      });

    before(async () => {
      stores = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
    });
    after(async () => {
      await stores.tracking.close();
      dir.remove();
    });

    test("a server restart loses no queued job and runs none twice", async () => {
      const store = new SqlJobStore(stores.connection);
      const enqueue = (n: number) =>
        Promise.all(Array.from({ length: n }, async () => (await store.enqueue({ type: "test.record", payload: {}, maxAttempts: 3 }, Date.now())).job.jobId));
      // Queued while a server that runs no jobs is up, then that server restarts.
      const idle = await start({ CICLO_JOBS: "0" });
      const first = await enqueue(100);
      await stop(idle);
      assert.equal((await countByState(stores, "test.record")).queued, 100);
      // Stopped (SIGTERM) while it works through a backlog: what it had not started stays queued.
      const busy = await start();
      const second = await enqueue(300);
      await stop(busy);
      const left = await countByState(stores, "test.record");
      console.log(`# after the first shutdown: ${JSON.stringify(left)}`);
      assert.equal(left.running ?? 0, 0, "a graceful shutdown leaves no job running");
      const again = await start();
      try {
        await waitFor(() => countByState(stores, "test.record"), (c) => c.succeeded === 400, { timeoutMs: 120_000, what: "all 400 jobs" });
        const ran = [...records(dir.path).values()].flat();
        assert.equal(ran.length, 400, "a job ran twice or not at all");
        assert.deepEqual(new Set(ran), new Set([...first, ...second]));
      } finally {
        await stop(again);
      }
    });
  });
});
