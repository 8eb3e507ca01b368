/**
 * Standard global-optimisation test functions (the constants are those of
 * Surjanovic & Bingham's Virtual Library of Simulation Experiments, as used
 * by the Hyperopt and Optuna benchmarks), with their search spaces and known
 * minima: the sweep benchmark and the sampler tests run samplers on them.
 * @module
 */
import type { ParamValues, SearchSpace } from "./search-space.js";

export interface TestFunction {
  name: string;
  space: SearchSpace;
  /** The global minimum's value. */
  optimum: number;
  f(params: ParamValues): number;
}

const num = (p: ParamValues, k: string) => p[k] as number;

/** Branin–Hoo on x1 ∈ [−5, 10], x2 ∈ [0, 15]; minimum 0.397887 at three points. */
export const BRANIN: TestFunction = {
  name: "branin",
  space: [
    { name: "x1", dist: { kind: "uniform", low: -5, high: 10 } },
    { name: "x2", dist: { kind: "uniform", low: 0, high: 15 } },
  ],
  optimum: 0.397887,
  f(p) {
    const x1 = num(p, "x1");
    const x2 = num(p, "x2");
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann 6-D on [0, 1]⁶; minimum −3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573). */
export const HARTMANN6: TestFunction = {
  name: "hartmann6",
  space: Array.from({ length: 6 }, (_, i) => ({ name: `x${i + 1}`, dist: { kind: "uniform" as const, low: 0, high: 1 } })),
  optimum: -3.32237,
  f(p) {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i][j] * (num(p, `x${j + 1}`) - H6_P[i][j]) ** 2;
      sum += H6_ALPHA[i] * Math.exp(-inner);
    }
    return -sum;
  },
};
