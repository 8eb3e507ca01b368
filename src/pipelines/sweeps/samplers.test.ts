import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GridSampler, gridPoint, paramsKey, spaceCount } from "./grid-sampler.js";
import { RandomSampler, sampleDistribution, sampleSpace } from "./random-sampler.js";
import { createRng, trialRng } from "./rng.js";
import type { Sampler, TrialRecord } from "./sampler.js";
import { parseSearchSpace } from "./search-space-parser.js";
import type { ParamValues } from "./search-space.js";
import { BRANIN } from "./test-functions.js";
import { TpeSampler, optunaWeights } from "./tpe-sampler.js";

const N = 20_000;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};

describe("random sampling", () => {
  const rng = createRng(42);
  test("loguniform: in range, with log-uniform moments (ln x uniform on [ln a, ln b])", () => {
    const [a, b] = [1e-4, 1];
    const xs = Array.from({ length: N }, () => sampleDistribution({ kind: "loguniform", low: a, high: b }, rng) as number);
    assert.ok(xs.every((x) => x >= a && x <= b));
    const logs = xs.map(Math.log);
    const [la, lb] = [Math.log(a), Math.log(b)];
    // Mean of ln x: (la+lb)/2 with sd (lb-la)/√12/√N ≈ 0.019; variance (lb-la)²/12 = 7.07.
    assert.ok(Math.abs(mean(logs) - (la + lb) / 2) < 0.08, `mean ln x ${mean(logs)}`);
    assert.ok(Math.abs(variance(logs) / ((lb - la) ** 2 / 12) - 1) < 0.04, `var ln x ${variance(logs)}`);
    // A decade holds a quarter of the draws; a uniform draw would put 90% in the top decade.
    const top = xs.filter((x) => x > 0.1).length / N;
    assert.ok(Math.abs(top - 0.25) < 0.02, `top decade ${top}`);
  });

  test("uniform and normal: range and moments", () => {
    const u = Array.from({ length: N }, () => sampleDistribution({ kind: "uniform", low: -2, high: 6 }, rng) as number);
    assert.ok(u.every((x) => x >= -2 && x < 6));
    assert.ok(Math.abs(mean(u) - 2) < 0.08 && Math.abs(variance(u) - 64 / 12) < 0.25);
    const n = Array.from({ length: N }, () => sampleDistribution({ kind: "normal", mu: 3, sigma: 2 }, rng) as number);
    assert.ok(Math.abs(mean(n) - 3) < 0.06 && Math.abs(Math.sqrt(variance(n)) - 2) < 0.05);
  });

  test("quniform, qloguniform, randint: values on the grid, ends included, high of randint excluded", () => {
    const q = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const v = sampleDistribution({ kind: "quniform", low: 0.1, high: 0.5, q: 0.1 }, rng) as number;
      q.set(v, (q.get(v) ?? 0) + 1);
    }
    assert.deepEqual([...q.keys()].sort(), [0.1, 0.2, 0.3, 0.4, 0.5], "exact decimals, no 0.30000000000000004");
    for (const c of q.values()) assert.ok(Math.abs(c / N - 0.2) < 0.015, "equally likely");
    const ql = new Set(Array.from({ length: 2000 }, () => sampleDistribution({ kind: "qloguniform", low: 16, high: 512, q: 16 }, rng) as number));
    assert.ok([...ql].every((v) => v % 16 === 0 && v >= 16 && v <= 512));
    const r = new Set(Array.from({ length: 2000 }, () => sampleDistribution({ kind: "randint", low: 2, high: 5 }, rng)));
    assert.deepEqual([...r].sort(), [2, 3, 4]);
  });

  test("nested choice: an option's parameters exist exactly when it is chosen", () => {
    const space = parseSearchSpace("m:\n  choice:\n    svm: { C: { loguniform: [0.01, 10] } }\n    forest: { trees: { randint: [1, 5] } }\n    none: {}\nk: 3\n", "s.yaml");
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const p = sampleSpace(space, rng);
      seen.add(p.m as string);
      assert.deepEqual(Object.keys(p).sort(), { svm: ["C", "k", "m"], forest: ["k", "m", "trees"], none: ["k", "m"] }[p.m as string]);
    }
    assert.equal(seen.size, 3);
  });

  test("the same seed gives the same trials", () => {
    const space = BRANIN.space;
    const a = Array.from({ length: 5 }, (_, n) => new RandomSampler(space).sample({ number: n, history: [], direction: "min", rng: trialRng(9, n) }));
    const b = Array.from({ length: 5 }, (_, n) => new RandomSampler(space).sample({ number: n, history: [], direction: "min", rng: trialRng(9, n) }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a[0], a[1]);
  });
});

