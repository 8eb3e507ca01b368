/**
 * Quantiles from a numeric column's profile. The cells are the profile's
 * quantile sketch: mergeable by adding counts, and exact in rank at every
 * cell boundary. A quantile falls in a known cell, so its estimate is off by
 * at most that cell's width (a reference's cells hold ~1/1,000 of its rows
 * each); on a point of a `points` layout, or from exact values, it is exact.
 * Estimates inside a cell follow numpy's default (linear) definition as if
 * the cell's values were spread evenly.
 * @module
 */
import { cellBoundsOf } from "./numeric-layout.js";
import type { NumericColumnProfile } from "./profile-types.js";

export interface QuantileEstimate {
  value: number;
  /** The true quantile lies in [lo, hi]. */
  lo: number;
  hi: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of a profiled numeric column; undefined for an empty column. */
export function profileQuantile(p: NumericColumnProfile, q: number): QuantileEstimate | undefined {
  if (p.n === 0 || p.min === null || p.max === null || !(q >= 0 && q <= 1)) return undefined;
  if (q === 0) return { value: p.min, lo: p.min, hi: p.min };
  if (q === 1) return { value: p.max, lo: p.max, hi: p.max };
  // numpy's linear method: the value at (n − 1)·q between order statistics.
  const pos = (p.n - 1) * q;
  if (p.values) {
    let seen = 0;
    const at = (rank: number) => {
      seen = 0;
      for (const [v, c] of p.values!) {
        seen += c;
        if (rank < seen) return v;
      }
      return p.max!;
    };
    const lo = at(Math.floor(pos));
    const hi = at(Math.ceil(pos));
    const value = lo + (hi - lo) * (pos - Math.floor(pos));
    return { value, lo: value, hi: value };
  }
  const cells = cellBoundsOf(p.layout);
  // The r-th smallest value (0-based): in the cell whose counts cover rank r.
  const rank = (r: number): QuantileEstimate => {
    let before = 0;
    for (let i = 0; i < cells.length; i++) {
      const k = p.cellCounts[i];
      if (k === 0 || r >= before + k) {
        before += k;
        continue;
      }
      const lo = Math.max(cells[i].lo, p.min!);
      const hi = Math.min(cells[i].hi, p.max!);
      if (cells[i].point || !(hi > lo)) return { value: lo, lo, hi: lo };
      return { value: lo + ((hi - lo) * (r - before + 0.5)) / k, lo, hi };
    }
    return { value: p.max!, lo: p.max!, hi: p.max! };
  };
  const a = rank(Math.floor(pos));
  const b = rank(Math.ceil(pos));
  const f = pos - Math.floor(pos);
  return { value: a.value + (b.value - a.value) * f, lo: a.lo, hi: b.hi };
}
