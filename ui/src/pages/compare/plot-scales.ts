/**
 * Axis scales for the parallel-coordinates and scatter plots, mapping a
 * key's values to [0, 1]: numbers on a linear axis (a log axis when all are
 * positive and span two decades or more — learning rates, regularisation),
 * anything else as evenly spaced categories. Pure, tested without a browser.
 */
import { formatNumber } from "../../format";

export interface Tick {
  /** Position in [0, 1]. */
  at: number;
  label: string;
}

export interface AxisScale {
  kind: "linear" | "log" | "category";
  /** Position in [0, 1] of a value, or undefined when it has none (absent, or ≤ 0 on a log axis). */
  toUnit(v: string | number | undefined): number | undefined;
  ticks: Tick[];
}

const num = (v: string | number | undefined): number | undefined => {
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Round tick values covering [lo, hi] (1, 2, 5 × 10^k steps), about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function categoryScale(values: Array<string | number | undefined>): AxisScale {
  const cats = [...new Set(values.filter((v): v is string | number => v !== undefined && v !== "").map(String))];
  const allNumeric = cats.every((c) => num(c) !== undefined);
  cats.sort((a, b) => (allNumeric ? Number(a) - Number(b) : a.localeCompare(b, undefined, { numeric: true })));
  const index = new Map(cats.map((c, i) => [c, i]));
  const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  const every = Math.max(1, Math.ceil(cats.length / 12));
  return {
    kind: "category",
    toUnit: (v) => {
      const i = v === undefined ? undefined : index.get(String(v));
      return i === undefined ? undefined : at(i);
    },
    ticks: cats.map((c, i) => ({ at: at(i), label: c })).filter((_, i) => i % every === 0),
  };
}

/** At most this many distinct values of a param read better as categories (`batch_size` 64/128/256). */
const FEW = 6;

/**
 * The scale for a key's values across runs. Numbers (or numeric strings, as
 * params arrive) get a numeric axis; `fewAsCategory` (params) puts a handful
 * of distinct values on evenly spaced ticks instead, unless they span decades
 * (a learning-rate sweep reads best on a log axis); `category` for
 * strings-by-nature such as tags.
 */
export function makeScale(values: Array<string | number | undefined>, opts: { category?: boolean; fewAsCategory?: boolean } = {}): AxisScale {
  const present = values.filter((v) => v !== undefined && v !== "");
  const nums = present.map(num);
  if (opts.category || present.length === 0 || nums.some((n) => n === undefined)) return categoryScale(values);
  const ns = nums as number[];
  let lo = Math.min(...ns);
  let hi = Math.max(...ns);
  const distinct = new Set(ns).size;
  const logSpan = lo > 0 && hi / lo >= 100;
  if (distinct <= 1 || (opts.fewAsCategory && distinct <= FEW && !logSpan)) return categoryScale(values);
  if (logSpan) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.ceil(Math.log10(hi));
    const span = b - a;
    const ticks: Tick[] = [];
    const every = Math.max(1, Math.ceil(span / 6));
    for (let k = a; k <= b; k += every) ticks.push({ at: (k - a) / span, label: formatNumber(10 ** k) });
    return {
      kind: "log",
      toUnit: (v) => {
        const n = num(v);
        return n === undefined || n <= 0 ? undefined : (Math.log10(n) - a) / span;
      },
      ticks,
    };
  }
  const pad = (hi - lo) * 0.04;
  lo -= pad;
  hi += pad;
  return {
    kind: "linear",
    toUnit: (v) => {
      const n = num(v);
      return n === undefined ? undefined : (n - lo) / (hi - lo);
    },
    ticks: niceTicks(lo, hi).map((t) => ({ at: (t - lo) / (hi - lo), label: formatNumber(t) })),
  };
}

/** How a compare key's axis is chosen: tags and string attributes are categories; params with few values too. */
export function scaleOptions(key: string): { category?: boolean; fewAsCategory?: boolean } {
  if (key.startsWith("tags.") || ["attributes.status", "attributes.user_id", "attributes.experiment_id", "attributes.run_name"].includes(key)) return { category: true };
  return { fewAsCategory: key.startsWith("params.") };
}

/** A colour ramp for a value in [0, 1] (blue → teal → amber → red: readable on light and dark backgrounds). */
export function rampColor(u: number | undefined): string {
  if (u === undefined || !Number.isFinite(u)) return "var(--text-faint)";
  const stops = [
    [59, 111, 224],
    [26, 163, 184],
    [212, 160, 23],
    [214, 69, 108],
  ];
  const x = Math.min(1, Math.max(0, u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]} ${c[1]} ${c[2]})`;
}

/** Index of the value nearest `x` in ascending `xs` (the chart's hover: one binary search per run). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}
