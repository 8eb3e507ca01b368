/**
 * `sweep()` from the SDK against a live server: trials as child runs with
 * their params and objective, more metrics logged to a trial's own run, ASHA
 * pruning through `trial.report`, and a bad space refused before any run.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SWEEP_TAGS } from "../pipelines/sweeps/sweep-tags.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { sweep } from "./sweep.js";
import { TrackingClient } from "./tracking-client.js";

describe("sdk sweep()", () => {
  let server: LiveTrackingServer;
  let client: TrackingClient;
  before(async () => {
    server = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: server.url, env: {} });
  });
  after(() => server.close());

  test("tracks every trial as a child run; the objective is logged; the trial can log more to its run", async () => {
    const result = await sweep({
      trackingUri: server.url,
      experimentName: "sdk-sweep",
      space: "x: { uniform: [-3, 3] }\nk: { choice: [a, b] }\n",
      metric: "loss",
      trials: 12,
      seed: 4,
      objective: async (p, trial) => {
        await client.logMetric(trial.runId, "aux", trial.number);
        return (p.x as number) ** 2 + (p.k === "b" ? 1 : 0);
      },
    });
    assert.equal(result.status, "FINISHED");
    const runs = await client.searchAllRuns({ experimentIds: [result.experimentId], filter: `tags.mlflow.parentRunId = '${result.sweepRunId}'` });
    assert.equal(runs.length, 12);
    for (const run of runs) {
      const p = Object.fromEntries(run.data.params.map((q) => [q.key, q.value]));
      const m = Object.fromEntries(run.data.metrics.map((q) => [q.key, q.value]));
      assert.ok(Math.abs(m.loss - (Number(p.x) ** 2 + (p.k === "b" ? 1 : 0))) < 1e-12);
      assert.equal(m.aux, Number(run.data.tags.find((t) => t.key === SWEEP_TAGS.trial)!.value));
    }
    const best = Math.min(...runs.map((r) => r.data.metrics.find((m) => m.key === "loss")!.value));
    assert.equal(result.summary.best?.value, best);
  });

  test("early stopping through trial.report: pruned trials stop reporting and end KILLED", async () => {
    let reports = 0;
    const result = await sweep({
      trackingUri: server.url,
      space: "x: { uniform: [0, 1] }\n",
      trials: 10,
      seed: 1,
      sampler: "random",
      earlyStop: { rule: "asha", reductionFactor: 2 },
      objective: async (p, trial) => {
        for (let s = 1; s <= 8; s++) {
          reports++;
          await trial.report(s, (p.x as number) + 1 / s);
        }
        return p.x as number;
      },
    });
    const pruned = result.trials.filter((t) => t.state === "pruned");
    assert.ok(pruned.length > 0);
    assert.ok(reports < 80, "pruned trials stopped before their 8 steps");
    for (const t of pruned) assert.equal((await client.getRun(result.runIds.get(t.number)!)).info.status, "KILLED");
  });

  test("a bad space is refused before any run exists", async () => {
    const before = (await client.searchExperiments()).items.length;
    await assert.rejects(sweep({ trackingUri: server.url, experimentName: "never", space: "x: { uniform: [1, 0] }", objective: () => 0 }), /space:1:15: x: uniform needs low < high/);
    assert.equal((await client.searchExperiments()).items.length, before);
  });
});
