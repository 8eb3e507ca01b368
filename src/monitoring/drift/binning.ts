/**
 * The bins Evidently's binned scores (PSI, KL, Jensen–Shannon, Hellinger) use
 * for a numeric column, reproduced as numpy builds them: equal-width edges
 * over [min, max] of the pooled data, their count by Sturges' rule
 * (`np.histogram_bin_edges(…, bins="sturges")`), and counts per bin as
 * `np.histogram` makes them ([eᵢ, eᵢ₊₁), the last bin closed).
 * @module
 */
import type { WeightedSample } from "./weighted-sample.js";

/**
 * numpy's Sturges edges for `size` values spanning [lo, hi]: width =
 * (hi − lo) / (log₂(size) + 1), ceil((hi − lo) / width) bins, edges from
 * `linspace` (i·step + lo, the last set to hi). A zero range widens to ±0.5.
 */
export function sturgesEdges(lo: number, hi: number, size: number): Float64Array {
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = (hi - lo) / (Math.log2(size) + 1);
  const bins = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** Index of the bin holding x ([eᵢ, eᵢ₊₁), last closed), or -1 outside [e₀, e_last]. */
export function binOf(edges: ArrayLike<number>, x: number): number {
  const nb = edges.length - 1;
  if (x < edges[0] || x > edges[nb]) return -1;
  if (x === edges[nb]) return nb - 1;
  let lo = 0;
  let hi = nb;
  // Largest i with edges[i] ≤ x.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** `np.histogram(sample, edges)[0]` for a weighted sample. */
export function histogramCounts(s: WeightedSample, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length - 1);
  for (let i = 0; i < s.values.length; i++) {
    const b = binOf(edges, s.values[i]);
    if (b >= 0) counts[b] += s.counts[i];
  }
  return counts;
}
