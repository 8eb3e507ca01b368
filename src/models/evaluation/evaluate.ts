/**
 * Evaluate a model and log the results to a run: MLflow's `mlflow.evaluate` +
 * `validate_evaluation_results` for ciclo's flavors. Loads the model (and a
 * baseline such as `models:/name@champion`), computes the standard metrics on
 * the same data, checks thresholds, and logs everything to a run:
 *
 * - metrics (MLflow's names: `root_mean_squared_error`, `f1_score`, …);
 * - `confusion_matrix.png` / `confusion_matrix.json` (classifiers);
 * - `evaluation_report.json` (metrics, baseline metrics, validation report);
 * - tags `ciclo.evaluation.model_uri`, `ciclo.evaluation.baseline_uri`, `ciclo.evaluation.passed`.
 *
 * How models are loaded and where results are logged are passed in
 * ({@link EvaluationDeps}): the SDK's `evaluate` logs through the REST API
 * (sdk/model-evaluation.ts); a server-side pipeline step can pass its own.
 * The returned report's `passed` is false when a threshold fails (the CLI then exits 1).
 * @module
 */
import type { LoadedModel } from "../loaded-model.js";
import type { ConfusionMatrix } from "../metrics/classification-metrics.js";
import { renderConfusionMatrixPng } from "./confusion-matrix-png.js";
import { validateMetrics, type MetricThreshold, type ValidationReport } from "./metric-thresholds.js";
import { computeModelMetrics, type EvaluationData, type MetricOptions } from "./model-evaluator.js";

export interface EvaluateOptions extends MetricOptions {
  /** Baseline model URI for relative thresholds (e.g. `models:/churn@champion`). */
  baseline?: string;
  thresholds?: Record<string, MetricThreshold>;
  /** Log to this run (default: a new run, ended when done). */
  runId?: string;
  /** Experiment of the new run (default: the server's Default experiment). */
  experimentName?: string;
  runName?: string;
  /** false: compute and validate only, log nothing (no server needed for local models). */
  log?: boolean;
}

/** Where an evaluation's results are logged: a run of the tracking server. */
export interface EvaluationRunLog {
  /** Creates a run in `experimentName` (the Default experiment when absent) and returns its id. */
  createRun(experimentName: string | undefined, runName: string): Promise<string>;
  logBatch(runId: string, metrics: Array<{ key: string; value: number; timestamp: number; step: number }>, tags: Array<{ key: string; value: string }>): Promise<void>;
  /** Logs a file and returns its artifact path. */
  logImage(runId: string, png: Uint8Array, path: string): Promise<string>;
  logDict(runId: string, value: unknown, path: string): Promise<string>;
  endRun(runId: string, status: "FINISHED" | "FAILED"): Promise<void>;
}

export interface EvaluationDeps {
  /** Opens a model by URI; `close` frees what loading it took (a downloaded copy). */
  loadModel(uri: string): Promise<{ loaded: LoadedModel; close(): Promise<void> }>;
  /** Required unless `opts.log` is false. */
  runLog?: EvaluationRunLog;
}

export interface EvaluationReport {
  modelUri: string;
  modelType: MetricOptions["modelType"];
  metrics: Record<string, number>;
  confusionMatrix?: ConfusionMatrix;
  baselineUri?: string;
  baselineMetrics?: Record<string, number>;
  validation?: ValidationReport;
  /** False when a threshold check failed. */
  passed: boolean;
  /** The run the results were logged to. */
  runId?: string;
  artifacts: string[];
}

async function metricsOf(deps: EvaluationDeps, uri: string, data: EvaluationData, opts: EvaluateOptions) {
  const model = await deps.loadModel(uri);
  try {
    return await computeModelMetrics(model.loaded, data, opts);
  } finally {
    await model.close();
  }
}

export async function evaluateModel(deps: EvaluationDeps, modelUri: string, data: EvaluationData, opts: EvaluateOptions): Promise<EvaluationReport> {
  const candidate = await metricsOf(deps, modelUri, data, opts);
  const baseline = opts.baseline ? await metricsOf(deps, opts.baseline, data, opts) : undefined;
  const validation = opts.thresholds && Object.keys(opts.thresholds).length > 0 ? validateMetrics(candidate.metrics, opts.thresholds, baseline?.metrics) : undefined;
  const report: EvaluationReport = {
    modelUri,
    modelType: opts.modelType,
    metrics: candidate.metrics,
    ...(candidate.confusion ? { confusionMatrix: candidate.confusion } : {}),
    ...(opts.baseline ? { baselineUri: opts.baseline, baselineMetrics: baseline!.metrics } : {}),
    ...(validation ? { validation } : {}),
    passed: validation?.passed ?? true,
    artifacts: [],
  };
  if (opts.log !== false) {
    if (!deps.runLog) throw new Error("evaluateModel: logging was asked for, but no run log was given");
    await logReport(report, opts, deps.runLog);
  }
  return report;
}

async function logReport(report: EvaluationReport, opts: EvaluateOptions, log: EvaluationRunLog): Promise<void> {
  let runId = opts.runId;
  const created = runId === undefined;
  if (!runId) runId = await log.createRun(opts.experimentName, opts.runName ?? "evaluation");
  report.runId = runId;
  let status: "FINISHED" | "FAILED" = "FAILED";
  try {
    const now = Date.now();
    const tags: Record<string, string> = { "ciclo.evaluation.model_uri": report.modelUri, "ciclo.evaluation.model_type": report.modelType };
    if (report.baselineUri) tags["ciclo.evaluation.baseline_uri"] = report.baselineUri;
    if (report.validation) tags["ciclo.evaluation.passed"] = String(report.passed);
    await log.logBatch(
      runId,
      Object.entries(report.metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })),
      Object.entries(tags).map(([key, value]) => ({ key, value })),
    );
    if (report.confusionMatrix) {
      report.artifacts.push(await log.logImage(runId, renderConfusionMatrixPng(report.confusionMatrix), "confusion_matrix.png"));
      report.artifacts.push(await log.logDict(runId, report.confusionMatrix, "confusion_matrix.json"));
    }
    const { artifacts: _a, ...body } = report;
    void _a;
    report.artifacts.push("evaluation_report.json");
    await log.logDict(runId, body, "evaluation_report.json");
    status = "FINISHED";
  } finally {
    if (created) await log.endRun(runId, status);
  }
}
