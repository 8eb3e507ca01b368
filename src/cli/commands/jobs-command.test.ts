/**
 * `ciclo jobs …` run as the real binary against a live server: list, get,
 * logs (and --follow's exit code), cancel, retry, schedules, usage errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Job } from "../../jobs/types.js";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { waitFor } from "../../testing/wait-for.js";

describe("ciclo jobs (binary against a live server)", () => {
  let live: LiveTrackingServer;
  const cli = (args: string[]) => runCiclo(["jobs", ...args], { CICLO_TRACKING_URI: live.url, CICLO_HTTP_REQUEST_MAX_RETRIES: "0", NO_COLOR: "", FORCE_COLOR: "" });
  const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

  before(async () => {
    live = await startLiveTrackingServer();
  });
  after(async () => live.close());

  test("a gc job: list, get, logs --follow, retry; cancel refused for a finished job; schedules", async () => {
    const tracking = new TrackingClient({ trackingUri: live.url, env: {} });
    const exp = await tracking.createExperiment("cli-jobs");
    const run = await tracking.createRun({ experimentId: exp });
    await tracking.deleteRun(run.info.runId);
    const { job } = await live.server.services.jobs!.service.enqueue({ type: "gc.purge", payload: { older_than_ms: 0 } });

    const follow = await cli(["logs", job.jobId, "--follow"]);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, /info purging everything in the deleted stage|info purging what was deleted/);
    assert.match(follow.stdout, /purged 0 experiment\(s\), 1 run\(s\), 0 logged model\(s\)/);
    assert.match(follow.stderr, new RegExp(`job ${job.jobId} succeeded`));

    const list = await cli(["list", "--type", "gc.purge"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^ID\\s+TYPE\\s+STATE\\s+ATTEMPTS\\s+PROGRESS\\s+CREATED\\s+TOOK\\s+ERROR\\n\\s*${job.jobId}\\s+gc.purge\\s+succeeded\\s+1/3\\s+100%`));
    const got = json<Job>(await cli(["get", job.jobId, "--json"]));
    assert.equal(got.state, "succeeded");
    assert.deepEqual(got.payload, { older_than_ms: 0 });
    assert.match((await cli(["get", job.jobId])).stdout, /^id\s+\d+\ntype\s+gc.purge\nstate\s+succeeded\n/);

    const cancel = await cli(["cancel", job.jobId]);
    assert.equal(cancel.code, 1);
    assert.match(cancel.stderr, /is succeeded: only a queued or running job can be cancelled\. \(INVALID_STATE\)/);
    assert.equal((await cli(["retry", job.jobId])).code, 1, "a succeeded job is not retried");

    const schedules = await cli(["schedules"]);
    assert.match(schedules.stdout, /jobs.purge\s+jobs.purge\s+17 3 \* \* \* \(UTC\)/);
  });

  test("cancel a queued job; retry it; unknown ids exit 3; bad flags exit 2", async () => {
    const { job } = await live.server.services.jobs!.service.enqueue({ type: "gc.purge", payload: {}, runAfter: Date.now() + 3_600_000 });
    const cancel = await cli(["cancel", job.jobId]);
    assert.equal(cancel.stdout, `Cancelled job ${job.jobId}.\n`);
    const follow = await cli(["logs", job.jobId, "--follow"]);
    assert.equal(follow.code, 1, "following a cancelled job exits 1");
    assert.equal((await cli(["retry", job.jobId])).stdout, `Queued job ${job.jobId} again.\n`);
    await waitFor(() => live.server.services.jobs!.service.get(job.jobId), (j) => j.state === "succeeded");
    assert.equal((await cli(["get", "123456789"])).code, 3);
    const bad = await cli(["list", "--state", "sleeping"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--state must be one of queued, running, succeeded, failed, cancelled/);
  });

  test("list leaves the schedules' tick jobs out unless --all or --type names them", async () => {
    const svc = live.server.services.jobs!.service;
    const { job: tick } = await svc.enqueue({ type: "monitoring.tick", payload: {}, runAfter: Date.now() + 3_600_000 });
    const { job: work } = await svc.enqueue({ type: "gc.purge", payload: {}, runAfter: Date.now() + 3_600_000 });
    const ids = (r: { stdout: string }) => json<Job[]>(r).map((j) => j.jobId);
    const plain = await cli(["list", "--json", "--state", "queued"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(ids(plain).includes(work.jobId) && !ids(plain).includes(tick.jobId), plain.stdout);
    assert.ok(ids(await cli(["list", "--json", "--state", "queued", "--all"])).includes(tick.jobId));
    assert.deepEqual(ids(await cli(["list", "--json", "--type", "monitoring.tick", "--state", "queued"])), [tick.jobId]);
    assert.match((await cli(["list", "--state", "cancelled", "--type", "nothing.here"])).stdout, /^No jobs\.$/m);
    await svc.cancel(tick.jobId);
    await svc.cancel(work.jobId);
    assert.match((await cli(["list", "--state", "queued"])).stdout, /No jobs \(the schedules' tick jobs are hidden: --all shows them\)\./);
  });
});
