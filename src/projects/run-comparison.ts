/**
 * The side-by-side comparison `ciclo reproduce` prints: params and latest
 * metric values of the original run and of its reproduction, with what
 * differs marked. Metrics are equal when both are NaN, or when they differ by
 * at most `tolerance` relative to the larger magnitude (0: exactly equal).
 * @module
 */
import type { Run } from "../tracking/index.js";
import { shortRunId } from "../shared/short-run-id.js";

interface ComparedValue<T> {
  key: string;
  /** Absent: the run has no such key. */
  original?: T;
  reproduced?: T;
  equal: boolean;
}

interface MetricRow extends ComparedValue<number> {
  /** reproduced − original (both present). */
  diff?: number;
}

export interface RunComparison {
  originalRunId: string;
  reproducedRunId: string;
  params: ComparedValue<string>[];
  metrics: MetricRow[];
  /** True when every metric is present in both runs and equal. */
  metricsMatch: boolean;
  paramsMatch: boolean;
}

export function compareRuns(original: Run, reproduced: Run, tolerance = 0): RunComparison {
  const params = zip(toMap(original.data.params), toMap(reproduced.data.params)).map(([key, a, b]) => ({
    key,
    original: a,
    reproduced: b,
    equal: a !== undefined && a === b,
  }));
  const latest = (run: Run) => new Map(run.data.metrics.map((m) => [m.key, m.value]));
  const metrics = zip(latest(original), latest(reproduced)).map(([key, a, b]): MetricRow => {
    const row: MetricRow = { key, original: a, reproduced: b, equal: a !== undefined && b !== undefined && sameNumber(a, b, tolerance) };
    if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b)) row.diff = b - a;
    return row;
  });
  return {
    originalRunId: original.info.runId,
    reproducedRunId: reproduced.info.runId,
    params,
    metrics,
    metricsMatch: metrics.every((m) => m.equal),
    paramsMatch: params.every((p) => p.equal),
  };
}

function sameNumber(a: number, b: number, tolerance: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

function toMap(entries: Array<{ key: string; value: string }>): Map<string, string> {
  return new Map(entries.map((e) => [e.key, e.value]));
}

/** Keys of both maps, sorted, with each side's value. */
function zip<T>(a: Map<string, T>, b: Map<string, T>): Array<[string, T | undefined, T | undefined]> {
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => [k, a.get(k), b.get(k)]);
}

/** The comparison as aligned text lines (what `ciclo reproduce` prints). */
export function formatComparison(c: RunComparison): string[] {
  const lines: string[] = [];
  const table = (title: string, rows: Array<{ key: string; a: string; b: string; mark: string }>) => {
    const head = { key: title, a: `original ${shortRunId(c.originalRunId)}`, b: `reproduced ${shortRunId(c.reproducedRunId)}`, mark: "" };
    const w = (f: "key" | "a" | "b") => Math.min(48, Math.max(...[head, ...rows].map((r) => r[f].length)));
    const cell = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
    for (const r of [head, ...rows]) lines.push(`${cell(r.key, w("key"))}  ${cell(r.a, w("a"))}  ${cell(r.b, w("b"))}  ${r.mark}`.trimEnd());
  };
  const show = (v: string | number | undefined) => (v === undefined ? "—" : String(v));
  table(
    "param",
    c.params.map((p) => ({ key: p.key, a: show(p.original), b: show(p.reproduced), mark: p.equal ? "=" : "≠" })),
  );
  lines.push("");
  table(
    "metric",
    c.metrics.map((m) => ({
      key: m.key,
      a: show(m.original),
      b: show(m.reproduced),
      mark: m.equal ? "=" : m.diff !== undefined ? `≠ ${m.diff > 0 ? "+" : ""}${formatDiff(m.diff)}` : "≠",
    })),
  );
  const differing = c.metrics.filter((m) => !m.equal).length;
  lines.push("");
  lines.push(
    differing === 0
      ? `All ${c.metrics.length} metric(s) match.`
      : `${differing} of ${c.metrics.length} metric(s) differ.`,
  );
  return lines;
}

function formatDiff(d: number): string {
  return Math.abs(d) >= 1e-4 && Math.abs(d) < 1e6 ? String(Number(d.toPrecision(6))) : d.toExponential(3);
}
