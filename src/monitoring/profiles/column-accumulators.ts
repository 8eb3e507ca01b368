/**
 * Streaming per-column state: a numeric column's first look (for its layout)
 * and its counts against a layout (a categorical column's frequencies are in
 * categorical-accumulator.ts). Each
 * takes a batch at a time and holds a bounded amount of memory whatever the
 * number of rows.
 * @module
 */
import { CellLocator, cellCountOf, chooseLayout } from "./numeric-layout.js";
import { VALUE_CAP, type NumericColumnProfile, type NumericLayout } from "./profile-types.js";

/** A numeric column's cells as the source hands them: NaN is missing, ±Infinity infinite. */
export interface NumericBatch {
  values: Float64Array;
  /** Cells that were not numbers (already NaN in `values`, not counted as missing). */
  invalid?: number;
  /** Missing cells left out of `values` (a Parquet page's nulls). */
  missing?: number;
}

/** Keeps exact distinct values while there are at most VALUE_CAP. */
class DistinctValues {
  map: Map<number, number> | null = new Map();
  add(v: number, n = 1): void {
    const m = this.map;
    if (!m) return;
    const c = m.get(v);
    if (c !== undefined) m.set(v, c + n);
    else if (m.size >= VALUE_CAP) this.map = null;
    else m.set(v, n);
  }
}

/**
 * First pass over a reference column: min, max, the distinct values while few,
 * and a uniform sample (reservoir, Li's algorithm L, seeded) whose quantiles
 * place the layout's edges.
 */
export class NumericScout {
  min = Infinity;
  max = -Infinity;
  readonly #distinct = new DistinctValues();
  readonly #sample: Float64Array;
  #seen = 0;
  #next = 0;
  #w = 1;
  #rand: () => number;

  constructor(sampleSize = 16_384, seed = 0x5eed) {
    this.#sample = new Float64Array(sampleSize);
    let a = seed >>> 0;
    this.#rand = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
    };
  }

  add(batch: NumericBatch): void {
    const vs = batch.values;
    const k = this.#sample.length;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i];
      if (v !== v || v === Infinity || v === -Infinity) continue;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      this.#distinct.add(v);
      const seen = this.#seen++;
      if (seen < k) {
        this.#sample[seen] = v;
        if (seen === k - 1) this.#skip();
      } else if (seen === this.#next) {
        this.#sample[Math.floor(this.#rand() * k)] = v;
        this.#skip();
      }
    }
  }

  #skip(): void {
    const k = this.#sample.length;
    this.#w *= Math.exp(Math.log(this.#rand()) / k);
    this.#next = this.#seen + Math.floor(Math.log(this.#rand()) / Math.log(1 - this.#w));
  }

  layout(): NumericLayout {
    const exact = this.#distinct.map ? [...this.#distinct.map.keys()] : null;
    return chooseLayout(exact, this.#sample.subarray(0, Math.min(this.#seen, this.#sample.length)), this.min, this.max);
  }
}

/** Values per pass of NumericAccumulator's hot loop. */
const SLICE = 2048;

/** Largest k with edges[k] ≤ v, for edges[0] ≤ v < edges[last] (a binary search). */
function floorIndex(e: Float64Array, v: number): number {
  let k = 0;
  let j = e.length - 1;
  while (j - k > 1) {
    const mid = (k + j) >> 1;
    if (e[mid] <= v) k = mid;
    else j = mid;
  }
  return k;
}

/** Locators by layout: every window counted against one reference shares them. */
const locators = new WeakMap<NumericLayout, CellLocator>();
function locatorOf(layout: NumericLayout): CellLocator {
  let l = locators.get(layout);
  if (!l) locators.set(layout, (l = new CellLocator(layout)));
  return l;
}

/** Counts a numeric column into a fixed layout, with exact moments. */
export class NumericAccumulator {
  count = 0;
  missing = 0;
  infinite = 0;
  invalid = 0;
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  readonly counts: Float64Array;
  readonly offsets: Float64Array;
  readonly #locator: CellLocator;
  readonly #table: CellLocator["table"] | null;
  readonly #distinct = new DistinctValues();

