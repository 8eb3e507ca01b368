/**
 * The non-drift checks of a window: operations (requests, error rate,
 * latency quantiles, throughput; overall and per model version) and model
 * performance (with labels: the evaluation metrics; without: CBPE for binary
 * classifiers). Each becomes a point of the monitor's time series, flagged
 * when it is past the check's threshold.
 * @module
 */
import { classifierMetrics, regressorMetrics, type Label } from "../../models/index.js";
import type { MonitorPoint } from "../core/monitoring-store.js";
import { cbpeBinary } from "./cbpe.js";
import type { MonitorSpec } from "../core/monitor-spec.js";
import type { WindowData, WindowRow } from "./window-data.js";

type Point = Omit<MonitorPoint, "windowStart" | "windowEnd">;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Request-level facts: one entry per request (its first row). */
function requestsOf(w: WindowData): Array<{ version: string; status: number; latency: number }> {
  const out: Array<{ version: string; status: number; latency: number }> = [];
  w.rows.forEach((r, i) => {
    if (r.__row === 0) out.push({ version: w.versions[i], status: r.__status as number, latency: r.__latency_ms as number });
  });
  return out;
}

function opsOf(reqs: Array<{ status: number; latency: number }>, seconds: number, rate: number): Record<string, number> {
  const lat = reqs.map((r) => r.latency).sort((a, b) => a - b);
  const errors = reqs.filter((r) => r.status >= 400).length;
  return {
    requests: reqs.length / rate,
    error_rate: reqs.length === 0 ? 0 : errors / reqs.length,
    latency_p50_ms: quantile(lat, 0.5),
    latency_p95_ms: quantile(lat, 0.95),
    throughput_rps: reqs.length / rate / seconds,
  };
}

export function operationsPoints(w: WindowData, spec: MonitorSpec): Point[] {
  const seconds = (w.end - w.start) / 1000;
  const rate = w.segments.length === 0 ? 1 : Math.min(...w.segments.map((s) => s.sampleRate)) || 1;
  const reqs = requestsOf(w);
  const o = spec.operations ?? {};
  const points: Point[] = [];
  const add = (suffix: string, m: Record<string, number>) => {
    const enough = m.requests >= (o.min_requests ?? 1);
    for (const [k, v] of Object.entries(m)) {
      let flagged = false;
      if (enough && k === "latency_p95_ms" && o.max_latency_p95_ms !== undefined) flagged = v > o.max_latency_p95_ms;
      if (enough && k === "error_rate" && o.max_error_rate !== undefined) flagged = v > o.max_error_rate;
      points.push({ metric: `ops.${k}${suffix}`, value: Number.isFinite(v) ? v : null, flagged: suffix === "" && flagged, detail: null });
    }
  };
  add("", opsOf(reqs, seconds, rate));
  const versions = [...new Set(reqs.map((r) => r.version))].sort();
  for (const v of versions) add(`@v${v}`, opsOf(reqs.filter((r) => r.version === v), seconds, rate));
  return points;
}

function labelOf(v: unknown): Label | undefined {
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

function bounded(name: string, value: number, spec: MonitorSpec): Point {
  const t = spec.performance?.thresholds?.[name];
  const flagged = t !== undefined && ((t.min !== undefined && value < t.min) || (t.max !== undefined && value > t.max));
  return { metric: name.startsWith("cbpe.") ? name : `perf.${name}`, value: Number.isFinite(value) ? value : null, flagged, detail: t ? JSON.stringify(t) : null };
}

const CLASSIFIER_METRICS = ["accuracy_score", "precision_score", "recall_score", "f1_score", "roc_auc", "example_count"];

/**
 * Performance points. `labels` maps `<request id>#<row>` to the label's JSON
 * text (what `POST /monitoring/labels` stored).
 */
export function performancePoints(w: WindowData, spec: MonitorSpec, labels: Map<string, string>): Point[] {
  const p = spec.performance;
  if (!p) return [];
  const ok = w.rows.filter((r) => (r.__status as number) < 400);
  const points: Point[] = [];
  const joined: Array<{ row: WindowRow; label: unknown }> = [];
  for (const r of ok) {
    const l = labels.get(`${r.__request_id as string}#${r.__row as number}`);
    if (l !== undefined) joined.push({ row: r, label: JSON.parse(l) });
  }
  points.push({ metric: "perf.labelled_rows", value: joined.length, flagged: false, detail: JSON.stringify({ rows: ok.length }) });
  if (joined.length > 0) {
    if (p.task === "regression") {
      const pairs = joined.filter((j) => typeof j.row[p.prediction_column] === "number" && typeof j.label === "number");
      if (pairs.length > 0) {
        const m = regressorMetrics(pairs.map((j) => j.label as number), pairs.map((j) => j.row[p.prediction_column] as number));
        for (const k of ["mean_absolute_error", "root_mean_squared_error", "r2_score", "mean_absolute_percentage_error"] as const) points.push(bounded(k, m[k], spec));
      }
    } else {
      const pairs = joined.filter((j) => labelOf(j.row[p.prediction_column]) !== undefined && labelOf(j.label) !== undefined);
      if (pairs.length > 0) {
        const yTrue = pairs.map((j) => labelOf(j.label)!);
        const yPred = pairs.map((j) => labelOf(j.row[p.prediction_column])!);
        const probaCol = p.proba_column;
        const proba = probaCol && pairs.every((j) => typeof j.row[probaCol] === "number") ? pairs.flatMap((j) => [1 - (j.row[probaCol] as number), j.row[probaCol] as number]) : undefined;
        const positive = p.positive_label ?? 1;
        const negative = [...new Set([...yTrue, ...yPred])].find((l) => l !== positive) ?? 0;
        const { metrics } = classifierMetrics({ yTrue, yPred, proba, classes: proba ? [negative, positive] : undefined, positiveLabel: positive });
        for (const k of CLASSIFIER_METRICS) if (metrics[k] !== undefined) points.push(bounded(k, metrics[k], spec));
      }
    }
  }
  if (p.task === "classification" && p.proba_column) {
    const col = p.proba_column;
    const est = cbpeBinary(ok.map((r) => (typeof r[col] === "number" ? (r[col] as number) : Number.NaN)));
    if (est) for (const k of ["accuracy", "precision", "recall", "f1"] as const) points.push(bounded(`cbpe.${k}`, est[k], spec));
  }
  return points;
}
