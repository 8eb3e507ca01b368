/**
 * One column's drift score between a reference profile and a current one,
 * by any of the tests: exact from the values whenever both profiles still
 * hold them (few distinct values), from the shared cells otherwise (see
 * cell-estimates.ts for what is exact there and what is estimated).
 * Category alignment and binning follow Evidently's stattests.
 * @module
 */
import { cellBoundsOf, type CellBounds } from "../profiles/numeric-layout.js";
import type { CategoricalColumnProfile, NumericColumnProfile } from "../profiles/profile-types.js";
import { histogramCounts, sturgesEdges } from "./binning.js";
import { binCountsFromCells, cellSteps, ksCellErrorBound, wassersteinFromCells, type CellSide } from "./cell-estimates.js";
import { fillZeroes, hellingerFromHistograms, hellingerFromShares, jensenShannon, klDivergence, psi, wasserstein } from "./distances.js";
import { evidentlyChiSquare, proportionsZTest } from "./frequency-tests.js";
import { ks2samp, ksPValue, ksStatistic } from "./ks-test.js";
import type { StatTestId } from "./stat-tests.js";
import { unionSize, weightedSampleFromPairs, type WeightedSample } from "./weighted-sample.js";

export interface ScoreResult {
  score: number;
  /** "exact": equal to the test on the raw values; "estimate": from cells (see errorBound). */
  method: "exact" | "estimate";
  /** For estimates with a known bound: |score − exact score| ≤ errorBound. */
  errorBound?: number;
}

/** A numeric column as the tests see it. */
export class NumericView {
  readonly exact: WeightedSample | null;
  readonly cells: CellBounds[];
  readonly side: CellSide;
  constructor(readonly p: NumericColumnProfile) {
    this.exact = p.values ? weightedSampleFromPairs(p.values) : null;
    this.cells = cellBoundsOf(p.layout);
    this.side = { n: p.n, min: p.min ?? 0, max: p.max ?? 0, counts: p.cellCounts, offsets: p.cellOffsets };
  }
  get n(): number {
    return this.p.n;
  }
  /** Population standard deviation (numpy's np.std). */
  get std(): number {
    return this.p.n > 0 ? Math.sqrt(this.p.m2 / this.p.n) : 0;
  }
  /** Distinct values, when known. */
  get distinct(): number | undefined {
    return this.p.values ? this.p.values.length : undefined;
  }
}

/** Counts of the union of keys, aligned (Evidently: keys of reference ∪ current, NaN dropped). */
export interface KeyedCounts {
  keys: Array<string | number>;
  ref: Float64Array;
  cur: Float64Array;
  nRef: number;
  nCur: number;
  /** Whether the counts are exact (no lumped keys). */
  exact: boolean;
}

export function keyedFromCategorical(r: CategoricalColumnProfile, c: CategoricalColumnProfile): KeyedCounts {
  const keys = new Map<string, number>();
  for (const [k] of r.categories) keys.set(k, keys.size);
  for (const [k] of c.categories) if (!keys.has(k)) keys.set(k, keys.size);
  const lumped = r.other > 0 || c.other > 0;
  const size = keys.size + (lumped ? 1 : 0);
  const ref = new Float64Array(size);
  const cur = new Float64Array(size);
  for (const [k, n] of r.categories) ref[keys.get(k)!] = n;
  for (const [k, n] of c.categories) cur[keys.get(k)!] = n;
  if (lumped) {
    ref[size - 1] = r.other;
    cur[size - 1] = c.other;
  }
  const nRef = r.count - r.missing;
  const nCur = c.count - c.missing;
  return { keys: [...keys.keys(), ...(lumped ? ["(other)"] : [])], ref, cur, nRef, nCur, exact: !lumped };
}

/**
 * Value-keyed counts of a numeric column (Evidently bins a numeric column by
 * value when the reference has ≤ 20 distinct values). When the current side
 * no longer holds its values, its counts at the reference's points are still
 * exact and each other occupied cell counts as one more key.
 */
