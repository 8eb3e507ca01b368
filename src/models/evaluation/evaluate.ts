/**
 * `evaluate(modelUri, data, options)`: MLflow's `mlflow.evaluate` +
 * `validate_evaluation_results` for ciclo's flavors. Loads the model (and a
 * baseline such as `models:/name@champion`), computes the standard metrics on
 * the same data, checks thresholds, and logs everything to a run:
 *
 * - metrics (MLflow's names: `root_mean_squared_error`, `f1_score`, …);
 * - `confusion_matrix.png` / `confusion_matrix.json` (classifiers);
 * - `evaluation_report.json` (metrics, baseline metrics, validation report);
 * - tags `ciclo.evaluation.model_uri`, `ciclo.evaluation.baseline_uri`, `ciclo.evaluation.passed`.
 *
 * The returned report's `passed` is false when a threshold fails (the CLI then exits 1).
 * @module
 */
import type { ArtifactClient } from "../../sdk/artifact-client.js";
import { getCiclo } from "../../sdk/fluent.js";
import { loadModel } from "../../sdk/model-client.js";
import { getOrCreateExperiment } from "../../sdk/run-starter.js";
import type { ConfusionMatrix } from "./classification-metrics.js";
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
  client?: ArtifactClient;
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

async function metricsOf(uri: string, data: EvaluationData, opts: EvaluateOptions, client: ArtifactClient | undefined) {
  const model = await loadModel(uri, client ? { client } : {});
  try {
    return await computeModelMetrics(model.loaded, data, opts);
  } finally {
    await model.close();
  }
}

export async function evaluate(modelUri: string, data: EvaluationData, opts: EvaluateOptions): Promise<EvaluationReport> {
  const logging = opts.log !== false;
  const client = opts.client ?? (logging || /^(models|runs|mlflow-artifacts):/i.test(modelUri) || /^(models|runs|mlflow-artifacts):/i.test(opts.baseline ?? "") ? getCiclo().artifacts : undefined);
  const candidate = await metricsOf(modelUri, data, opts, client);
  const baseline = opts.baseline ? await metricsOf(opts.baseline, data, opts, client) : undefined;
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
  if (logging && client) await logReport(report, opts, client);
  return report;
}

async function logReport(report: EvaluationReport, opts: EvaluateOptions, client: ArtifactClient): Promise<void> {
  const tracking = client.tracking;
  let runId = opts.runId;
  const created = runId === undefined;
  if (!runId) {
    const experimentId = opts.experimentName ? (await getOrCreateExperiment(tracking, opts.experimentName)).experimentId : "0";
    runId = (await tracking.createRun({ experimentId, runName: opts.runName ?? "evaluation" })).info.runId;
  }
  report.runId = runId;
  let status: "FINISHED" | "FAILED" = "FAILED";
  try {
    const now = Date.now();
    const tags: Record<string, string> = { "ciclo.evaluation.model_uri": report.modelUri, "ciclo.evaluation.model_type": report.modelType };
    if (report.baselineUri) tags["ciclo.evaluation.baseline_uri"] = report.baselineUri;
    if (report.validation) tags["ciclo.evaluation.passed"] = String(report.passed);
    await tracking.logBatch(runId, {
      metrics: Object.entries(report.metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    if (report.confusionMatrix) {
      report.artifacts.push(await client.logImage(runId, renderConfusionMatrixPng(report.confusionMatrix), "confusion_matrix.png"));
      report.artifacts.push(await client.logDict(runId, report.confusionMatrix, "confusion_matrix.json"));
    }
    const { artifacts: _a, ...body } = report;
    void _a;
    report.artifacts.push("evaluation_report.json");
    await client.logDict(runId, body, "evaluation_report.json");
    status = "FINISHED";
  } finally {
    if (created) await tracking.updateRun(runId, { status, endTime: Date.now() });
  }
}
