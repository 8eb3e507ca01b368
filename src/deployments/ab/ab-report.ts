/**
 * An A/B comparison of two variants (deployments) of an endpoint over a
 * window: each variant's operations (requests, errors, latency p50/p99, as
 * the router saw them) and, once labels have arrived for its logged
 * predictions, its quality — accuracy and error rate for a classifier, MAE
 * and RMSE for a regressor — and a significance test of B against A: the
 * two-proportion z-test on correct answers for a classifier, Welch's t-test
 * on the per-row loss (absolute or squared error) for a regressor. Below the
 * minimum sample size it refuses a verdict.
 * @module
 */
import { twoProportionZTest, welchTTest, type TestResult } from "./ab-statistics.js";

export type AbTask = "classification" | "regression";
export type AbLoss = "absolute" | "squared";
export type AbVerdict = "significant" | "not_significant" | "insufficient_data" | "undefined";

/** What the router counted for one variant over the window. */
export interface VariantOps {
  requests: number;
  errors: number;
  p50Ms?: number;
  p99Ms?: number;
}

/** One variant's input: its operations and its labelled predictions (one pair per labelled row). */
export interface VariantInput {
  deployment: string;
  modelVersion: string;
  traffic: number;
  ops: VariantOps;
  /** Answered rows logged in the window (labelled or not); undefined: no inference log (monitoring off). */
  loggedRows?: number;
  pairs: Array<{ prediction: unknown; label: unknown }>;
}

export interface VariantMetrics extends VariantOps {
  deployment: string;
  modelVersion: string;
  traffic: number;
  errorRate: number;
  loggedRows?: number;
  labelled: number;
  accuracy?: number;
  /** 1 − accuracy (classifier). */
  misclassification?: number;
  mae?: number;
  rmse?: number;
}

export interface AbTest {
  a: string;
  b: string;
  method: "two-proportion z-test" | "Welch t-test";
  /** accuracy (higher is better) or mean_absolute_error / mean_squared_error (lower is better). */
  metric: "accuracy" | "mean_absolute_error" | "mean_squared_error";
  nA: number;
  nB: number;
  result?: TestResult;
  verdict: AbVerdict;
  /** The better variant when the verdict is significant. */
  better?: string;
  reason: string;
}

export interface AbOptions {
  alpha: number;
  minSamples: number;
  /** Auto when absent: regression when every label and prediction is a number and some is not an integer. */
  task?: AbTask;
  loss: AbLoss;
}

export interface AbReport {
  task?: AbTask;
  variants: VariantMetrics[];
  test?: AbTest;
  notes: string[];
}

function asClass(v: unknown): string | undefined {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string") return v;
  return undefined;
}

/** The task the labels say, when not given: numbers with a fraction somewhere are a regression. */
export function inferTask(variants: VariantInput[]): AbTask | undefined {
  let any = false;
  let allNumbers = true;
  let fractional = false;
  for (const v of variants) {
    for (const p of v.pairs) {
      any = true;
      for (const x of [p.prediction, p.label]) {
        if (typeof x !== "number") allNumbers = false;
        else if (!Number.isInteger(x)) fractional = true;
      }
    }
  }
  if (!any) return undefined;
  return allNumbers && fractional ? "regression" : "classification";
}

interface Quality {
  labelled: number;
  correct?: number;
  losses?: number[];
  metrics: Pick<VariantMetrics, "accuracy" | "misclassification" | "mae" | "rmse">;
}

function quality(v: VariantInput, task: AbTask | undefined, loss: AbLoss): Quality {
  if (task === "classification") {
    let n = 0;
    let correct = 0;
    for (const p of v.pairs) {
      const y = asClass(p.label);
      const yhat = asClass(p.prediction);
      if (y === undefined || yhat === undefined) continue;
      n++;
      if (y === yhat) correct++;
    }
    return { labelled: n, correct, metrics: n === 0 ? {} : { accuracy: correct / n, misclassification: 1 - correct / n } };
  }
  if (task === "regression") {
    const losses: number[] = [];
    let abs = 0;
    let sq = 0;
    for (const p of v.pairs) {
      if (typeof p.label !== "number" || typeof p.prediction !== "number" || !Number.isFinite(p.label) || !Number.isFinite(p.prediction)) continue;
      const e = p.prediction - p.label;
      abs += Math.abs(e);
      sq += e * e;
      losses.push(loss === "absolute" ? Math.abs(e) : e * e);
    }
    const n = losses.length;
    return { labelled: n, losses, metrics: n === 0 ? {} : { mae: abs / n, rmse: Math.sqrt(sq / n) } };
  }
  return { labelled: 0, metrics: {} };
}

