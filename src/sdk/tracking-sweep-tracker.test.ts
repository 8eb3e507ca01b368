/**
 * The sweep's records on a real tracking server (in this process, SQLite):
 * what resume reads back — settings, typed params, states, objectives and
 * curves — including a sweep that died without recording anything (its
 * RUNNING trial becomes interrupted and KILLED, and is run again).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "./artifact-client.js";
import { TrackingClient } from "./tracking-client.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { FunctionTrialExecutor } from "../pipelines/sweeps/function-trial-executor.js";
import { parseSearchSpace } from "../pipelines/sweeps/search-space-parser.js";
import type { SweepConfig } from "../pipelines/sweeps/sweep-config.js";
import { SweepRunner } from "../pipelines/sweeps/sweep-runner.js";
import { SWEEP_TAGS } from "../pipelines/sweeps/sweep-tags.js";
import { TrackingSweepTracker } from "./tracking-sweep-tracker.js";

describe("TrackingSweepTracker", () => {
  let server: LiveTrackingServer;
  let client: TrackingClient;
  let artifacts: ArtifactClient;
  before(async () => {
    server = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: server.url, env: {} });
    artifacts = new ArtifactClient(client);
  });
  after(() => server.close());

  const space = parseSearchSpace("lr: { loguniform: [1.0e-4, 0.1] }\nopt: { choice: [adam, 3, true] }\ndepth: { randint: [1, 5] }\n", "s.yaml");
  const config: SweepConfig = { space, metric: "loss", direction: "min", sampler: "tpe", seed: 11, maxTrials: 5, maxParallel: 1, earlyStop: { rule: "median", minTrials: 2 } };
  const objective = (p: Record<string, unknown>) => Math.abs(Math.log10(p.lr as number) + 2) + (p.depth as number) / 10;

  test("resume reads back the settings and every trial with typed params; a crashed sweep's running trial is interrupted", async () => {
    const experimentId = await client.createExperiment("tracker");
    const first = await TrackingSweepTracker.create(client, artifacts, { experimentId, config });
    const executor = new FunctionTrialExecutor(async (p, trial) => {
      for (let s = 1; s <= 3; s++) await trial.report(s, objective(p) + 1 / s);
      return objective(p);
    }, { sink: first, metric: "loss" });
    const done = await new SweepRunner({ config: { ...config, maxTrials: 3 }, tracker: first, executor }).run();
    // The process dies while trial 3 runs: its run stays RUNNING with no state tag, the sweep run too.
    const orphan = await first.createTrial(3, { params: { lr: "0.01", opt: "3", depth: "2" }, tags: {} });
    await client.updateRun(first.sweepRunId, { status: "RUNNING" });

    const reopened = await TrackingSweepTracker.open(client, artifacts, first.sweepRunId);
    assert.deepEqual(reopened.config, { ...config, maxTrials: 5 }, "the recorded settings (the first run was given 3 trials only by the runner, not recorded)");
    const loaded = await reopened.loadTrials(true);
    assert.deepEqual(loaded.map((t) => t.record.number), [0, 1, 2, 3]);
    for (const t of loaded.slice(0, 3)) {
      const original = done.trials[t.record.number];
      assert.deepEqual(t.record.params, original.params, "numbers come back as numbers, choices as their own values (3, true)");
      assert.equal(t.record.state, original.state);
      if (original.state === "complete") assert.equal(t.record.value, original.value);
      assert.ok(t.curve.length >= 1 && t.curve.every((p, i) => i === 0 || p.step > t.curve[i - 1].step));
    }
    assert.equal(loaded[3].record.state, "interrupted");
    const run = await client.getRun(orphan);
    assert.equal(run.info.status, "KILLED");
    assert.equal(run.data.tags.find((t) => t.key === SWEEP_TAGS.state)?.value, "interrupted");

    const resumed = await new SweepRunner({ config: reopened.config, tracker: reopened, executor: new FunctionTrialExecutor((p) => objective(p), { sink: reopened, metric: "loss" }), resume: true }).run();
    assert.deepEqual(resumed.trials.map((t) => [t.number, t.state === "interrupted"]), [[0, false], [1, false], [2, false], [3, true], [4, false], [5, false]]);
    assert.equal(resumed.summary.trials.interrupted, 1);
    assert.equal(resumed.trials.filter((t) => t.state !== "interrupted").length, 5);
    assert.equal((await client.getRun(first.sweepRunId)).info.status, "FINISHED");
  });

  test("open refuses a run that is not a sweep", async () => {
    const experimentId = await client.createExperiment("not-a-sweep");
    const run = await client.createRun({ experimentId });
    await assert.rejects(TrackingSweepTracker.open(client, artifacts, run.info.runId), /is not a sweep/);
  });
});
