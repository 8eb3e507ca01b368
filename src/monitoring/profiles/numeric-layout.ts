/**
 * Numeric layouts: choosing a column's cells from a first look at the
 * reference, finding the cell of a value fast, and each cell's bounds.
 * @module
 */
import { LAYOUT_BINS, type NumericLayout } from "./profile-types.js";

/** Number of cells a layout has (see {@link NumericLayout}). */
export function cellCountOf(layout: NumericLayout): number {
  const e = layout.edges.length;
  if (layout.kind === "points") return 2 * e + 1;
  return e < 2 ? 2 : e + 1;
}

export interface CellBounds {
  lo: number;
  hi: number;
  /** The edge offsets are measured from (lo, except the open cell below the layout: hi). */
  anchor: number;
  /** A single value (a point of a `points` layout). */
  point: boolean;
}

/** Bounds of every cell, in order; the outer cells are open-ended (±Infinity). */
export function cellBoundsOf(layout: NumericLayout): CellBounds[] {
  const e = layout.edges;
  const out: CellBounds[] = [];
  if (layout.kind === "points") {
    if (e.length === 0) return [{ lo: -Infinity, hi: Infinity, anchor: 0, point: false }];
    out.push({ lo: -Infinity, hi: e[0], anchor: e[0], point: false });
    for (let i = 0; i < e.length; i++) {
      out.push({ lo: e[i], hi: e[i], anchor: e[i], point: true });
      out.push({ lo: e[i], hi: i + 1 < e.length ? e[i + 1] : Infinity, anchor: e[i], point: false });
    }
    return out;
  }
  if (e.length < 2) {
    const x = e[0] ?? 0;
    return [{ lo: -Infinity, hi: x, anchor: x, point: false }, { lo: x, hi: Infinity, anchor: x, point: false }];
  }
  out.push({ lo: -Infinity, hi: e[0], anchor: e[0], point: false });
  for (let i = 0; i + 1 < e.length; i++) out.push({ lo: e[i], hi: e[i + 1], anchor: e[i], point: false });
  out.push({ lo: e[e.length - 1], hi: Infinity, anchor: e[e.length - 1], point: false });
  return out;
}

const SLOTS_PER_EDGE = 16;

/**
 * Finds a value's cell in O(1) for most data: a table of equal-width slots over
 * the layout's range gives the first edge at or below each slot, then a short
 * scan (or a binary search where many edges share a slot: heavy tails).
 */
export class CellLocator {
  readonly #edges: Float64Array;
  readonly #points: boolean;
  readonly #first: Int32Array;
  readonly #lo: number;
  readonly #hi: number;
  readonly #scale: number;
  readonly #slots: number;
  /** Offsets are measured from this per cell. */
  readonly anchors: Float64Array;