export function keyedFromNumeric(r: NumericView, c: NumericView): KeyedCounts {
  const keys = new Map<number, number>();
  const keyList: number[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  const add = (k: number, side: number[], other: number[], n: number) => {
    let i = keys.get(k);
    if (i === undefined) {
      i = keyList.length;
      keys.set(k, i);
      keyList.push(k);
      side.push(0);
      other.push(0);
    }
    side[i] += n;
  };
  for (const [v, n] of r.p.values ?? []) add(v, ref, cur, n);
  let exact = true;
  if (c.p.values) for (const [v, n] of c.p.values) add(v, cur, ref, n);
  else {
    exact = false;
    c.cells.forEach((cell, i) => {
      const n = c.p.cellCounts[i];
      if (n === 0) return;
      if (cell.point) add(cell.lo, cur, ref, n);
      else {
        keyList.push(Number.NaN); // a stand-in key per occupied cell
        ref.push(0);
        cur.push(n);
      }
    });
  }
  return { keys: keyList, ref: Float64Array.from(ref), cur: Float64Array.from(cur), nRef: r.n, nCur: c.n, exact };
}

/** A test on aligned key counts (categorical columns, or numeric ones binned by value). */
export function keyedScore(test: StatTestId, k: KeyedCounts): number {
  const shares = (a: Float64Array, n: number) => a.map((v) => v / n);
  switch (test) {
    case "chisquare":
      return evidentlyChiSquare(k.ref, k.cur, k.nRef, k.nCur).pvalue;
    case "z": {
      const refKeys = k.keys.filter((_, i) => k.ref[i] > 0);
      const curKeys = k.keys.filter((_, i) => k.cur[i] > 0);
      if (refKeys.length === 1 && curKeys.length === 1 && refKeys[0] === curKeys[0]) return 1;
      // Evidently: the first key in sorted order is "0", every other value "1".
      const order = k.keys.map((key, i) => ({ key, i })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const first = order[0].i;
      return proportionsZTest(k.nRef - k.ref[first], k.nRef, k.nCur - k.cur[first], k.nCur).pvalue;
    }
    case "jensenshannon":
      return jensenShannon(shares(k.ref, k.nRef), shares(k.cur, k.nCur));
    case "psi":
      return psi(fillZeroes(shares(k.ref, k.nRef)), fillZeroes(shares(k.cur, k.nCur)));
    case "kl_div":
      return klDivergence(fillZeroes(shares(k.ref, k.nRef)), fillZeroes(shares(k.cur, k.nCur)));
    case "hellinger":
      return hellingerFromShares(shares(k.ref, k.nRef), shares(k.cur, k.nCur));
    default:
      throw new RangeError(`${test} does not apply to category counts`);
  }
}

/** Counts per Sturges bin over the pooled range (`size` values), exact or from cells. */
function sturgesCounts(r: NumericView, c: NumericView, size: number): { edges: Float64Array; ref: Float64Array; cur: Float64Array; exact: boolean } {
  const edges = sturgesEdges(Math.min(r.p.min!, c.p.min!), Math.max(r.p.max!, c.p.max!), size);
  const side = (v: NumericView) => (v.exact ? histogramCounts(v.exact, edges) : binCountsFromCells(v.side, v.cells, edges));
  return { edges, ref: side(r), cur: side(c), exact: !!r.exact && !!c.exact };
}

/** Score of a numeric column by `test`. */
export function numericScore(test: StatTestId, r: NumericView, c: NumericView): ScoreResult {
  const bothExact = r.exact !== null && c.exact !== null;
  switch (test) {
    case "ks": {
      if (bothExact) return { score: ks2samp(r.exact!, c.exact!).pvalue, method: "exact" };
      const d = ksStatistic(cellSteps(r.side, c.side), r.n, c.n);
      const refOnPoints = r.p.layout.kind === "points" && r.cells.every((cell, i) => cell.point || r.p.cellCounts[i] === 0);
      const p = ksPValue(d, r.n, c.n).pvalue;
      return refOnPoints ? { score: p, method: "exact" } : { score: p, method: "estimate", errorBound: ksCellErrorBound(r.side, c.side, r.cells) };
    }
    case "wasserstein": {
      const norm = Math.max(r.std, 0.001);
      if (bothExact) return { score: wasserstein(r.exact!, c.exact!) / norm, method: "exact" };
      const w = wassersteinFromCells(r.side, c.side, r.cells);
      return { score: w.value / norm, method: w.errorBound === 0 ? "exact" : "estimate", errorBound: w.errorBound / norm };
    }
    case "hellinger": {
      // Evidently's numeric Hellinger bins the *distinct* values of both (Sturges on their count).
      const distinct = bothExact ? unionSize(r.exact!, c.exact!) : r.n + c.n;
      const b = sturgesCounts(r, c, distinct);
      return { score: hellingerFromHistograms(b.ref, b.cur, b.edges), method: b.exact ? "exact" : "estimate" };
    }
    case "jensenshannon":
    case "psi":
    case "kl_div": {
      const refDistinct = r.distinct;
      if (refDistinct !== undefined && refDistinct <= 20) {
        const k = keyedFromNumeric(r, c);
        return { score: keyedScore(test, k), method: k.exact ? "exact" : "estimate" };
      }
      const b = sturgesCounts(r, c, r.n + c.n);
      const share = (a: Float64Array, n: number) => a.map((v) => v / n);
      const rs = share(b.ref, r.n);
      const cs = share(b.cur, c.n);
      const score = test === "jensenshannon" ? jensenShannon(rs, cs) : test === "psi" ? psi(fillZeroes(rs), fillZeroes(cs)) : klDivergence(fillZeroes(rs), fillZeroes(cs));
      return { score, method: b.exact ? "exact" : "estimate" };
    }
    case "chisquare":
    case "z": {
      const k = keyedFromNumeric(r, c);
      return { score: keyedScore(test, k), method: k.exact ? "exact" : "estimate" };
    }
  }
}
