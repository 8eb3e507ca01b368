/**
 * Drift scores of a numeric column from two profiles counted into the same
 * cells, when the values themselves are no longer known. What each gives:
 * - K-S: the ECDFs are exact at every cell boundary, so D is exact when the
 *   reference's mass sits on its points (a `points` layout: any reference of
 *   ≤ 1,024 distinct values) and a lower bound otherwise, within the largest
 *   cell share.
 * - Wasserstein: each cell's ∫F is exact from its count and Σ(x − edge), so
 *   ∫|F_ref − F_cur| is exact wherever the ECDFs do not cross inside a cell;
 *   a crossing cell is estimated as if the difference were linear in it, and
 *   its width × (share_ref + share_cur) goes into the reported error bound.
 * - Binned scores: a cell's count is spread over Evidently's bins by a
 *   linear density over the cell that has the cell's mean (point cells go
 *   whole); the outer cells span to the side's min or max.
 * @module
 */
import { binOf } from "./binning.js";
import type { CellBounds } from "../profiles/numeric-layout.js";

export interface CellSide {
  n: number;
  min: number;
  max: number;
  counts: ArrayLike<number>;
  offsets: ArrayLike<number>;
}

/** Cumulative counts after each cell, for both sides (the ECDFs at the cell boundaries). */
export function* cellSteps(r: CellSide, c: CellSide): Generator<{ ca: number; cb: number }> {
  let ca = 0;
  let cb = 0;
  for (let i = 0; i < r.counts.length; i++) {
    ca += r.counts[i];
    cb += c.counts[i];
    yield { ca, cb };
  }
}

/** Largest share any one cell holds on either side: how far D may sit above the cell estimate. */
export function ksCellErrorBound(r: CellSide, c: CellSide, cells: CellBounds[]): number {
  let worst = 0;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i].point) continue;
    worst = Math.max(worst, r.counts[i] / r.n, c.counts[i] / c.n);
  }
  return worst;
}

/** ∫ over a cell of F for one side, given the count before it. */
function cellIntegral(before: number, k: number, offset: number, lo: number, hi: number, n: number): number {
  const w = hi - lo;
  return (before * w + k * w - offset) / n;
}

/** Wasserstein-1 from cells, with a bound on its error (0 when exact). */
export function wassersteinFromCells(r: CellSide, c: CellSide, cells: CellBounds[]): { value: number; errorBound: number } {
  let total = 0;
  let bound = 0;
  let kr = 0;
  let kc = 0;
  const last = cells.length - 1;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    const rk = r.counts[i];
    const ck = c.counts[i];
    if (!cell.point && (rk > 0 || ck > 0)) {
      if (i === 0 || i === last) {
        // Open cells: ∫ below e₀ of F is Σ(e₀ − x)/n; ∫ above e_last of (1 − F) is Σ(x − e_last)/n.
        const ir = r.offsets[i] / r.n;
        const ic = c.offsets[i] / c.n;
        total += Math.abs(ir - ic);
        if (rk > 0 && ck > 0) bound += Math.min(ir, ic) * 2;
      } else {
        const g0 = kr / r.n - kc / c.n;
        const pr = rk / r.n;
        const pc = ck / c.n;
        const g1 = g0 + pr - pc;
        const w = cell.hi - cell.lo;
        const integral = cellIntegral(kr, rk, r.offsets[i], cell.lo, cell.hi, r.n) - cellIntegral(kc, ck, c.offsets[i], cell.lo, cell.hi, c.n);
        if (g0 - pc >= 0 || g0 + pr <= 0) total += Math.abs(integral);
        else {
          // The ECDFs may cross here: take the difference as linear between the cell's ends.
          total += g0 * g1 < 0 ? (w * (g0 * g0 + g1 * g1)) / (2 * Math.abs(g0 - g1)) : Math.abs(integral);
          bound += w * (pr + pc);
        }
      }
    }
    kr += rk;
    kc += ck;
  }
  return { value: total, errorBound: bound };
}

/** Counts per bin of `edges` (numpy's rule: [eᵢ, eᵢ₊₁), last closed), spreading each interval cell by overlap. */
export function binCountsFromCells(side: CellSide, cells: CellBounds[], edges: ArrayLike<number>): Float64Array {
  const nb = edges.length - 1;
  const out = new Float64Array(nb);
  for (let i = 0; i < cells.length; i++) {
    const k = side.counts[i];
    if (k === 0) continue;
    const cell = cells[i];
    if (cell.point) {
      const b = binOf(edges, cell.lo);
      if (b >= 0) out[b] += k;
      continue;
    }
    // The side's own min and max close the open cells.
    const lo = Math.max(cell.lo, side.min);
    const hi = Math.min(cell.hi, side.max);
    if (!(hi > lo)) {
      const b = binOf(edges, Math.min(Math.max(lo, edges[0]), edges[nb]));
      if (b >= 0) out[b] += k;
      continue;
    }
    // Within the cell, a linear density with the cell's mean (from its offsets), clipped to stay ≥ 0.
    const anchorAtLo = i !== 0;
    const meanDist = side.offsets[i] / k;
    const mu = Math.min(1, Math.max(0, anchorAtLo ? (cell.anchor + meanDist - lo) / (hi - lo) : (cell.anchor - meanDist - lo) / (hi - lo)));
    const beta = Math.max(-2, Math.min(2, 12 * (mu - 0.5)));
    const cdf = (x: number) => {
      const u = Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
      return u + (beta * (u * u - u)) / 2;
    };
    for (let b = Math.max(0, binOf(edges, Math.max(lo, edges[0]))); b < nb && edges[b] < hi; b++) {
      const share = cdf(b + 1 === nb ? Infinity : edges[b + 1]) - cdf(edges[b]);
      if (share > 0) out[b] += k * share;
    }
  }
  return out;
}