  /** The lookup table, for loops that find cells inline (NumericAccumulator.add): see {@link cellsOf} for its use. */
  get table(): { edges: Float64Array; first: Int32Array; lo: number; hi: number; scale: number; lastSlot: number; points: boolean } {
    return { edges: this.#edges, first: this.#first, lo: this.#lo, hi: this.#hi, scale: this.#scale, lastSlot: this.#slots - 1, points: this.#points };
  }

  constructor(layout: NumericLayout) {
    const e = Float64Array.from(layout.edges);
    this.#edges = e;
    this.#points = layout.kind === "points";
    this.anchors = Float64Array.from(cellBoundsOf(layout), (c) => c.anchor);
    this.#lo = e.length > 0 ? e[0] : 0;
    this.#hi = e.length > 0 ? e[e.length - 1] : 0;
    const span = this.#hi - this.#lo;
    this.#slots = e.length > 1 && span > 0 && Number.isFinite(span) ? Math.min(1 << 20, e.length * SLOTS_PER_EDGE) : 1;
    this.#scale = this.#slots > 1 ? this.#slots / span : 0;
    this.#first = new Int32Array(this.#slots + 1);
    let i = 0;
    for (let s = 0; s <= this.#slots; s++) {
      const x = this.#lo + s / this.#scale;
      while (i + 1 < e.length && e[i + 1] <= x) i++;
      this.#first[s] = i;
    }
    this.#first[this.#slots] = Math.max(0, e.length - 1);
  }

  /** Largest i with edges[i] ≤ v, for lo ≤ v ≤ hi. */
  #floorIndex(v: number): number {
    const e = this.#edges;
    let s = this.#scale > 0 ? Math.floor((v - this.#lo) * this.#scale) : 0;
    if (s >= this.#slots) s = this.#slots - 1;
    let i = this.#first[s];
    let j = this.#first[s + 1] + 1;
    if (e[i] > v) {
      // Rounding put v one slot too far: search from the start.
      j = i;
      i = 0;
    }
    if (j >= e.length) j = e.length - 1;
    if (j - i > 8) {
      while (j - i > 1) {
        const mid = (i + j) >> 1;
        if (e[mid] <= v) i = mid;
        else j = mid;
      }
      if (e[j] <= v) i = j;
      return i;
    }
    while (i + 1 < e.length && e[i + 1] <= v) i++;
    return i;
  }

  /**
   * Cells of a batch at once (the hot loop of profiling, kept free of calls):
   * `out[i]` is the cell of `values[i]`, or -1 for NaN and ±Infinity.
   */
  cellsOf(values: Float64Array, out: Int32Array): void {
    const e = this.#edges;
    const n = e.length;
    const first = this.#first;
    const lo = this.#lo;
    const hi = this.#hi;
    const scale = this.#scale;
    const lastSlot = this.#slots - 1;
    const points = this.#points;
    if (n < 2) {
      for (let i = 0; i < values.length; i++) out[i] = this.#finite(values[i]) ? this.cellOf(values[i]) : -1;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v || v === Infinity || v === -Infinity) {
        out[i] = -1;
        continue;
      }
      if (v < lo) {
        out[i] = 0;
        continue;
      }
      if (v >= hi) {
        out[i] = points ? (v === hi ? 2 * n - 1 : 2 * n) : v === hi ? n - 1 : n;
        continue;
      }
      let s = Math.floor((v - lo) * scale);
      if (s > lastSlot) s = lastSlot;
      let k = first[s];
      let j = first[s + 1] + 1;
      if (e[k] > v) {
        j = k;
        k = 0;
      }
      if (j >= n) j = n - 1;
      if (j - k > 8) {
        while (j - k > 1) {
          const mid = (k + j) >> 1;
          if (e[mid] <= v) k = mid;
          else j = mid;
        }
        if (e[j] <= v) k = j;
      } else {
        while (k + 1 < n && e[k + 1] <= v) k++;
      }
      out[i] = points ? (e[k] === v ? 2 * k + 1 : 2 * k + 2) : k + 1;
    }
  }

  #finite(v: number): boolean {
    return v === v && v !== Infinity && v !== -Infinity;
  }

  /** The cell index of a finite value. */
  cellOf(v: number): number {
    const e = this.#edges;
    const n = e.length;
    if (this.#points) {
      if (n === 0) return 0;
      if (v < this.#lo) return 0;
      if (v > this.#hi) return 2 * n;
      const i = this.#floorIndex(v);
      return e[i] === v ? 2 * i + 1 : 2 * i + 2;
    }
    if (n < 2) return v < this.#lo ? 0 : 1;
    if (v < this.#lo) return 0;
    if (v > this.#hi) return n;
    if (v === this.#hi) return n - 1;
    return this.#floorIndex(v) + 1;
  }
}

/**
 * A layout from a first pass: the distinct values when they were few
 * (`exact`), else edges at quantiles of a uniform `sample` of the column, with
 * the exact minimum and maximum as the outer edges. Equal edges (ties) merge.
 */
export function chooseLayout(exact: number[] | null, sample: Float64Array, min: number, max: number, bins = LAYOUT_BINS): NumericLayout {
  if (exact) return { kind: "points", edges: [...exact].sort((a, b) => a - b) };
  const sorted = Float64Array.from(sample).sort();
  const edges: number[] = [min];
  const r = sorted.length;
  for (let k = 1; k < bins && r > 0; k++) {
    const q = sorted[Math.min(r - 1, Math.floor((k * r) / bins))];
    if (q > edges[edges.length - 1] && q < max) edges.push(q);
  }
  if (max > edges[edges.length - 1]) edges.push(max);
  return { kind: "bins", edges };
}
