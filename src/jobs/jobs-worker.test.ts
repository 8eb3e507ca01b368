/**
 * The worker on a real SQLite store: handlers run with progress and logs,
 * retries back off, cancellation reaches a running handler through its
 * AbortSignal, shutdown drains or gives jobs back, schedules fire, and event
 * subscribers get registry events through a durable cursor; a job pinned to
 * one of two workers runs there alone. Short leases and
 * backoffs make it quick; every wait is for a condition.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { SqlEventStore, SqlJobStore } from "../store/sql/jobs/sql-job-store.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { PermanentJobError } from "./job-attempt.js";
import { JobService } from "./job-service.js";
import { JobRegistry, type JobType } from "./job-types.js";
import { JobsWorker } from "./jobs-worker.js";
import type { StreamEvent } from "./types.js";

describe("JobsWorker (sqlite)", () => {
  const dir = tempDir();
  let stores: OpenedStores;
  let store: SqlJobStore;
  let events: SqlEventStore;
  let n = 0;

  before(async () => {
    stores = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
    store = new SqlJobStore(stores.connection);
    events = new SqlEventStore(stores.connection);
  });
  after(async () => {
    await stores.tracking.close();
    dir.remove();
  });

  /** A worker with the given job types, started; stopped by the caller. */
  const start = async (types: JobType<never>[], setup: (r: JobRegistry) => void = () => {}) => {
    const registry = new JobRegistry().add(...types);
    setup(registry);
    const worker = new JobsWorker({ store, events, registry, leaseMs: 300, pollMs: 25, concurrency: 3, eventBackoff: { baseMs: 20, maxMs: 50 } });
    const service = new JobService({ store, registry, onEnqueue: () => worker.runner.wake() });
    await worker.start();
    return { worker, service, registry };
  };
  const settled = (service: JobService, id: string) =>
    waitFor(() => service.get(id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), { what: `job ${id} to finish` });

  test("runs a job with its payload; progress, log lines and the result are stored", async () => {
    const type = `test.echo${n++}`;
    const { worker, service } = await start([
      {
        type,
        async handle(payload: { word: string }, ctx) {
          ctx.progress(0.5, "halfway");
          ctx.log(`got ${payload.word}`);
          ctx.log("careful", "warn");
          return { echoed: payload.word, attempt: ctx.attempt };
        },
      },
    ]);
    try {
      const { job } = await service.enqueue({ type, payload: { word: "hola" } });
      const done = await settled(service, job.jobId);
      assert.equal(done.state, "succeeded");
      assert.deepEqual(done.result, { echoed: "hola", attempt: 1 });
      assert.equal(done.progress, 0.5);
      assert.equal(done.progressMessage, "halfway");
      assert.deepEqual((await service.logs(job.jobId)).lines.map((l) => [l.level, l.message]), [["info", "got hola"], ["warn", "careful"]]);
    } finally {
      await worker.stop();
    }
  });

  test("a failing attempt is retried after a backoff; a permanent error and the last attempt fail the job", async () => {
    const type = `test.flaky${n++}`;
    const { worker, service } = await start([
      {
        type,
        maxAttempts: 3,
        backoff: { baseMs: 10, maxMs: 20 },
        async handle(payload: { failTimes: number; permanent?: boolean }, ctx) {
          if (payload.permanent) throw new PermanentJobError("bad input, do not retry");
          if (ctx.attempt <= payload.failTimes) throw new Error(`flake ${ctx.attempt}`);
          return "ok";
        },
      },
    ]);
    try {
      const once = (await service.enqueue({ type, payload: { failTimes: 1 } })).job;
      const always = (await service.enqueue({ type, payload: { failTimes: 9 } })).job;
      const permanent = (await service.enqueue({ type, payload: { failTimes: 0, permanent: true } })).job;
      const a = await settled(service, once.jobId);
      assert.equal(a.state, "succeeded");
      assert.equal(a.attempts, 2);
      assert.deepEqual((await service.logs(once.jobId)).lines.map((l) => [l.attempt, l.level, l.message]), [[1, "error", "attempt 1 failed: flake 1"]]);
      const b = await settled(service, always.jobId);
      assert.equal(b.state, "failed");
      assert.equal(b.attempts, 3);
      assert.equal(b.error, "flake 3");
      const c = await settled(service, permanent.jobId);
      assert.equal(c.state, "failed");
      assert.equal(c.attempts, 1);
      assert.equal(c.error, "bad input, do not retry");
      const again = await service.retry(always.jobId);
      assert.equal(again.state, "queued");
      assert.equal((await settled(service, always.jobId)).attempts, 3, "a retried job gets its attempts anew");
    } finally {
      await worker.stop();
    }
  });

  test("cancel: a running handler sees its AbortSignal; a queued job never starts", async () => {
    const type = `test.wait${n++}`;
    const started: string[] = [];
    const { worker, service } = await start([
      {
        type,
        async handle(_p: unknown, ctx) {
          started.push(ctx.jobId);
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
          throw ctx.signal.reason;
        },
      },
    ]);
    try {
      const later = (await service.enqueue({ type, runAfter: Date.now() + 3_600_000 })).job;
      const running = (await service.enqueue({ type })).job;
      await waitFor(() => service.get(running.jobId), (j) => j.state === "running", { what: "the job to start" });
      assert.equal((await service.cancel(later.jobId)).state, "cancelled");
      assert.equal((await service.cancel(running.jobId)).cancelRequested, true);
      const done = await settled(service, running.jobId);
      assert.equal(done.state, "cancelled");
      assert.deepEqual(started, [running.jobId], "the queued job was never started");
    } finally {
      await worker.stop();
    }
  });

  test("shutdown lets a running job finish; past the drain time it gives the job back, attempt not counted", async () => {
    const type = `test.slow${n++}`;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { worker, service } = await start([
      {
        type,
        async handle(payload: { stubborn: boolean }, ctx) {
          if (!payload.stubborn) {
            await gate;
            return "finished";
          }
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
          throw new Error("stopped");
        },
      },
    ]);
    const polite = (await service.enqueue({ type, payload: { stubborn: false } })).job;
    await waitFor(() => service.get(polite.jobId), (j) => j.state === "running");
    const stopping = worker.stop(60_000);
    release();
    await stopping;
    assert.equal((await service.get(polite.jobId)).state, "succeeded");

    const second = await start([{ type, async handle(payload: { stubborn: boolean }, ctx) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      throw new Error(payload.stubborn ? "stopped" : "?");
    } }]);
    const stubborn = (await second.service.enqueue({ type, payload: { stubborn: true } })).job;
    await waitFor(() => service.get(stubborn.jobId), (j) => j.state === "running");
    await second.worker.stop(0);
    const back = await service.get(stubborn.jobId);
    assert.equal(back.state, "queued");
    assert.equal(back.attempts, 0);
    assert.equal(back.leaseOwner, null);
  });

  test("two workers on one database: a job pinned to one is run by it alone; once it stops, what is pinned to it fails", async () => {
    const type = `test.pinned${n++}`;
    const ran: string[] = [];
    const handler = (who: string): JobType<never> => ({ type, async handle() { ran.push(who); return who; } });
    // b starts first and polls every 25 ms; a's jobs wait for a.
    const b = await start([handler("b")]);
    const a = await start([handler("a")]);
    try {
      const jobs = [];
      for (let i = 0; i < 10; i++) jobs.push((await b.service.enqueue({ type, pinnedTo: a.worker.workerId })).job);
      for (const j of jobs) assert.equal((await settled(a.service, j.jobId)).state, "succeeded");
      assert.deepEqual(ran, Array(10).fill("a"), "every pinned job ran on its worker");
      // a stops (its announcement withdrawn); a job still pinned to it is failed by b, not run.
      await a.worker.stop();
      const orphan = (await b.service.enqueue({ type, pinnedTo: a.worker.workerId })).job;
      b.worker.runner.wake();
      const done = await settled(b.service, orphan.jobId);
      assert.equal(done.state, "failed");
      assert.match(done.error ?? "", /pinned to is gone/);
      assert.equal(ran.length, 10);
    } finally {
      await a.worker.stop();
      await b.worker.stop();
    }
  });

  test("a schedule fires its job on each tick", async () => {
    const type = `test.tick${n++}`;
    const name = `every-second-${n++}`;
    const { worker, service } = await start([{ type, async handle(p: unknown) { return p; } }], (r) =>
      r.schedule({ name, type, cron: "* * * * * *", payload: { from: "cron" } }),
    );
    try {
      const page = await waitFor(
        () => service.list({ types: [type], states: ["succeeded"] }),
        (p) => p.items.length >= 2,
        { what: "two scheduled runs" },
      );
      assert.ok(page.items.every((j) => j.schedule === name && (j.payload as { from: string }).from === "cron"));
      assert.equal(new Set(page.items.map((j) => j.idempotencyKey)).size, page.items.length);
    } finally {
      await worker.stop();
    }
  });

  test("a schedule's firing is logged at info, but the every-minute *.tick ones only at debug", async () => {
    const quiet = `test.quiet${n++}.tick`;
    const loud = `test.loud${n++}`;
    const lines: Record<"debug" | "info", Array<{ type?: string }>> = { debug: [], info: [] };
    const registry = new JobRegistry()
      .add({ type: quiet, async handle() {} }, { type: loud, async handle() {} })
      .schedule({ name: `${quiet}-every-second`, type: quiet, cron: "* * * * * *" })
      .schedule({ name: `${loud}-every-second`, type: loud, cron: "* * * * * *" });
    const logger = {
      debug: (o: object) => void lines.debug.push(o),
      info: (o: object) => void lines.info.push(o),
      warn() {},
      error() {},
    };
    const worker = new JobsWorker({ store, events, registry, leaseMs: 300, pollMs: 25, concurrency: 3, logger });
    await worker.start();
    try {
      await waitFor(() => lines, (l) => l.debug.some((o) => o.type === quiet) && l.info.some((o) => o.type === loud), { what: "both schedules to fire" });
      assert.ok(!lines.info.some((o) => o.type === quiet), "a tick is not logged at info");
    } finally {
      await worker.stop();
    }
  });

  test("event subscribers get registry events at least once, retried after a throw, from a durable cursor", async () => {
    const seen: StreamEvent[] = [];
    let failNext = true;
    const subscriber = (name: string) => ({
      name,
      types: ["registry.model_version.*", "registry.registered_model_alias.set"],
      async handle(e: StreamEvent) {
        if (failNext) {
          failNext = false;
          throw new Error("not yet");
        }
        seen.push(e);
      },
    });
    const name = `deployments-${n++}`;
    const first = await start([], (r) => r.subscribe(subscriber(name)));
    const model = `evt-${n++}`;
    try {
      // Let the subscriber's cursor be created (it starts at "now") before the changes.
      await waitFor(() => stores.connection.db.selectFrom("event_cursors").selectAll().where("subscriber", "=", name).execute(), (rows) => rows.length === 2);
      await stores.registry.createRegisteredModel({ name: model, description: null, tags: [] }, "alice");
      await stores.registry.createModelVersion(
        { name: model, source: `mlflow-artifacts:/1/${"b".repeat(32)}/artifacts/model`, storageLocation: null, runId: null, runLink: null, description: null, modelId: null, tags: [] },
        "alice",
      );
      await stores.registry.setRegisteredModelAlias(model, "champion", "1", "alice");
      await waitFor(() => seen.length, (k) => k >= 2, { what: "two events" });
      assert.deepEqual(seen.map((e) => e.type), ["registry.model_version.created", "registry.registered_model_alias.set"]);
    } finally {
      await first.worker.stop();
    }
    // A new worker (a restart) resumes after the delivered events.
    const second = await start([], (r) => r.subscribe(subscriber(name)));
    try {
      await stores.registry.transitionModelVersionStage(model, "1", "Staging", false, "bob");
      await waitFor(() => seen.length, (k) => k >= 3, { what: "the stage event" });
      assert.deepEqual(seen.map((e) => e.type), ["registry.model_version.created", "registry.registered_model_alias.set", "registry.model_version.transitioned"]);
    } finally {
      await second.worker.stop();
    }
  });
});
