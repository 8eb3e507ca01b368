/**
 * A dataset profile: what drift needs from a table, kept instead of the rows.
 * A reference profile fixes each numeric column's *layout* (cell edges); a
 * window profiled against it counts into the same cells, so any two profiles
 * of one layout merge by adding (hour → day) and compare without the data.
 * Browser-safe (plain JSON-able objects).
 * @module
 */

export const PROFILE_FORMAT = "ciclo.monitoring.profile";
export const PROFILE_VERSION = 1;

/** Distinct numeric values kept exactly per column (covers any reference of ≤ 1,000 rows whole). */
export const VALUE_CAP = 1024;
/** Categories counted one by one per column; the rest are lumped into `other`. */
export const CATEGORY_CAP = 10_000;
/** Cells of a continuous column's layout (edges at reference quantiles). */
export const LAYOUT_BINS = 1000;

/**
 * How a numeric column's cells are cut, fixed on the reference.
 * - `points`: the reference's distinct values (when it has ≤ VALUE_CAP of them).
 *   Cells: (−∞, p₀), {p₀}, (p₀, p₁), {p₁}, …, {p_last}, (p_last, ∞) — 2P + 1 cells.
 * - `bins`: edges at the reference's quantiles, e₀ = min, e_B = max.
 *   Cells: (−∞, e₀), [e₀, e₁), …, [e_B−1, e_B], (e_B, ∞) — B + 2 cells.
 */
export interface NumericLayout {
  kind: "points" | "bins";
  edges: number[];
}

interface ColumnCounts {
  name: string;
  /** Rows seen. */
  count: number;
  /** Null, empty or NaN cells (pandas' NA values). */
  missing: number;
}

export interface NumericColumnProfile extends ColumnCounts {
  kind: "num";
  /** pandas' dtype for the column: `int` only when every cell is an integer and none is missing. */
  dtype: "int" | "float";
  /** ±Infinity cells: excluded from drift, as Evidently drops them. */
  infinite: number;
  /** Cells that are not numbers in a column the layout says is numeric. */
  invalid: number;
  /** Finite values (what the tests see). */
  n: number;
  min: number | null;
  max: number | null;
  mean: number;
  /** Σ (x − mean)², for the variance (merged by Chan's formula). */
  m2: number;
  /** Every distinct finite value with its count, ascending — null once there are more than VALUE_CAP. */
  values: Array<[number, number]> | null;
  layout: NumericLayout;
  /** Values per cell of the layout. */
  cellCounts: number[];
  /**
   * Per cell, Σ of each value's distance from the cell's inner edge (x − lo; for
   * the cell below the layout, lo − x). With the counts this gives ∫F over every
   * cell exactly, which makes the Wasserstein distance exact wherever the two
   * ECDFs do not cross inside a cell.
   */
  cellOffsets: number[];
}

export interface CategoricalColumnProfile extends ColumnCounts {
  kind: "cat";
  dtype: "string" | "bool";
  /** Category → count, most frequent first (at most CATEGORY_CAP). */
  categories: Array<[string, number]>;
  /** Rows whose category did not fit under the cap. */
  other: number;
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

export interface DatasetProfile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  /** Fingerprint of the column kinds and layouts: profiles merge and compare only with the same one. */
  layoutId: string;
  rows: number;
  columns: ColumnProfile[];
  /** Profiles of consecutive reference chunks, for data-derived thresholds (optional). */
  chunks?: DatasetProfile[];
}

/** The part of a reference profile a window is counted against. */
export interface ColumnLayout {
  name: string;
  kind: "num" | "cat";
  dtype: NumericColumnProfile["dtype"] | CategoricalColumnProfile["dtype"];
  layout?: NumericLayout;
}

export function layoutsOf(profile: DatasetProfile): ColumnLayout[] {
  return profile.columns.map((c) => (c.kind === "num" ? { name: c.name, kind: "num", dtype: c.dtype, layout: c.layout } : { name: c.name, kind: "cat", dtype: c.dtype }));
}

/** FNV-1a over the layouts' text: cheap, stable, browser-safe. */
export function layoutIdOf(layouts: ColumnLayout[]): string {
  const text = JSON.stringify(layouts.map((l) => [l.name, l.kind, l.layout?.kind ?? null, l.layout?.edges ?? null]));
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}
