/**
 * A small random forest of regression trees (bootstrap samples, best
 * variance-reducing split over all features, splits at midpoints) — just
 * what fANOVA needs: every leaf's box in feature space. Written here rather
 * than taken from ml-random-forest because fANOVA walks the trees' boxes and
 * the trees must draw from the sweep's seeded generator.
 * @module
 */
import type { Rng } from "./rng.js";

export type TreeNode = { leaf: true; value: number } | { leaf: false; feature: number; threshold: number; left: TreeNode; right: TreeNode };

export interface ForestOptions {
  trees: number;
  maxDepth: number;
  minSamplesLeaf: number;
}

export const FOREST_DEFAULTS: ForestOptions = { trees: 32, maxDepth: 12, minSamplesLeaf: 1 };

export function fitForest(x: number[][], y: number[], rng: Rng, opts: Partial<ForestOptions> = {}): TreeNode[] {
  const o = { ...FOREST_DEFAULTS, ...opts };
  const n = y.length;
  return Array.from({ length: o.trees }, () => {
    const sample = Array.from({ length: n }, () => rng.int(0, n - 1));
    return grow(x, y, sample, 0, o);
  });
}

function mean(y: number[], idx: number[]): number {
  let s = 0;
  for (const i of idx) s += y[i];
  return s / idx.length;
}

function grow(x: number[][], y: number[], idx: number[], depth: number, o: ForestOptions): TreeNode {
  const value = mean(y, idx);
  if (depth >= o.maxDepth || idx.length < 2 * o.minSamplesLeaf) return { leaf: true, value };
  let best: { feature: number; threshold: number; score: number } | undefined;
  const dims = x[idx[0]].length;
  for (let f = 0; f < dims; f++) {
    const sorted = [...idx].sort((a, b) => x[a][f] - x[b][f]);
    // Prefix sums let each cut's sum of squared errors cost O(1).
    let leftSum = 0;
    let leftSq = 0;
    let totalSum = 0;
    let totalSq = 0;
    for (const i of sorted) {
      totalSum += y[i];
      totalSq += y[i] * y[i];
    }
    for (let k = 0; k < sorted.length - 1; k++) {
      const yi = y[sorted[k]];
      leftSum += yi;
      leftSq += yi * yi;
      const nl = k + 1;
      const nr = sorted.length - nl;
      const a = x[sorted[k]][f];
      const b = x[sorted[k + 1]][f];
      if (a === b || nl < o.minSamplesLeaf || nr < o.minSamplesLeaf) continue;
      const rightSum = totalSum - leftSum;
      const sse = leftSq - (leftSum * leftSum) / nl + (totalSq - leftSq) - (rightSum * rightSum) / nr;
      if (!best || sse < best.score) best = { feature: f, threshold: (a + b) / 2, score: sse };
    }
  }
  if (!best) return { leaf: true, value };
  const left = idx.filter((i) => x[i][best!.feature] <= best!.threshold);
  const right = idx.filter((i) => x[i][best!.feature] > best!.threshold);
  return { leaf: false, feature: best.feature, threshold: best.threshold, left: grow(x, y, left, depth + 1, o), right: grow(x, y, right, depth + 1, o) };
}

export function predict(tree: TreeNode, row: number[]): number {
  let node = tree;
  while (!node.leaf) node = row[node.feature] <= node.threshold ? node.left : node.right;
  return node.value;
}