function compare(a: VariantInput, qa: Quality, b: VariantInput, qb: Quality, task: AbTask, o: AbOptions): AbTest {
  const classifier = task === "classification";
  const base = {
    a: a.deployment,
    b: b.deployment,
    method: classifier ? ("two-proportion z-test" as const) : ("Welch t-test" as const),
    metric: classifier ? ("accuracy" as const) : o.loss === "absolute" ? ("mean_absolute_error" as const) : ("mean_squared_error" as const),
    nA: qa.labelled,
    nB: qb.labelled,
  };
  const need = Math.max(o.minSamples, classifier ? 1 : 2);
  if (qa.labelled < need || qb.labelled < need) {
    return { ...base, verdict: "insufficient_data", reason: `Each variant needs at least ${need} labelled rows for a verdict; ${a.deployment} has ${qa.labelled}, ${b.deployment} has ${qb.labelled}.` };
  }
  const result = classifier ? twoProportionZTest(qa.correct!, qa.labelled, qb.correct!, qb.labelled, o.alpha) : welchTTest(qa.losses!, qb.losses!, o.alpha);
  if (!Number.isFinite(result.pValue)) {
    return { ...base, result, verdict: "undefined", reason: "Both variants' losses are constant (no variance): the t-test is undefined." };
  }
  const pct = (x: number) => `${(100 * x).toPrecision(3)} %`;
  if (result.pValue >= o.alpha) {
    return { ...base, result, verdict: "not_significant", reason: `p = ${result.pValue.toPrecision(3)} ≥ alpha ${o.alpha}: no significant difference in ${base.metric}.` };
  }
  // Accuracy: higher is better; a loss: lower is better.
  const bBetter = classifier ? result.difference.estimate > 0 : result.difference.estimate < 0;
  const better = bBetter ? b.deployment : a.deployment;
  const how = classifier ? `accuracy ${pct(qb.metrics.accuracy!)} vs ${pct(qa.metrics.accuracy!)}` : `${base.metric} ${(qb.losses!.reduce((s, x) => s + x, 0) / qb.labelled).toPrecision(4)} vs ${(qa.losses!.reduce((s, x) => s + x, 0) / qa.labelled).toPrecision(4)}`;
  return { ...base, result, verdict: "significant", better, reason: `p = ${result.pValue.toPrecision(3)} < alpha ${o.alpha}: ${better} is better (${b.deployment} vs ${a.deployment}: ${how}).` };
}

/** The report of `variants`; the test compares the first two (A, then B). */
export function abReport(variants: VariantInput[], o: AbOptions): AbReport {
  const notes: string[] = [];
  const task = o.task ?? inferTask(variants);
  const qs = variants.map((v) => quality(v, task, o.loss));
  const out: VariantMetrics[] = variants.map((v, i) => ({
    deployment: v.deployment,
    modelVersion: v.modelVersion,
    traffic: v.traffic,
    ...v.ops,
    errorRate: v.ops.requests === 0 ? 0 : v.ops.errors / v.ops.requests,
    ...(v.loggedRows !== undefined && { loggedRows: v.loggedRows }),
    labelled: qs[i].labelled,
    ...qs[i].metrics,
  }));
  if (task === undefined) notes.push("No labelled predictions in the window yet: post labels by request id (POST /api/ciclo/v1/monitoring/labels).");
  if (variants.length < 2) {
    notes.push("An A/B test needs two deployments: this endpoint has fewer.");
    return { task, variants: out, notes };
  }
  const test = task === undefined ? undefined : compare(variants[0], qs[0], variants[1], qs[1], task, o);
  return { task, variants: out, ...(test && { test }), notes };
}
