/**
 * Pure data shaping for charts: smoothing, log-safe values and joining
 * several series onto one x axis (what uPlot's aligned mode draws fastest).
 */

export interface ChartSeries {
  label: string;
  /** CSS color; a palette color when absent. */
  color?: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

/**
 * TensorBoard's smoothing: an exponential moving average with debiasing, so
 * the first points are not pulled towards zero. `weight` in [0, 1).
 * Non-finite values pass through unsmoothed and do not disturb the average.
 */
export function smooth(ys: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(ys.length);
  if (!(weight > 0)) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i];
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

/** uPlot values: finite numbers, else null (a gap); on a log axis only positive numbers. */
export function plottable(ys: ArrayLike<number>, log: boolean): Array<number | null> {
  const out = new Array<number | null>(ys.length);
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    out[i] = Number.isFinite(y) && (!log || y > 0) ? y : null;
  }
  return out;
}

/** Largest table (x values × series) the aligned join may build; beyond it each series keeps its own x. */
export const MAX_ALIGNED_CELLS = 3_000_000;

function sameXs(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Joins series on their x values: `[xs, ys1, ys2, …]` with null where a series
 * has no point. Series that share their xs (the usual case: same steps) are
 * used as they are. Returns undefined when the join would be too large.
 */
export function alignSeries(xsList: ArrayLike<number>[], ysList: Array<Array<number | null>>): Array<ArrayLike<number | null>> | undefined {
  if (xsList.length === 0) return [[]];
  if (xsList.every((xs) => sameXs(xs, xsList[0]))) return [Array.from(xsList[0]), ...ysList];
  const all = new Set<number>();
  for (const xs of xsList) for (let i = 0; i < xs.length; i++) all.add(xs[i]);
  if (all.size * xsList.length > MAX_ALIGNED_CELLS) return undefined;
  const x = Float64Array.from(all).sort();
  const index = new Map<number, number>();
  x.forEach((v, i) => index.set(v, i));
  const cols = ysList.map((ys, s) => {
    const col = new Array<number | null>(x.length).fill(null);
    const xs = xsList[s];
    for (let i = 0; i < xs.length; i++) col[index.get(xs[i])!] = ys[i];
    return col;
  });
  return [Array.from(x), ...cols];
}

/** A palette that stays distinguishable on light and dark backgrounds. */
export const PALETTE = ["#3b6fe0", "#e0673b", "#2a9d6a", "#b44fd1", "#d4a017", "#1aa3b8", "#d6456c", "#6b8e23", "#8a63d2", "#c0622f"];

/**
 * The x scale. With one distinct x (a single step, a monitor's first window) uPlot's automatic range spans years
 * around it and the point sits at an edge: the range is that x ± an hour (time axes) or ± 1 (steps) instead.
 */
export function xScale(xsList: ArrayLike<number>[], xMode: "step" | "time" | "relative"): { time: boolean; auto: boolean; min?: number; max?: number } {
  const time = xMode === "time";
  const all = new Set(xsList.flatMap((xs) => Array.from(xs)));
  if (all.size !== 1) return { time, auto: true };
  const x = [...all][0];
  const pad = xMode === "step" ? 1 : 3600;
  return { time, auto: false, min: x - pad, max: x + pad };
}