  constructor(
    readonly name: string,
    readonly layout: NumericLayout,
    public dtype: "int" | "float",
  ) {
    this.#locator = locatorOf(layout);
    this.#table = layout.edges.length >= 2 ? this.#locator.table : null;
    const cells = cellCountOf(layout);
    this.counts = new Float64Array(cells);
    this.offsets = new Float64Array(cells);
  }

  #cells = new Int32Array(0);

  add(batch: NumericBatch): void {
    const vs = batch.values;
    if (this.#table === null) return this.#addByCells(batch);
    // In slices: each slice's loop runs start to end many times before V8 optimizes it, so
    // the optimized code knows every part of it. One long loop was compiled while still in
    // its first batch (on-stack replacement), before the moments' pass after it had ever
    // run, and bailed out to the interpreter there on every later batch.
    for (let from = 0; from < vs.length; from += SLICE) this.#addSlice(vs, from, Math.min(vs.length, from + SLICE));
    const invalid = batch.invalid ?? 0;
    const absent = batch.missing ?? 0;
    this.count += vs.length + absent;
    this.missing += absent - invalid;
    this.invalid += invalid;
  }

  /**
   * The hot loop of profiling: each value's cell found inline (CellLocator.cellsOf's
   * lookup: a slot of equal width gives the first edge at or below it, then a short
   * scan; a binary search, out of line, where a slot holds many edges) and counted at
   * once; then the slice's own two-pass mean and M2, merged by Chan's formula. NaN
   * cells count as missing here (the batch's invalid cells are taken back out by add).
   */
  #addSlice(vs: Float64Array, from: number, to: number): void {
    const t = this.#table!;
    const e = t.edges;
    const n = e.length;
    const first = t.first;
    const lo = t.lo;
    const hi = t.hi;
    const scale = t.scale;
    const lastSlot = t.lastSlot;
    const points = t.points;
    const anchors = this.#locator.anchors;
    const counts = this.counts;
    const offsets = this.offsets;
    const distinct = this.#distinct;
    let track = distinct.map !== null;
    const top = points ? 2 * n : n;
    let bn = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    let nan = 0;
    let inf = 0;
    for (let i = from; i < to; i++) {
      const v = vs[i];
      let c: number;
      if (v >= lo) {
        if (v < hi) {
          // lo ≤ v < hi: the product lies in [0, slots] (≤ 2^20), so `| 0` is its floor.
          let s = ((v - lo) * scale) | 0;
          if (s > lastSlot) s = lastSlot;
          let k = first[s];
          // A slot holding many edges (a heavy tail), or rounding that put v one slot too far: the rare way.
          if (first[s + 1] - k > 8 || e[k] > v) k = floorIndex(e, v);
          else while (e[k + 1] <= v) k++;
          c = points ? (e[k] === v ? 2 * k + 1 : 2 * k + 2) : k + 1;
        } else if (v === Infinity) {
          inf++;
          continue;
        } else c = v === hi ? top - 1 : top;
      } else if (v !== v) {
        nan++;
        continue;
      } else if (v === -Infinity) {
        inf++;
        continue;
      } else c = 0;
      counts[c]++;
      // Signed distance from the cell's anchor (the cell below the layout is flipped when read out).
      offsets[c] += v - anchors[c];
      bn++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      // A value on one of a points layout's points is already counted exactly in its cell.
      if (track && !(points && (c & 1) === 1)) {
        distinct.add(v);
        track = distinct.map !== null;
      }
    }
    this.min = min;
    this.max = max;
    this.missing += nan;
    this.infinite += inf;
    if (bn === 0) return;
    const bmean = sum / bn;
    let bm2 = 0;
    for (let i = from; i < to; i++) {
      const v = vs[i];
      if (v === v && v !== Infinity && v !== -Infinity) bm2 += (v - bmean) * (v - bmean);
    }
    this.#merge(bn, bmean, bm2);
  }

