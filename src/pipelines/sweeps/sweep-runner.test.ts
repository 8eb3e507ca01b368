import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FunctionTrialExecutor, type Objective } from "./function-trial-executor.js";
import type { SweepConfig } from "./sweep-config.js";
import { SweepRunner, type SweepEvent } from "./sweep-runner.js";
import { MemorySweepTracker } from "./sweep-tracker.js";
import { BRANIN } from "./test-functions.js";

const base = (over: Partial<SweepConfig> = {}): SweepConfig => ({
  space: BRANIN.space,
  metric: "loss",
  direction: "min",
  sampler: "random",
  seed: 1,
  maxTrials: 10,
  maxParallel: 1,
  ...over,
});

async function sweep(config: SweepConfig, objective: Objective, extra: { now?: () => number; signal?: AbortSignal; events?: SweepEvent[] } = {}) {
  const tracker = new MemorySweepTracker();
  const executor = new FunctionTrialExecutor(objective, { sink: tracker, metric: config.metric });
  const result = await new SweepRunner({ config, tracker, executor, now: extra.now, signal: extra.signal, onEvent: (e) => extra.events?.push(e) }).run();
  return { result, tracker };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the sweep loop", () => {
  test("runs exactly the trial budget, never more than max parallel at once, and records every trial", async () => {
    let running = 0;
    let peak = 0;
    const { result, tracker } = await sweep(base({ maxTrials: 11, maxParallel: 3 }), async (p) => {
      peak = Math.max(peak, ++running);
      for (let i = 0; i < 3; i++) await tick();
      running--;
      return BRANIN.f(p);
    });
    assert.equal(result.trials.length, 11);
    assert.equal(peak, 3);
    assert.equal(result.status, "FINISHED");
    assert.equal(tracker.status, "FINISHED");
    const best = Math.min(...result.trials.map((t) => t.value!));
    assert.equal(result.summary.best?.value, best);
    assert.equal(result.summary.best?.runId, `trial-${result.summary.best?.number}`);
    assert.equal([...tracker.trials.values()].filter((t) => t.end?.status === "FINISHED").length, 11);
  });

  test("failed trials count against the budget; with none complete the sweep fails", async () => {
    const { result } = await sweep(base({ maxTrials: 6 }), (p) => {
      if ((p.x1 as number) > 2.5) throw new Error("diverged");
      return BRANIN.f(p);
    });
    const failed = result.trials.filter((t) => t.state === "failed");
    assert.ok(failed.length > 0 && failed.length < 6);
    assert.equal(result.trials.length, 6);
    const all = await sweep(base({ maxTrials: 3 }), () => {
      throw new Error("no");
    });
    assert.equal(all.result.status, "FAILED");
    assert.equal(all.tracker.summary?.best, undefined);
  });

  test("the time budget: no trial starts once it has run out; the running one finishes", async () => {
    let clock = 0;
    const { result } = await sweep(base({ maxTrials: 100, timeoutMs: 35 }), (p) => {
      clock += 10;
      return BRANIN.f(p);
    }, { now: () => clock });
    assert.equal(result.trials.length, 4, "started at t = 0, 10, 20, 30");
    assert.equal(result.timedOut, true);
    assert.equal(result.status, "FINISHED");
  });

  test("interrupting stops running trials, records them as interrupted and starts no more", async () => {
    const abort = new AbortController();
    const { result } = await sweep(base({ maxTrials: 10, maxParallel: 2 }), async (p, trial) => {
      if (trial.number === 3) {
        await tick();
        abort.abort(); // Ctrl-C while trials 2 and 3 run: both are told to stop at once
        assert.equal(trial.signal.aborted, true);
        await assert.rejects(trial.report(1, 0), { name: "TrialStopped" });
      }
      if (trial.number === 2) while (!trial.signal.aborted) await tick();
      return BRANIN.f(p);
    }, { signal: abort.signal });
    assert.equal(result.interrupted, true);
    assert.equal(result.status, "KILLED");
    assert.deepEqual(result.trials.map((t) => [t.number, t.state]), [[0, "complete"], [1, "complete"], [2, "interrupted"], [3, "interrupted"]]);
  });

  test("early stopping: reported curves are judged as they come; stopped trials end pruned, the reason recorded", async () => {
    const events: SweepEvent[] = [];
    let stoppedSeen = 0;
    const { result, tracker } = await sweep(base({ maxTrials: 12, sampler: "tpe", earlyStop: { rule: "asha", minResource: 1, reductionFactor: 2 } }), async (p, trial) => {
      const final = BRANIN.f(p);
      try {
        for (let step = 1; step <= 8; step++) await trial.report(step, final + 8 / step);
      } catch (err) {
        stoppedSeen++;
        throw err;
      }
      return final;
    }, { events });
    const pruned = result.trials.filter((t) => t.state === "pruned");
    assert.ok(pruned.length > 0);
    assert.equal(stoppedSeen, pruned.length, "each pruned trial's report() threw TrialStopped");
    for (const t of pruned) {
      const rec = tracker.trials.get(`trial-${t.number}`)!;
      assert.equal(rec.end?.status, "KILLED");
      assert.match(rec.end?.reason ?? "", /^ASHA rung \d+/);
      assert.ok(t.lastStep !== undefined && t.lastStep < 8);
    }
    assert.equal(events.filter((e) => e.type === "trial-stopping").length, pruned.length);
    // Trial 1 reaches rung 0 against trial 0 (complete): it goes on only if it beats it there.
    const [t0, t1] = result.trials;
    assert.equal(t1.state === "pruned", BRANIN.f(t1.params) + 8 > BRANIN.f(t0.params) + 8);
  });

  test("a trial whose values the executor refuses fails alone; the sweep goes on", async () => {
    const tracker = new MemorySweepTracker();
    const inner = new FunctionTrialExecutor((p) => BRANIN.f(p), { sink: tracker, metric: "loss" });
    const executor = Object.assign(Object.create(inner) as FunctionTrialExecutor, {
      prepare(params: Record<string, unknown>) {
        if ((params.x1 as number) < 2.5) throw new Error("x1 < 2.5 is refused");
        return inner.prepare(params as never);
      },
    });
    const result = await new SweepRunner({ config: base({ maxTrials: 8 }), tracker, executor }).run();
    const refused = result.trials.filter((t) => (t.params.x1 as number) < 2.5);
    assert.ok(refused.length > 0 && refused.length < 8);
    assert.ok(refused.every((t) => t.state === "failed"));
    assert.equal(tracker.trials.get(`trial-${refused[0].number}`)?.end?.reason, "x1 < 2.5 is refused");
    assert.equal(result.trials.length, 8);
    assert.equal(result.status, "FINISHED");
  });
});
