/**
 * Validation thresholds with MLflow's `MetricThreshold` semantics
 * (`mlflow/models/evaluation/validation.py`):
 *
 * - `threshold`: candidate ≥ threshold (≤ when lower is better);
 * - `minAbsoluteChange`: candidate ≥ baseline + Δ (≤ baseline − Δ);
 * - `minRelativeChange` r ∈ [0, 1]: candidate ≥ baseline·(1 + r) (≤ baseline·(1 − r));
 *   a baseline of 0 asks for a strict improvement (by 1e-10);
 * - a metric missing on either side fails; change checks without a baseline fail.
 *
 * CLI shorthand: `rmse<=0.5`, `r2>=0.8`, `f1_score>=+0.01` (absolute change vs
 * the baseline), `accuracy>=+2%` (relative change).
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";

export interface MetricThreshold {
  threshold?: number;
  minAbsoluteChange?: number;
  minRelativeChange?: number;
  /** Default: known for ciclo's metrics (errors and losses are lower-is-better); required for others. */
  greaterIsBetter?: boolean;
}

interface ThresholdCheck {
  kind: "threshold" | "min_absolute_change" | "min_relative_change" | "missing";
  passed: boolean;
  message: string;
}

interface MetricValidation {
  metric: string;
  candidate: number | undefined;
  baseline: number | undefined;
  greaterIsBetter: boolean;
  passed: boolean;
  checks: ThresholdCheck[];
}

export interface ValidationReport {
  passed: boolean;
  results: MetricValidation[];
  /** One line per failed check (MLflow's ModelValidationFailedException message), empty when passed. */
  failures: string[];
}

/** Short names accepted in threshold expressions → MLflow's metric keys. */
const METRIC_ALIASES: Record<string, string> = {
  rmse: "root_mean_squared_error",
  mse: "mean_squared_error",
  mae: "mean_absolute_error",
  mape: "mean_absolute_percentage_error",
  r2: "r2_score",
  accuracy: "accuracy_score",
  precision: "precision_score",
  recall: "recall_score",
  f1: "f1_score",
  auc: "roc_auc",
};

const LOWER_IS_BETTER = /(error|loss)/;

function metricKey(name: string): string {
  return METRIC_ALIASES[name] ?? name;
}

function defaultGreaterIsBetter(metric: string): boolean | undefined {
  if (LOWER_IS_BETTER.test(metric)) return false;
  if (/(score|accuracy|precision|recall|f1|auc|r2)/.test(metric)) return true;
  return undefined;
}

/** Parses `name<=v`, `name>=v`, `name>=+Δ` (absolute change), `name>=+r%` (relative change); merges into `into`. */
export function parseThresholdExpression(expr: string, into: Record<string, MetricThreshold> = {}): Record<string, MetricThreshold> {
  const m = /^\s*([A-Za-z0-9_.\-/ ]+?)\s*(<=|>=)\s*([+-]?)(\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+)\s*(%?)\s*$/i.exec(expr);
  if (!m) {
    // `--threshold f1>=0.8` unquoted reaches us as `f1` (the shell made `>=0.8` a redirection to a file named "=0.8").
    const shell = /[<>]/.test(expr) ? "" : ` On a command line, quote it ('f1>=0.8'): unquoted, the shell reads > and < as redirections.`;
    throw new InvalidParameterValueError(`Invalid threshold '${expr}': expected e.g. rmse<=0.5, r2>=0.8, f1>=+0.01 or accuracy>=+2%.${shell}`);
  }
  const [, rawName, op, sign, num, pct] = m;
  const metric = metricKey(rawName.trim());
  const greaterIsBetter = op === ">=";
  const known = defaultGreaterIsBetter(metric);
  if (known !== undefined && known !== greaterIsBetter) {
    throw new InvalidParameterValueError(`Invalid threshold '${expr}': ${metric} is ${known ? "higher" : "lower"}-is-better; use '${known ? ">=" : "<="}'.`);
  }
  const t: MetricThreshold = { ...(into[metric] ?? {}), greaterIsBetter };
  const value = Number(num);
  if (pct) {
    if (!sign) throw new InvalidParameterValueError(`Invalid threshold '${expr}': a relative change needs a sign (e.g. >=+2%).`);
    t.minRelativeChange = value / 100;
  } else if (sign) t.minAbsoluteChange = value;
  else t.threshold = value;
  into[metric] = t;
  return into;
}