describe("grid sampling", () => {
  const space = parseSearchSpace("lr: { quniform: [0.1, 0.3, 0.1] }\nopt: { choice: [adam, sgd] }\nm:\n  choice:\n    svm: { C: { randint: [1, 4] } }\n    lin: {}\nseed: 1\n", "g.yaml");

  test("enumerates every point exactly once, nested options multiplying only their branch", () => {
    // lr (3) × opt (2) × m (svm × C: 3, lin: 1 → 4) = 24.
    assert.equal(spaceCount(space), 24);
    const points = Array.from({ length: 24 }, (_, i) => gridPoint(space, i));
    assert.equal(new Set(points.map(paramsKey)).size, 24);
    assert.equal(points.filter((p) => p.m === "lin" && p.C === undefined).length, 6);
    assert.deepEqual([...new Set(points.map((p) => p.lr))].sort(), [0.1, 0.2, 0.3]);
  });

  test("a sweep over the grid visits each point once in a seeded order, then stops", () => {
    const sampler = new GridSampler(space, 4);
    const history: TrialRecord[] = [];
    for (let n = 0; n < 24; n++) {
      const params = sampler.sample({ number: n, history, direction: "min", rng: trialRng(4, n) })!;
      history.push({ number: n, params, state: n % 5 === 0 ? "running" : "complete", value: 1 });
    }
    assert.equal(new Set(history.map((t) => paramsKey(t.params))).size, 24);
    assert.equal(sampler.sample({ number: 24, history, direction: "min", rng: trialRng(4, 24) }), undefined);
    history[3].state = "interrupted";
    assert.deepEqual(sampler.sample({ number: 24, history, direction: "min", rng: trialRng(4, 24) }), history[3].params, "an interrupted point is offered again");
    const order = (seed: number) => {
      const h: TrialRecord[] = [];
      const s = new GridSampler(space, seed);
      for (let n = 0; n < 24; n++) h.push({ number: n, params: s.sample({ number: n, history: h, direction: "min", rng: trialRng(seed, n) })!, state: "complete" });
      return h.map((t) => paramsKey(t.params));
    };
    assert.deepEqual(order(4), history.map((t) => paramsKey(t.params)));
    assert.notDeepEqual(order(5), order(4), "another seed, another order");
  });

  test("continuous distributions and huge grids are refused", () => {
    assert.throws(() => new GridSampler(parseSearchSpace("x: { uniform: [0, 1] }\n", "g.yaml"), 1), /grid search needs a step for 'x' \(uniform is continuous\): use quniform/);
    assert.throws(() => new GridSampler(parseSearchSpace("a: { randint: [0, 2000] }\nb: { randint: [0, 2000] }\n", "g.yaml"), 1), /the grid has 4,000,000 points/);
  });
});

/** Best objective after `budget` trials, minimising `f`. */
function bestOf(sampler: Sampler, f: (p: ParamValues) => number, budget: number, seed: number): number {
  const history: TrialRecord[] = [];
  for (let n = 0; n < budget; n++) {
    const params = sampler.sample({ number: n, history, direction: "min", rng: trialRng(seed, n) })!;
    history.push({ number: n, params, state: "complete", value: f(params) });
  }
  return Math.min(...history.map((t) => t.value!));
}

describe("TPE", () => {
  test("beats random search on Branin at 40 trials: mean paired gap over 16 fixed seeds exceeds 2 standard errors", () => {
    const gaps: number[] = [];
    const tpe: number[] = [];
    const rnd: number[] = [];
    for (let seed = 100; seed < 116; seed++) {
      tpe.push(bestOf(new TpeSampler(BRANIN.space), BRANIN.f, 40, seed));
      rnd.push(bestOf(new RandomSampler(BRANIN.space), BRANIN.f, 40, seed));
      gaps.push(rnd.at(-1)! - tpe.at(-1)!);
    }
    const se = Math.sqrt(variance(gaps) / gaps.length);
    assert.ok(mean(gaps) > 2 * se, `TPE mean ${mean(tpe).toFixed(3)}, random mean ${mean(rnd).toFixed(3)}, gap ${mean(gaps).toFixed(3)} ± ${se.toFixed(3)}`);
  });

  test("learns a categorical and a nested branch: later trials pick the good option far more often than chance", () => {
    const space = parseSearchSpace("m:\n  choice:\n    good: { x: { uniform: [0, 1] } }\n    bad: { y: { uniform: [0, 1] } }\n    worse: {}\n", "s.yaml");
    const f = (p: ParamValues) => (p.m === "good" ? (p.x as number) : p.m === "bad" ? 1 + (p.y as number) : 3);
    const sampler = new TpeSampler(space);
    const history: TrialRecord[] = [];
    for (let n = 0; n < 60; n++) {
      const params = sampler.sample({ number: n, history, direction: "min", rng: trialRng(1, n) });
      history.push({ number: n, params, state: "complete", value: f(params) });
    }
    const late = history.slice(30).filter((t) => t.params.m === "good").length / 30;
    assert.ok(late > 0.6, `good picked in ${late} of late trials (chance: 1/3)`);
    assert.ok(history.every((t) => (t.params.m === "good") === (t.params.x !== undefined)));
  });

  test("maximising mirrors minimising, and the first 10 trials are random", () => {
    const f = (p: ParamValues) => BRANIN.f(p);
    const min = bestOf(new TpeSampler(BRANIN.space), f, 30, 7);
    const history: TrialRecord[] = [];
    const sampler = new TpeSampler(BRANIN.space);
    for (let n = 0; n < 30; n++) {
      const params = sampler.sample({ number: n, history, direction: "max", rng: trialRng(7, n) });
      history.push({ number: n, params, state: "complete", value: -f(params) });
    }
    assert.equal(-Math.max(...history.map((t) => t.value!)), min);
    const random = Array.from({ length: 10 }, (_, n) => new RandomSampler(BRANIN.space).sample({ number: n, history: [], direction: "min", rng: trialRng(7, n) }));
    assert.deepEqual(history.slice(0, 10).map((t) => t.params), random);
  });

  test("Optuna's observation weights: flat below 25, then a ramp from 1/n", () => {
    assert.deepEqual(optunaWeights(3), [1, 1, 1]);
    const w = optunaWeights(30);
    assert.equal(w.length, 30);
    assert.ok(Math.abs(w[0] - 1 / 30) < 1e-12 && w[4] === 1 && w.slice(5).every((x) => x === 1));
  });
});
