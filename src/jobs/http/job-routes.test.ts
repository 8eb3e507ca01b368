/**
 * `/api/ciclo/v1/jobs…` through a live server and the SDK's JobsClient: list
 * and filter, get, logs (paged and followed), cancel, retry, schedules; bad
 * input answered in MLflow's error format; and gc as a real job type.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { JobContext } from "../job-types.js";
import { JobsClient } from "../../sdk/jobs-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { rejectsWith } from "../../store/contract/tracking-store.contract.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { resolveServerConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/main.js";
import type { CicloModule, JobHandler } from "../../server/module.js";
import { serverModules } from "../../modules.js";

/** A module contributing the test's job types (`test.*`). */
const testJobs = (...handlers: JobHandler[]): CicloModule => ({ id: "test", init: (ctx) => ctx.jobs(...handlers) });

describe("/api/ciclo/v1/jobs", () => {
  const dir = tempDir();
  let server: RunningServer;
  let jobs: JobsClient;
  let gate: Promise<void>;
  let open!: () => void;

  before(async () => {
    gate = new Promise<void>((r) => (open = r));
    const config = resolveServerConfig(
      { backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`, artifactsDestination: join(dir.path, "artifacts"), port: 0, logLevel: "silent", jobLeaseMs: 300, jobPollMs: 25 },
      {},
    );
    server = await startServer(config, {
      modules: [
        ...serverModules(config),
        testJobs(
          {
            type: "test.lines",
            async handle(p: { lines: number; wait?: boolean }, ctx: JobContext) {
              for (let i = 1; i <= p.lines; i++) ctx.log(`line ${i}`);
              if (p.wait) await gate;
              return { lines: p.lines };
            },
          },
          {
            type: "test.block",
            async handle(_p: unknown, ctx: JobContext) {
              await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
              throw new Error("stopped");
            },
          },
          { type: "test.fail", maxAttempts: 1, async handle() { throw new Error("always fails"); } },
        ),
      ],
    });
    jobs = new JobsClient({ trackingUri: server.url, env: {}, retry: { maxAttempts: 1 } });
  });
  after(async () => {
    open();
    await server.close();
    dir.remove();
  });

  const enqueue = async (type: string, payload: unknown = {}) => (await server.services.jobs!.service.enqueue({ type, payload })).job;
  const finished = (id: string) => waitFor(() => jobs.get(id), (j) => !["queued", "running"].includes(j.state), { what: `job ${id}` });

  test("get, logs in pages and followed to the end, list with filters", async () => {
    const job = await enqueue("test.lines", { lines: 5, wait: true });
    const followed: string[] = [];
    const following = (async () => {
      for await (const l of jobs.follow(job.jobId, { waitMs: 2_000 })) followed.push(l.message);
    })();
    await waitFor(() => jobs.get(job.jobId), (j) => j.logCount === 5, { what: "five lines" });
    open();
    await following;
    assert.deepEqual(followed, ["line 1", "line 2", "line 3", "line 4", "line 5"]);
    const done = await jobs.get(job.jobId);
    assert.equal(done.state, "succeeded");
    assert.deepEqual(done.result, { lines: 5 });
    const page = await jobs.logs(job.jobId, { afterSeq: 2, maxResults: 2 });
    assert.deepEqual(page.lines.map((l) => l.message), ["line 3", "line 4"]);
    assert.equal(page.nextSeq, 4);
    assert.equal(page.jobState, "succeeded");
    const listed = await jobs.list({ types: ["test.lines"], states: ["succeeded"] });
    assert.ok(listed.items.some((j) => j.jobId === job.jobId));
    assert.equal((await jobs.list({ types: ["test.lines"], states: ["failed"] })).items.length, 0);
  });

  test("cancel a running job, retry it, and refuse what its state does not allow", async () => {
    const job = await enqueue("test.block");
    await waitFor(() => jobs.get(job.jobId), (j) => j.state === "running");
    await rejectsWith(jobs.retry(job.jobId), "INVALID_STATE", /only a failed or cancelled job can be retried/);
    assert.equal((await jobs.cancel(job.jobId)).cancelRequested, true);
    assert.equal((await finished(job.jobId)).state, "cancelled");
    await rejectsWith(jobs.cancel(job.jobId), "INVALID_STATE", /only a queued or running job can be cancelled/);
    assert.equal((await jobs.retry(job.jobId)).state, "queued");
    await waitFor(() => jobs.get(job.jobId), (j) => j.state === "running");
    await jobs.cancel(job.jobId);
    assert.equal((await finished(job.jobId)).state, "cancelled");

    const failing = await enqueue("test.fail");
    const failed = await finished(failing.jobId);
    assert.equal(failed.state, "failed");
    assert.equal(failed.error, "always fails");
  });

  test("bad input gets MLflow's error envelope and changes nothing", async () => {
    const call = async (path: string, method = "GET") => {
      const res = await fetch(`${server.url}/api/ciclo/v1/jobs${path}`, { method, headers: method === "POST" ? { "content-type": "application/json" } : {}, body: method === "POST" ? "{}" : undefined });
      return { status: res.status, body: (await res.json()) as { error_code: string; message: string } };
    };
    const bogus = await call("?state=bogus");
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.error_code, "INVALID_PARAMETER_VALUE");
    assert.match(bogus.body.message, /Invalid job state 'bogus'/);
    assert.equal((await call("?max_results=0")).body.error_code, "INVALID_PARAMETER_VALUE");
    assert.equal((await call("?max_results=1001")).status, 400);
    assert.equal((await call("?page_token=%00%01")).status, 400);
    for (const id of ["abc", "12345678901234567890", "-1", "1%27%20or%201=1"]) {
      const r = await call(`/${id}`);
      assert.equal(r.status, 404, id);
      assert.equal(r.body.error_code, "RESOURCE_DOES_NOT_EXIST");
    }
    assert.equal((await call("/999999/cancel", "POST")).status, 404);
    assert.equal((await call("/1/logs?after_seq=-1")).status, 400);
    assert.equal((await call("/1/logs?wait_ms=60000")).status, 400);
    const before = await jobs.list({ maxResults: 1000 });
    await call("/abc/retry", "POST");
    assert.equal((await jobs.list({ maxResults: 1000 })).items.length, before.items.length);
  });

  test("schedules: the nightly purge of old finished jobs is listed", async () => {
    const list = await jobs.schedules();
    const purge = list.find((s) => s.name === "jobs.purge");
    assert.ok(purge);
    assert.equal(purge.cron, "17 3 * * *");
    assert.ok(purge.next_run_at > Date.now());
    assert.equal(list.some((s) => s.name === "gc.purge"), false, "gc is scheduled only when configured");
  });

  test("gc.purge as a job purges deleted runs and reports what it did", async () => {
    const tracking = new TrackingClient({ trackingUri: server.url, env: {}, retry: { maxAttempts: 1 } });
    const exp = await tracking.createExperiment(`gc-job-${Date.now()}`);
    const keep = await tracking.createRun({ experimentId: exp });
    const gone = await tracking.createRun({ experimentId: exp });
    await tracking.deleteRun(gone.info.runId);
    const job = await enqueue("gc.purge", { older_than_ms: 0 });
    const done = await finished(job.jobId);
    assert.equal(done.state, "succeeded", done.error ?? "");
    assert.deepEqual(done.result, { dry_run: false, experiments: 0, runs: 1, logged_models: 0, skipped: 0, artifact_errors: 0 });
    await rejectsWith(tracking.getRun(gone.info.runId), "RESOURCE_DOES_NOT_EXIST");
    assert.equal((await tracking.getRun(keep.info.runId)).info.runId, keep.info.runId);
    assert.match((await jobs.logs(job.jobId)).lines.map((l) => l.message).join("\n"), /purged 0 experiment\(s\), 1 run\(s\)/);
    await assert.rejects(server.services.jobs!.service.enqueue({ type: "gc.purge", payload: { older_than_ms: "soon" } }), /gc.purge payload/);
    await assert.rejects(server.services.jobs!.service.enqueue({ type: "no.such" }), /Unknown job type 'no.such'/);
    await assert.rejects(server.services.jobs!.service.enqueue({ type: "gc.purge", payload: { big: "x".repeat(70_000) } }), /at most 65536 bytes/);
  });

  test("jobs.purge deletes finished jobs past the retention, and itself is kept until the next run", async () => {
    const finishedBefore = (await jobs.list({ states: ["succeeded", "failed", "cancelled"], maxResults: 1000 })).items.length;
    assert.ok(finishedBefore > 0);
    const job = await enqueue("jobs.purge", { older_than_ms: 0 });
    const done = await finished(job.jobId);
    assert.equal(done.state, "succeeded");
    assert.equal((done.result as { deleted: number }).deleted, finishedBefore);
    assert.deepEqual((await jobs.list({ maxResults: 1000 })).items.map((j) => j.jobId), [job.jobId]);
  });
});
