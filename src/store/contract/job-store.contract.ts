/**
 * The JobStore contract: one suite, run against every backend (SQLite,
 * PostgreSQL) by the backends' own test files. Times are passed in, so leases
 * expire and retries come due without waiting. `replica()` opens a second
 * connection to the same database, standing for another server process.
 * @module
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { JobLease, JobStore } from "../../jobs/job-store.js";
import type { Job } from "../../jobs/types.js";
import { rejectsWith } from "./tracking-store.contract.js";
import { contractTests } from "../../testing/backend-tests.js";

export interface JobStoreFixture {
  store: JobStore;
  /** The same database through another connection (another server process). */
  replica(): Promise<{ store: JobStore; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const T = 1_800_000_000_000;
const L = 10_000;
const leaseOf = (job: Job, owner: string): JobLease => ({ jobId: job.jobId, owner, attempt: job.attempts });

export function runJobStoreContract(name: string, make: () => Promise<JobStoreFixture | undefined>): void {
  describe(`JobStore contract: ${name}`, () => {
    let fx: JobStoreFixture | undefined;
    let s: JobStore;
    let n = 0;
    const type = () => `test.t${n++}`;
    const enqueue = async (t: string, extra: Partial<Parameters<JobStore["enqueue"]>[0]> = {}, now = T) =>
      (await s.enqueue({ type: t, payload: { n: n++ }, maxAttempts: 3, ...extra }, now)).job;
    const lease = (t: string, owner = "w1", now = T, limit = 10) => s.lease({ owner, types: [t], limit, leaseMs: L, now });

    const it = contractTests(name, make, (f) => {
      fx = f;
      s = f.store;
    });

    it("enqueues and reads a job; an unknown or malformed id is RESOURCE_DOES_NOT_EXIST", async () => {
      const t = type();
      const job = await enqueue(t, { payload: { a: [1, "x"], q: 'quote"\\' }, priority: 5 });
      assert.equal(job.state, "queued");
      assert.equal(job.type, t);
      assert.deepEqual(job.payload, { a: [1, "x"], q: 'quote"\\' });
      assert.equal(job.priority, 5);
      assert.equal(job.attempts, 0);
      assert.equal(job.maxAttempts, 3);
      assert.equal(job.runAfter, T);
      assert.equal(job.createdAt, T);
      assert.deepEqual(await s.getJob(job.jobId), job);
      await rejectsWith(s.getJob("999999999"), "RESOURCE_DOES_NOT_EXIST", /^Job with id=999999999 not found$/);
      await rejectsWith(s.getJob("1; drop table jobs"), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.getJob("99999999999999999999999"), "RESOURCE_DOES_NOT_EXIST");
    });

    it("an idempotency key enqueued twice gives one job", async () => {
      const t = type();
      const a = await s.enqueue({ type: t, payload: { v: 1 }, maxAttempts: 3, idempotencyKey: `k-${t}` }, T);
      const b = await s.enqueue({ type: t, payload: { v: 2 }, maxAttempts: 3, idempotencyKey: `k-${t}` }, T + 1);
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.job.jobId, a.job.jobId);
      assert.deepEqual(b.job.payload, { v: 1 });
      const page = await s.listJobs({ types: [t], maxResults: 10 });
      assert.equal(page.items.length, 1);
    });

    it("lists newest first, filters by state and type, pages with a token", async () => {
      const t = type();
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push(await enqueue(t));
      await s.cancel(jobs[1].jobId, T);
      const first = await s.listJobs({ types: [t], maxResults: 3 });
      assert.deepEqual(first.items.map((j) => j.jobId), [jobs[4], jobs[3], jobs[2]].map((j) => j.jobId));
      assert.ok(first.nextPageToken);
      const second = await s.listJobs({ types: [t], maxResults: 3, pageToken: first.nextPageToken });
      assert.deepEqual(second.items.map((j) => j.jobId), [jobs[1], jobs[0]].map((j) => j.jobId));
      assert.equal(second.nextPageToken, undefined);
      const cancelled = await s.listJobs({ types: [t], states: ["cancelled"], maxResults: 10 });
      assert.deepEqual(cancelled.items.map((j) => j.jobId), [jobs[1].jobId]);
      await rejectsWith(s.listJobs({ maxResults: 3, pageToken: "bad-token" }), "INVALID_PARAMETER_VALUE");
    });

    it("leases due jobs of the asked types by priority, each once, counting attempts", async () => {
      const t = type();
      const other = type();
      const low = await enqueue(t);
      const high = await enqueue(t, { priority: 10 });
      const later = await enqueue(t, { runAfter: T + 5_000 });
      await enqueue(other);
      const got = await lease(t, "w1", T, 10);
      assert.deepEqual(got.map((j) => j.jobId), [high.jobId, low.jobId]);
      for (const j of got) {
        assert.equal(j.state, "running");
        assert.equal(j.attempts, 1);
        assert.equal(j.leaseOwner, "w1");
        assert.equal(j.leaseExpiresAt, T + L);
        assert.equal(j.startedAt, T);
      }
      assert.deepEqual(await lease(t, "w2", T + 1), [], "a held job is not leased again, a future one not yet");
      const due = await lease(t, "w2", T + 5_000);
      assert.deepEqual(due.map((j) => j.jobId), [later.jobId]);
      assert.equal((await lease(t, "w3", T, 0)).length, 0);
    });

    it("a pinned job is leased only by its worker; once that worker is gone it is failed, never run elsewhere", async () => {
      const t = type();
      const [a, b] = [`${t}-server-a`, `${t}-server-b`];
      await s.announceWorker(a, T + L, T);
      await s.announceWorker(b, T + L, T);
      const pinned = await enqueue(t, { pinnedTo: a });
      const free = await enqueue(t);
      assert.equal(pinned.pinnedTo, a);
      assert.equal(free.pinnedTo, null);
      const byB = await lease(t, b, T + 1);
      assert.deepEqual(byB.map((j) => j.jobId), [free.jobId], "the other worker takes only the unpinned job");
      assert.equal(await s.complete(leaseOf(byB[0], b), null, {}, T + 1), true);
      assert.equal((await s.getJob(pinned.jobId)).state, "queued", "a pinned job waits while its worker is alive");
      const [byA] = await lease(t, a, T + 2);
      assert.equal(byA.jobId, pinned.jobId);
      assert.equal(byA.leaseOwner, a);
      assert.equal(await s.complete(leaseOf(byA, a), null, {}, T + 3), true);

      // a's announcement runs out (it died without a word): the next worker to lease fails what is pinned to it.
      const orphan = await enqueue(t, { pinnedTo: a }, T + 4);
      assert.deepEqual(await lease(t, b, T + L - 1), [], "still within a's announcement");
      assert.equal((await s.getJob(orphan.jobId)).state, "queued");
      await s.announceWorker(b, T + 3 * L, T + L + 1);
      assert.deepEqual(await lease(t, b, T + L + 1), []);
      const failed = await s.getJob(orphan.jobId);
      assert.equal(failed.state, "failed");
      assert.match(failed.error ?? "", /pinned to is gone/);
      assert.equal(failed.finishedAt, T + L + 1);

      // A running pinned job whose worker stopped (retired) and whose lease expired: failed too, not re-run by b.
      const c = `${t}-server-c`;
      await s.announceWorker(c, T + 10 * L, T + L + 2);
      const held = await enqueue(t, { pinnedTo: c }, T + L + 2);
      const [byC] = await lease(t, c, T + L + 3);
      assert.equal(byC.jobId, held.jobId);
      await s.retireWorker(c);
      assert.deepEqual(await lease(t, b, T + 2 * L + 4), [], "b never runs c's job");
      const lost = await s.getJob(held.jobId);
      assert.equal(lost.state, "failed");
      assert.equal(lost.attempts, 1);
    });

    it("heartbeats extend a lease; an expired lease is re-leased and the old holder can no longer write", async () => {
      const t = type();
      const job = await enqueue(t);
      const [a] = await lease(t, "w1", T);
      const hb = await s.heartbeat(leaseOf(a, "w1"), { progress: 0.25, progressMessage: "a quarter" }, L, T + L - 1);
      assert.deepEqual(hb, { held: true, cancelRequested: false });
      assert.deepEqual(await lease(t, "w2", T + L + 1), [], "the heartbeat moved the expiry");
      const mid = await s.getJob(job.jobId);
      assert.equal(mid.leaseExpiresAt, T + 2 * L - 1);
      assert.equal(mid.progress, 0.25);
      assert.equal(mid.progressMessage, "a quarter");
      const [b] = await lease(t, "w2", T + 2 * L);
      assert.equal(b.jobId, job.jobId);
      assert.equal(b.attempts, 2);
      assert.equal(b.leaseOwner, "w2");
      assert.deepEqual(await s.heartbeat(leaseOf(a, "w1"), {}, L, T + 2 * L + 1), { held: false, cancelRequested: false });
      assert.equal(await s.complete(leaseOf(a, "w1"), { by: "w1" }, {}, T + 2 * L + 1), false);
      assert.equal(await s.complete(leaseOf(b, "w2"), { by: "w2" }, { progress: 1 }, T + 2 * L + 2), true);
      const done = await s.getJob(job.jobId);
      assert.equal(done.state, "succeeded");
      assert.deepEqual(done.result, { by: "w2" });
      assert.equal(done.finishedAt, T + 2 * L + 2);
      assert.equal(done.leaseOwner, null);
      assert.equal(done.progress, 1);
    });

    it("log lines are written with the lease's writes and read in pages; long lines are cut", async () => {
      const t = type();
      const job = await enqueue(t);
      const [a] = await lease(t);
      const line = (i: number) => ({ time: T + i, level: "info" as const, message: `line ${i}` });
      await s.heartbeat(leaseOf(a, "w1"), { logs: [line(1), line(2), { time: T + 3, level: "warn", message: "x".repeat(5000) }] }, L, T + 3);
      await s.complete(leaseOf(a, "w1"), null, { logs: [line(4)] }, T + 4);
      const all = await s.readLogs(job.jobId, 0, 100);
      assert.deepEqual(all.map((l) => l.seq), [1, 2, 3, 4]);
      assert.deepEqual(all[0], { seq: 1, time: T + 1, attempt: 1, level: "info", message: "line 1" });
      assert.equal(all[2].level, "warn");
      assert.equal(all[2].message.length, 4097);
      assert.deepEqual((await s.readLogs(job.jobId, 2, 1)).map((l) => l.message), [all[2].message]);
      assert.deepEqual(await s.readLogs(job.jobId, 4, 10), []);
      assert.equal((await s.getJob(job.jobId)).logCount, 4);
      await rejectsWith(s.readLogs("424242424", 0, 10), "RESOURCE_DOES_NOT_EXIST");
    });

    it("a failed attempt waits for its retry time; the last one fails the job", async () => {
      const t = type();
      const job = await enqueue(t, { maxAttempts: 2 });
      const [a] = await lease(t);
      assert.equal(await s.fail(leaseOf(a, "w1"), "boom 1", T + 100, {}, T + 1), "queued");
      const waiting = await s.getJob(job.jobId);
      assert.equal(waiting.state, "queued");
      assert.equal(waiting.error, "boom 1");
      assert.equal(waiting.runAfter, T + 100);
      assert.deepEqual(await lease(t, "w1", T + 99), []);
      const [b] = await lease(t, "w1", T + 100);
      assert.equal(b.attempts, 2);
      assert.equal(await s.fail(leaseOf(b, "w1"), "boom 2", null, {}, T + 101), "failed");
      const failed = await s.getJob(job.jobId);
      assert.equal(failed.state, "failed");
      assert.equal(failed.error, "boom 2");
      assert.equal(failed.finishedAt, T + 101);
      assert.deepEqual(await lease(t, "w1", T + 10_000_000), []);
    });

    it("a lease that expires on the last attempt fails the job instead of running it again", async () => {
      const t = type();
      const job = await enqueue(t, { maxAttempts: 1 });
      await lease(t, "w1", T);
      assert.deepEqual(await lease(t, "w2", T + L + 1), []);
      const failed = await s.getJob(job.jobId);
      assert.equal(failed.state, "failed");
      assert.match(failed.error ?? "", /lease expired/);
    });

    it("cancel: a queued job never starts; a running one is asked through its heartbeat; a finished one refuses", async () => {
      const t = type();
      const queued = await enqueue(t);
      const c = await s.cancel(queued.jobId, T + 1);
      assert.equal(c.state, "cancelled");
      assert.equal(c.finishedAt, T + 1);
      assert.deepEqual(await lease(t, "w1", T + 2), []);
      const running = await enqueue(t);
      const [a] = await lease(t, "w1", T + 3);
      assert.equal(a.jobId, running.jobId);
      const asked = await s.cancel(running.jobId, T + 4);
      assert.equal(asked.state, "running");
      assert.equal(asked.cancelRequested, true);
      assert.deepEqual(await s.heartbeat(leaseOf(a, "w1"), {}, L, T + 5), { held: true, cancelRequested: true });
      assert.equal(await s.markCancelled(leaseOf(a, "w1"), {}, T + 6), true);
      assert.equal((await s.getJob(running.jobId)).state, "cancelled");
      await rejectsWith(s.cancel(running.jobId, T + 7), "INVALID_STATE", /is cancelled/);
      await rejectsWith(s.cancel("777777777", T + 7), "RESOURCE_DOES_NOT_EXIST");
    });

    it("a running job whose worker died after a cancel request ends cancelled, not re-run", async () => {
      const t = type();
      const job = await enqueue(t);
      await lease(t, "w1", T);
      await s.cancel(job.jobId, T + 1);
      assert.deepEqual(await lease(t, "w2", T + L + 1), []);
      assert.equal((await s.getJob(job.jobId)).state, "cancelled");
    });

    it("retry queues a failed or cancelled job again with its attempts reset; other states refuse", async () => {
      const t = type();
      const job = await enqueue(t, { maxAttempts: 1 });
      const [a] = await lease(t);
      await rejectsWith(s.retry(job.jobId, T + 1), "INVALID_STATE", /is running/);
      await s.fail(leaseOf(a, "w1"), "boom", null, {}, T + 2);
      const again = await s.retry(job.jobId, T + 3);
      assert.equal(again.state, "queued");
      assert.equal(again.attempts, 0);
      assert.equal(again.error, null);
      assert.equal(again.finishedAt, null);
      const [b] = await lease(t, "w1", T + 3);
      assert.equal(b.attempts, 1);
      await rejectsWith(s.retry("888888888", T), "RESOURCE_DOES_NOT_EXIST");
    });

    it("release gives a job back without counting the attempt (graceful shutdown)", async () => {
      const t = type();
      const job = await enqueue(t);
      const [a] = await lease(t, "w1", T);
      assert.equal(await s.release(leaseOf(a, "w1"), { logs: [{ time: T, level: "warn", message: "shutting down" }] }, T + 1), true);
      const back = await s.getJob(job.jobId);
      assert.equal(back.state, "queued");
      assert.equal(back.attempts, 0);
      assert.equal(back.leaseOwner, null);
      const [b] = await lease(t, "w2", T + 1);
      assert.equal(b.attempts, 1);
      assert.equal(await s.release(leaseOf(a, "w1"), {}, T + 2), false, "the old lease is gone");
    });

    it("two replicas leasing at once never get the same job", async () => {
      const t = type();
      const replica = await fx!.replica();
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 60; i++) ids.add((await enqueue(t)).jobId);
        const take = (st: JobStore, owner: string) => st.lease({ owner, types: [t], limit: 7, leaseMs: L, now: T });
        const rounds = await Promise.all([0, 1, 2, 3, 4].flatMap(() => [take(s, "a"), take(replica.store, "b")]));
        const got = rounds.flat().map((j) => j.jobId);
        assert.equal(new Set(got).size, got.length, "a job was leased twice");
        assert.ok(got.every((id) => ids.has(id)));
        const rest = [...(await take(s, "a")), ...(await take(replica.store, "b"))];
        assert.equal(got.length + rest.length, Math.min(60, got.length + 14));
      } finally {
        await replica.close();
      }
    });

    it("schedules: stored once, kept across restarts, and each tick fires one job across replicas", async () => {
      const name = `sched-${n++}`;
      const t = type();
      const s1 = await s.upsertSchedule({ name, type: t, cron: "*/5 * * * *", timezone: "UTC", payload: { p: 1 }, nextRunAt: T + 300 }, T);
      assert.equal(s1.nextRunAt, T + 300);
      const again = await s.upsertSchedule({ name, type: t, cron: "*/5 * * * *", timezone: "UTC", payload: { p: 2 }, nextRunAt: T + 999 }, T + 1);
      assert.equal(again.nextRunAt, T + 300, "an unchanged cron keeps its stored tick");
      assert.deepEqual(again.payload, { p: 2 });
      const replica = await fx!.replica();
      try {
        const [x, y] = await Promise.all([
          s.fireSchedule(name, T + 300, T + 600, 3, T + 301),
          replica.store.fireSchedule(name, T + 300, T + 600, 3, T + 301),
        ]);
        const fired = [x, y].filter((j) => j !== undefined);
        assert.equal(fired.length, 1, "one tick, one job");
        assert.equal(fired[0]!.schedule, name);
        assert.equal(fired[0]!.idempotencyKey, `schedule:${name}:${T + 300}`);
        assert.deepEqual(fired[0]!.payload, { p: 2 });
        assert.equal(await s.fireSchedule(name, T + 300, T + 600, 3, T + 302), undefined, "a fired tick does not fire again");
        const listed = (await s.listSchedules()).find((x) => x.name === name)!;
        assert.equal(listed.nextRunAt, T + 600);
        assert.equal(listed.lastJobId, fired[0]!.jobId);
        assert.ok(await s.fireSchedule(name, T + 600, T + 900, 3, T + 601));
        assert.equal((await s.listJobs({ types: [t], maxResults: 10 })).items.length, 2);
        const moved = await s.upsertSchedule({ name, type: t, cron: "0 * * * *", timezone: "UTC", payload: null, nextRunAt: T + 3600 }, T + 602);
        assert.equal(moved.nextRunAt, T + 3600, "a changed cron takes its new tick");
        await s.deleteSchedule(name);
        assert.equal((await s.listSchedules()).some((x) => x.name === name), false);
      } finally {
        await replica.close();
      }
    });

    it("purges finished jobs older than a cutoff with their logs, and nothing else", async () => {
      const t = type();
      const old = await enqueue(t);
      const [a] = await lease(t, "w1", T);
      await s.complete(leaseOf(a, "w1"), null, { logs: [{ time: T, level: "info", message: "x" }] }, T + 1);
      const queued = await enqueue(t, {}, T + 2);
      const purged = await s.purgeFinished(T + 2);
      assert.ok(purged >= 1);
      await rejectsWith(s.getJob(old.jobId), "RESOURCE_DOES_NOT_EXIST");
      assert.equal((await s.getJob(queued.jobId)).state, "queued");
    });
  });
}
