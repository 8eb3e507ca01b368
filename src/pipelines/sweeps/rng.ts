/**
 * Seeded random numbers for samplers and the forest behind importances:
 * xoroshiro128+ from pure-rand (fast-check's generator: small, typed, no
 * dependencies), wrapped with the few draws the sweeps need. Every sampler
 * takes an `Rng` instead of calling Math.random, so a sweep with a seed is
 * reproducible — and a trial's draws depend only on (seed, trial number), so
 * a resumed sweep draws what the uninterrupted one would have.
 * @module
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform integer in [low, high] (both included). */
  int(low: number, high: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number;
}

export function createRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed | 0);
  let spare: number | undefined;
  const uniform = () => uniformFloat64(gen);
  return {
    uniform,
    int: (low, high) => uniformInt(gen, low, high),
    normal() {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    weighted(weights) {
      let total = 0;
      for (const w of weights) total += w;
      let x = uniform() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i];
        if (x < 0) return i;
      }
      // Rounding left x at ~0: the last index with weight.
      for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
      return 0;
    },
  };
}

/** A generator for one purpose of one trial: draws for trial 7 do not depend on how many draws trial 6 made. */
export function trialRng(seed: number, trialNumber: number, stream = 0): Rng {
  // splitmix32-style mixing so neighbouring (seed, trial) pairs start far apart.
  let h = (seed ^ Math.imul(trialNumber + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return createRng(h ^ (h >>> 16));
}

/** A random 31-bit seed, for sweeps run without `--seed` (recorded, so they can still be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
