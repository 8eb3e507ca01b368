/**
 * The in-memory summaries a write derives from its points (aggregateBuckets, summarise): the same as a plain
 * fold over the points one at a time, whatever their order — keys interleaved, steps back and forth across
 * bucket boundaries, NaN, ties on a value (the first point logged keeps it), -0.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Metric } from "../../../shared/tracking-types.js";
import { aggregateBuckets, BUCKET_LEVELS, type BucketAgg } from "./metric-buckets.js";
import { emptySummary, summarise, type Summary } from "./open-bucket.js";

/** The reference: each point folded into its bucket's summary, one lookup by a string key per point and level. */
function foldOneByOne(points: readonly Metric[]): BucketAgg[] {
  const all = new Map<string, BucketAgg>();
  for (const m of points) {
    for (const level of BUCKET_LEVELS) {
      const bucket = Math.floor(m.step / 2 ** level);
      const id = `${m.key}|${level}|${bucket}`;
      const a = all.get(id) ?? { key: m.key, level, bucket, ...emptySummary() };
      all.set(id, a);
      fold(a, m);
    }
  }
  return [...all.values()].sort((a, b) => a.level - b.level || a.bucket - b.bucket || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function fold(a: Summary, m: Metric): void {
  a.cnt++;
  if (Number.isNaN(m.value)) return;
  if (a.minV === null || m.value < a.minV) Object.assign(a, { minV: m.value, minS: m.step, minT: m.timestamp });
  if (a.maxV === null || m.value > a.maxV) Object.assign(a, { maxV: m.value, maxS: m.step, maxT: m.timestamp });
}

/** A small deterministic generator (no Math.random: a failure must repeat). */
function points(seed: number, n: number): Metric[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: Metric[] = [];
  let step = Math.floor(next() * 70_000);
  for (let i = 0; i < n; i++) {
    const r = next();
    // Mostly forward in small steps (training), sometimes back across a bucket or a window, sometimes a repeat.
    step = r < 0.7 ? step + Math.floor(next() * 40) : r < 0.85 ? Math.max(0, step - Math.floor(next() * 5000)) : r < 0.95 ? step : Math.floor(next() * 200_000);
    const v = next();
    const value = v < 0.05 ? NaN : v < 0.1 ? -0 : v < 0.2 ? 0.5 : v < 0.22 ? -Infinity : v < 0.24 ? Infinity : v * 10 - 5;
    out.push({ key: `k${Math.floor(next() * (r < 0.5 ? 1 : 4))}`, value, timestamp: 1_700_000_000_000 + i, step });
  }
  return out;
}

describe("bucket summaries in memory", () => {
  test("aggregateBuckets equals a fold one point at a time, over interleaved keys and steps in any order", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const ps = points(seed, 1 + seed * 25);
      assert.deepEqual(aggregateBuckets(ps), foldOneByOne(ps), `seed ${seed}`);
    }
    // One key, steps in order (a training series): the usual case.
    const run = Array.from({ length: 3000 }, (_, i) => ({ key: "loss", value: Math.sin(i), timestamp: i, step: i * 3 }));
    assert.deepEqual(aggregateBuckets(run), foldOneByOne(run));
    assert.deepEqual(aggregateBuckets([]), []);
  });

  test("summarise equals the fold: NaN counts but is never a minimum or maximum, a tie keeps the first point", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const ps = points(seed, seed * 7);
      const want = emptySummary();
      for (const m of ps) fold(want, m);
      assert.deepEqual(summarise(ps), want, `seed ${seed}`);
    }
    const nanOnly = summarise([{ key: "k", value: NaN, timestamp: 1, step: 1 }]);
    assert.deepEqual(nanOnly, { ...emptySummary(), cnt: 1 });
    const tie = summarise([
      { key: "k", value: 2, timestamp: 5, step: 9 },
      { key: "k", value: 2, timestamp: 1, step: 1 },
    ]);
    assert.deepEqual([tie.minS, tie.maxS], [9, 9]);
  });
});