  /** Layouts of fewer than two edges: cells found by the locator. */
  #addByCells(batch: NumericBatch): void {
    const vs = batch.values;
    if (this.#cells.length < vs.length) this.#cells = new Int32Array(vs.length);
    const cells = this.#cells;
    this.#locator.cellsOf(vs, cells);
    const anchors = this.#locator.anchors;
    const counts = this.counts;
    const offsets = this.offsets;
    const distinct = this.#distinct;
    const points = this.layout.kind === "points";
    let bn = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < vs.length; i++) {
      const c = cells[i];
      const v = vs[i];
      if (c < 0) {
        if (v !== v) nan++;
        else inf++;
        continue;
      }
      counts[c]++;
      offsets[c] += v - anchors[c];
      bn++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      if (distinct.map !== null && !(points && (c & 1) === 1)) distinct.add(v);
    }
    this.#finish(batch, vs, bn, sum, min, max, nan, inf);
  }

  /** Counts and moments of a batch whose cells were counted. */
  #finish(batch: NumericBatch, vs: Float64Array, bn: number, sum: number, min: number, max: number, nan: number, inf: number): void {
    const invalid = batch.invalid ?? 0;
    const absent = batch.missing ?? 0;
    this.count += vs.length + absent;
    this.missing += nan - invalid + absent;
    this.invalid += invalid;
    this.infinite += inf;
    this.min = min;
    this.max = max;
    if (bn === 0) return;
    // Moments: the batch's own two-pass mean and M2, merged by Chan's formula.
    const bmean = sum / bn;
    let bm2 = 0;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i];
      if (v === v && v !== Infinity && v !== -Infinity) bm2 += (v - bmean) * (v - bmean);
    }
    this.#merge(bn, bmean, bm2);
  }

  /**
   * Adds counted values (a Parquet dictionary page: each distinct value once,
   * with how often it occurs) and `absent` missing cells: the same counts,
   * cells, offsets and moments as adding every occurrence.
   */
  addCounts(values: Float64Array, counts: ArrayLike<number>, absent: number): void {
    const locator = this.#locator;
    const anchors = locator.anchors;
    const points = this.layout.kind === "points";
    let total = 0;
    let bn = 0;
    let sum = 0;
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < values.length; i++) {
      const k = counts[i];
      if (k === 0) continue;
      total += k;
      const v = values[i];
      if (v !== v) {
        nan += k;
        continue;
      }
      if (v === Infinity || v === -Infinity) {
        inf += k;
        continue;
      }
      const c = locator.cellOf(v);
      this.counts[c] += k;
      this.offsets[c] += k * (v - anchors[c]);
      bn += k;
      sum += k * v;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (this.#distinct.map !== null && !(points && (c & 1) === 1)) this.#distinct.add(v, k);
    }
    this.count += total + absent;
    this.missing += nan + absent;
    this.infinite += inf;
    if (bn === 0) return;
    const bmean = sum / bn;
    let bm2 = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const k = counts[i];
      if (k !== 0 && v === v && v !== Infinity && v !== -Infinity) bm2 += k * (v - bmean) * (v - bmean);
    }
    this.#merge(bn, bmean, bm2);
  }

  /** Chan's formula: the batch's own mean and M2 merged into the column's. */
  #merge(bn: number, bmean: number, bm2: number): void {
    const n = this.n + bn;
    const delta = bmean - this.mean;
    this.mean += (delta * bn) / n;
    this.m2 += bm2 + (delta * delta * this.n * bn) / n;
    this.n = n;
  }

  /** Exact distinct values: the off-point ones kept in the map, plus the layout's points that were hit. */
  #values(): Array<[number, number]> | null {
    const m = this.#distinct.map;
    if (!m) return null;
    const out = [...m.entries()];
    if (this.layout.kind === "points") {
      const e = this.layout.edges;
      for (let i = 0; i < e.length; i++) if (this.counts[2 * i + 1] > 0) out.push([e[i], this.counts[2 * i + 1]]);
    }
    if (out.length > VALUE_CAP) return null;
    return out.sort((a, b) => a[0] - b[0]);
  }

  profile(): NumericColumnProfile {
    const values = this.#values();
    return {
      name: this.name,
      kind: "num",
      dtype: this.dtype,
      count: this.count,
      missing: this.missing,
      infinite: this.infinite,
      invalid: this.invalid,
      n: this.n,
      min: this.n > 0 ? this.min : null,
      max: this.n > 0 ? this.max : null,
      mean: this.mean,
      m2: this.m2,
      values,
      layout: this.layout,
      cellCounts: Array.from(this.counts),
      // Below the layout, distances are kept as anchor − x (positive).
      cellOffsets: Array.from(this.offsets, (o, i) => (i === 0 ? 0 - o : o)),
    };
  }
}
