/**
 * A monitor, as stored and as sent over the wire (snake_case, like the rest
 * of ciclo's API): what it watches, how often, against which reference, the
 * checks with their thresholds, and the alert rules. Validation of every
 * field happens here, once, so a bad spec is refused whole.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { STAT_TESTS, type StatTestId } from "../drift/stat-tests.js";

export interface MonitorTarget {
  /** The registered model; may be left out when `endpoint` names what is watched (every model it serves). */
  model_name?: string;
  /** A fixed version; or `model_alias` resolved through the registry on each run; or neither (every version). */
  model_version?: string;
  model_alias?: string;
  endpoint?: string;
  deployment?: string;
  /** A named dataset window: the rows batch scoring logged with `--log-to-monitor <name>`. */
  dataset?: string;
}

export interface DriftCheck {
  columns?: string[];
  tests?: Record<string, StatTestId>;
  thresholds?: Record<string, number>;
  threshold?: number;
  drift_share?: number;
}

export interface PerformanceCheck {
  task: "classification" | "regression";
  /** The prediction column in the inference rows (`prediction`, `prediction.label`). */
  prediction_column: string;
  /** The positive class's probability column, for CBPE on binary classifiers. */
  proba_column?: string;
  positive_label?: string | number;
  /** Bounds per metric name (`accuracy_score`, `cbpe.accuracy`, `mean_absolute_error`): flagged outside them. */
  thresholds?: Record<string, { min?: number; max?: number }>;
}

export interface OperationsCheck {
  max_latency_p95_ms?: number;
  max_error_rate?: number;
  min_requests?: number;
}

export type AlertCondition = "dataset_drift" | "column_drift" | "performance" | "operations" | "any";
export const ALERT_CONDITIONS: readonly AlertCondition[] = ["dataset_drift", "column_drift", "performance", "operations", "any"];
export type WebhookFormat = "slack" | "teams" | "generic";

export interface AlertRule {
  name: string;
  when: AlertCondition;
  webhook?: { url: string; secret?: string; format?: WebhookFormat };
  /** A new incident of this rule opens at most once per cool-down (default 3600 s). */
  cooldown_seconds?: number;
  /** Enqueues a job (default type `pipelines.run`) with the flagged window as its input. */
  action?: { job_type?: string; pipeline: string; params?: Record<string, unknown> };
}

export interface MonitorSpec {
  target: MonitorTarget;
  window_seconds: number;
  every_seconds: number;
  /** Path of a reference profile in the artifact store (`POST /monitoring/references` stores one). */
  reference_profile?: string;
  drift?: DriftCheck;
  performance?: PerformanceCheck;
  operations?: OperationsCheck;
  alerts?: AlertRule[];
}

/** The job type the pipelines capability owns; a rule's action enqueues it unless it names another. */
export const RETRAIN_JOB_TYPE = "pipelines.run";
export const DEFAULT_COOLDOWN_SECONDS = 3600;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function bad(msg: string): never {
  throw new InvalidParameterValueError(msg);
}

function positiveInt(v: unknown, what: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) bad(`${what} must be an integer between 1 and ${max}; got ${JSON.stringify(v)}.`);
  return v;
}

function checkUrl(url: string, rule: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    bad(`Alert rule '${rule}': webhook url '${url}' is not a URL.`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") bad(`Alert rule '${rule}': a webhook url is http(s); got '${u.protocol}'.`);
  if (u.username || u.password) bad(`Alert rule '${rule}': put no credentials in a webhook url; use the rule's secret.`);
}

/** Checks a spec (from a request body) field by field; returns it unchanged or throws INVALID_PARAMETER_VALUE. */
export function validateMonitorSpec(spec: MonitorSpec): MonitorSpec {
  const t = spec.target;
  if (!t || typeof t !== "object") bad("A monitor needs a target: {model_name} or {endpoint, deployment}.");
  for (const k of ["model_name", "model_version", "model_alias", "endpoint", "deployment", "dataset"] as const) {
    const v = t[k];
    if (v !== undefined && (typeof v !== "string" || v === "")) bad(`target.${k} must be a non-empty string; got ${JSON.stringify(v)}.`);
  }
  if (t.deployment !== undefined && t.endpoint === undefined) bad(`target.deployment '${t.deployment}' needs its endpoint (target.endpoint).`);
  if (t.model_name === undefined && t.endpoint === undefined && t.dataset === undefined) {
    bad("A monitor's target needs a model_name, an endpoint (with its deployment) to watch whatever it serves, or a dataset (batch scoring's --log-to-monitor name).");
  }
  if (t.dataset !== undefined && t.endpoint !== undefined) bad("A monitor's target is an endpoint or a dataset, not both.");
  if ((t.model_version !== undefined || t.model_alias !== undefined) && t.model_name === undefined) bad("target.model_version and target.model_alias need target.model_name.");
  if (t.model_version !== undefined && t.model_alias !== undefined) bad("A monitor's target takes model_version or model_alias, not both.");
  positiveInt(spec.window_seconds, "window_seconds", 366 * 86_400);
  positiveInt(spec.every_seconds, "every_seconds", 366 * 86_400);
  if (spec.reference_profile !== undefined && (spec.reference_profile.includes("..") || spec.reference_profile.startsWith("/"))) {
    bad(`reference_profile '${spec.reference_profile}' must be a relative path in the artifact store.`);
  }
  for (const [col, test] of Object.entries(spec.drift?.tests ?? {})) {
    if (!(test in STAT_TESTS)) bad(`Unknown drift test '${test}' for column '${col}'; use one of ${Object.keys(STAT_TESTS).join(", ")}.`);
  }
  const th = [spec.drift?.threshold, spec.drift?.drift_share, ...Object.values(spec.drift?.thresholds ?? {})];
  for (const v of th) if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) bad(`Drift thresholds are non-negative numbers; got ${JSON.stringify(v)}.`);
  const p = spec.performance;
  if (p && p.task !== "classification" && p.task !== "regression") bad(`performance.task is 'classification' or 'regression'; got '${String(p.task)}'.`);
  if (p && !p.prediction_column) bad("performance.prediction_column names the prediction column (e.g. 'prediction').");
  const names = new Set<string>();
  for (const r of spec.alerts ?? []) {
    if (!NAME.test(r.name ?? "")) bad(`Alert rule names are 1-128 letters, digits, '.', '_' or '-'; got '${r.name}'.`);
    if (names.has(r.name)) bad(`Alert rule '${r.name}' appears twice.`);
    names.add(r.name);
    if (!ALERT_CONDITIONS.includes(r.when)) bad(`Alert rule '${r.name}': 'when' is one of ${ALERT_CONDITIONS.join(", ")}.`);
    if (r.webhook) {
      checkUrl(r.webhook.url, r.name);
      if (r.webhook.format && !["slack", "teams", "generic"].includes(r.webhook.format)) bad(`Alert rule '${r.name}': webhook format is slack, teams or generic.`);
    }
    if (r.cooldown_seconds !== undefined) positiveInt(r.cooldown_seconds, `Alert rule '${r.name}': cooldown_seconds`, 366 * 86_400);
    if (r.action && (typeof r.action.pipeline !== "string" || r.action.pipeline === "")) bad(`Alert rule '${r.name}': an action names its pipeline.`);
  }
  return spec;
}

/** The spec as the API shows it: webhook secrets are never sent back. */
export function redactSpec(spec: MonitorSpec): MonitorSpec {
  if (!spec.alerts) return spec;
  return {
    ...spec,
    alerts: spec.alerts.map((r) => (r.webhook?.secret ? { ...r, webhook: { ...r.webhook, secret: "***" } } : r)),
  };
}