const fmt = (v: number): string => String(Number(v.toPrecision(12)));

/** MLflow's `validate_evaluation_results` as a report (it throws; callers decide here). */
export function validateMetrics(
  candidate: Record<string, number>,
  thresholds: Record<string, MetricThreshold>,
  baseline?: Record<string, number>,
): ValidationReport {
  const results: MetricValidation[] = [];
  const failures: string[] = [];
  for (const [rawName, t] of Object.entries(thresholds)) {
    const metric = metricKey(rawName);
    const gib = t.greaterIsBetter ?? defaultGreaterIsBetter(metric);
    if (gib === undefined) throw new InvalidParameterValueError(`Threshold for '${metric}': greaterIsBetter is required for this metric.`);
    if (t.minRelativeChange !== undefined && (t.minRelativeChange < 0 || t.minRelativeChange > 1)) {
      throw new InvalidParameterValueError(`Threshold for '${metric}': minRelativeChange must be between 0 and 1.`);
    }
    if (t.minAbsoluteChange !== undefined && t.minAbsoluteChange < 0) {
      throw new InvalidParameterValueError(`Threshold for '${metric}': minAbsoluteChange must be non-negative.`);
    }
    const cand = candidate[metric];
    const base = baseline?.[metric];
    const checks: ThresholdCheck[] = [];
    // A rounding-level slack, so that 0.85 passes "≥ 0.8 + 0.05" (0.8500000000000001 in binary).
    const better = (a: number, b: number) => {
      const slack = 1e-12 * Math.max(1, Math.abs(b));
      return gib ? a >= b - slack : a <= b + slack;
    };
    if (cand === undefined || Number.isNaN(cand)) {
      checks.push({ kind: "missing", passed: false, message: `Metric ${metric} is missing for the candidate model.` });
    } else {
      if (t.threshold !== undefined) {
        const passed = better(cand, t.threshold);
        checks.push({
          kind: "threshold",
          passed,
          message: `Metric ${metric} value threshold check ${passed ? "passed" : "failed"}: candidate model ${metric} = ${fmt(cand)}, ${metric} threshold = ${fmt(t.threshold)}.`,
        });
      }
      const changes: Array<["min_absolute_change" | "min_relative_change", number | undefined]> = [
        ["min_absolute_change", t.minAbsoluteChange],
        ["min_relative_change", t.minRelativeChange],
      ];
      for (const [kind, delta] of changes) {
        if (delta === undefined) continue;
        const what = kind === "min_absolute_change" ? "minimum absolute change" : "minimum relative change";
        if (baseline === undefined || base === undefined || Number.isNaN(base)) {
          checks.push({ kind, passed: false, message: `Metric ${metric} ${what} check failed: ${baseline ? "the baseline model has no such metric" : "no baseline model was given"}.` });
          continue;
        }
        let target: number;
        if (kind === "min_absolute_change") target = gib ? base + delta : base - delta;
        else if (base === 0) target = gib ? 1e-10 : -1e-10;
        else target = gib ? base * (1 + Math.sign(base) * delta) : base * (1 - Math.sign(base) * delta);
        const passed = better(cand, target);
        checks.push({
          kind,
          passed,
          message: `Metric ${metric} ${what} check ${passed ? "passed" : "failed"}: candidate model ${metric} = ${fmt(cand)}, baseline model ${metric} = ${fmt(base)}, ${metric} ${what} threshold = ${fmt(delta)}.`,
        });
      }
    }
    const passed = checks.every((c) => c.passed);
    for (const c of checks) if (!c.passed) failures.push(c.message);
    results.push({ metric, candidate: cand, baseline: base, greaterIsBetter: gib, passed, checks });
  }
  return { passed: failures.length === 0, results, failures };
}
