/**
 * Reference vs current distributions for the report, from the two profiles
 * (no rows needed): numeric columns in 20 equal-width bins over the
 * reference's range (each layout cell's count goes to the bin of its middle;
 * the open cells below and above to the outer bins), categorical columns as
 * the shares of the reference's 12 most frequent categories plus "other".
 * @module
 */
import { cellBoundsOf } from "../profiles/numeric-layout.js";
import type { ColumnProfile, NumericColumnProfile } from "../profiles/profile-types.js";

export interface Bars {
  labels: string[];
  reference: number[];
  current: number[];
}

const BINS = 20;
const TOP = 12;

function numericShares(p: NumericColumnProfile, lo: number, hi: number): number[] {
  const out = new Array<number>(BINS).fill(0);
  const cells = cellBoundsOf(p.layout);
  const width = (hi - lo) / BINS || 1;
  let total = 0;
  cells.forEach((c, i) => {
    const n = p.cellCounts[i] ?? 0;
    if (n === 0) return;
    const mid = c.lo === -Infinity ? lo : c.hi === Infinity ? hi : (c.lo + c.hi) / 2;
    const b = Math.min(BINS - 1, Math.max(0, Math.floor((mid - lo) / width)));
    out[b] += n;
    total += n;
  });
  return out.map((v) => (total === 0 ? 0 : v / total));
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}

export function distributionBars(ref: ColumnProfile, cur: ColumnProfile): Bars | undefined {
  if (ref.kind === "num" && cur.kind === "num") {
    if (ref.min === null || ref.max === null) return undefined;
    const lo = ref.min;
    const hi = ref.max;
    const w = (hi - lo) / BINS;
    return { labels: Array.from({ length: BINS }, (_, i) => fmt(lo + i * w)), reference: numericShares(ref, lo, hi), current: numericShares(cur, lo, hi) };
  }
  if (ref.kind === "cat" && cur.kind === "cat") {
    const top = ref.categories.slice(0, TOP).map(([k]) => k);
    const share = (p: typeof ref) => {
      const total = p.categories.reduce((s, [, n]) => s + n, 0) + p.other;
      const m = new Map(p.categories);
      const shares = top.map((k) => (total === 0 ? 0 : (m.get(k) ?? 0) / total));
      return [...shares, total === 0 ? 0 : 1 - shares.reduce((a, b) => a + b, 0)];
    };
    return { labels: [...top, "other"], reference: share(ref), current: share(cur as typeof ref) };
  }
  return undefined;
}
