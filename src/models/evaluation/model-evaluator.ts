/**
 * Runs a loaded model over evaluation data and computes its metrics. Data is a
 * CSV file (streamed in batches: memory stays bounded by the batch and the
 * per-row predictions), row objects, or a parsed ColumnsInput; the target
 * column is taken out and the rest validated against the model's signature.
 *
 * Which output holds the prediction: `predictionOutput` if given, else an
 * output named `label` / `predictions` / `variable` (or the only one);
 * classifier probabilities: `probabilityOutput`, else `probabilities` /
 * `probability` / `output_probability`, else a float output with ≥ 2 values per row.
 * @module
 */
import { createReadStream } from "node:fs";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { readCsvBatches } from "../csv-input.js";
import { recordsToColumns } from "../input-parser.js";
import { validateInput } from "../input-validator.js";
import type { LoadedModel } from "../loaded-model.js";
import type { ColumnsInput, TensorData } from "../model-input.js";
import type { ModelOutput } from "../model-output.js";
import { classifierMetrics, sortedLabels, type ConfusionMatrix, type Label } from "../metrics/classification-metrics.js";
import { regressorMetrics } from "../metrics/regression-metrics.js";

export type ModelType = "regressor" | "classifier";

/** Evaluation data: a CSV file path, row objects, or a parsed data frame. */
export type EvaluationData = string | Record<string, unknown>[] | ColumnsInput;

export interface MetricOptions {
  modelType: ModelType;
  /** The target column. */
  targets: string;
  predictionOutput?: string;
  probabilityOutput?: string;
  /** Class of each probability column (default: the sorted labels, when their count matches). */
  classLabels?: Label[];
  /** Positive class of a binary classifier (default: the larger label). */
  positiveLabel?: Label;
  /** Rows per model call (default 8192). */
  batchRows?: number;
}

export interface ModelMetrics {
  metrics: Record<string, number>;
  confusion?: ConfusionMatrix;
}

interface Named {
  name: string;
  data: TensorData | unknown[];
  width: number;
}

function outputsOf(out: ModelOutput, rows: number): Named[] {
  switch (out.kind) {
    case "columns":
      return out.columns.map((c) => ({ name: c.name, data: c.data, width: c.width }));
    case "tensors":
      return out.tensors.map((t, i) => ({ name: t.name ?? String(i), data: t.data, width: rows === 0 ? 1 : t.data.length / rows }));
    case "rows":
      return [{ name: "predictions", data: out.rows as unknown[], width: 1 }];
    case "value":
      throw new InvalidParameterValueError("The model returned a value that is not one prediction per row; it cannot be evaluated.");
  }
}

function pick(outs: Named[], wanted: string | undefined, names: string[], fallback: (o: Named) => boolean, what: string): Named | undefined {
  if (wanted) {
    const o = outs.find((x) => x.name === wanted);
    if (!o) throw new InvalidParameterValueError(`The model has no output '${wanted}' (outputs: ${outs.map((x) => x.name).join(", ")}).`);
    return o;
  }
  return outs.find((o) => names.includes(o.name)) ?? (outs.length === 1 && what === "prediction" ? outs[0] : outs.find(fallback));
}

const isFloat = (d: Named["data"]) => d instanceof Float32Array || d instanceof Float64Array;

async function* batchesOf(data: EvaluationData, batchRows: number): AsyncGenerator<ColumnsInput> {
  if (typeof data === "string") {
    yield* readCsvBatches(createReadStream(data), batchRows);
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i += batchRows) yield recordsToColumns(data.slice(i, i + batchRows), "data");
  } else yield data;
}

function toLabel(v: unknown): Label {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new InvalidParameterValueError(`Cannot use ${JSON.stringify(v)} as a class label.`);
}

export async function computeModelMetrics(model: LoadedModel, data: EvaluationData, opts: MetricOptions): Promise<ModelMetrics> {
  const yTrue: unknown[] = [];
  const yPred: unknown[] = [];
  const proba: number[] = [];
  let probaWidth = 0;
  for await (const batch of batchesOf(data, opts.batchRows ?? 8192)) {
    const target = batch.columns.find((c) => c.name === opts.targets);
    if (!target) throw new InvalidParameterValueError(`The data has no target column '${opts.targets}' (columns: ${batch.columns.map((c) => c.name).join(", ")}).`);
    const features: ColumnsInput = { ...batch, columns: batch.columns.filter((c) => c !== target) };
    const out = await model.predict(validateInput(features, model.inputSchema));
    const outs = outputsOf(out, batch.rowCount);
    const t = target.values as ArrayLike<unknown>;
    for (let i = 0; i < batch.rowCount; i++) yTrue.push(t[i]);
    if (opts.modelType === "regressor") {
      const o = pick(outs, opts.predictionOutput, ["variable", "predictions", "prediction"], (x) => x.width === 1, "prediction");
      if (!o || o.width !== 1) throw new InvalidParameterValueError("The model gives no single-value output per row to use as the regression prediction; pass predictionOutput.");
      for (let i = 0; i < batch.rowCount; i++) yPred.push((o.data as ArrayLike<unknown>)[i]);
      continue;
    }
    const p = pick(outs, opts.probabilityOutput, ["probabilities", "probability", "output_probability"], (x) => isFloat(x.data) && x.width >= 2, "probability");
    const l = pick(outs.filter((x) => x !== p), opts.predictionOutput, ["label", "output_label", "predictions", "prediction"], (x) => x.width === 1, "prediction");
    if (p) {
      probaWidth = p.width;
      for (let i = 0; i < p.data.length; i++) proba.push(Number((p.data as ArrayLike<unknown>)[i]));
    }
    if (l) for (let i = 0; i < batch.rowCount; i++) yPred.push((l.data as ArrayLike<unknown>)[i]);
    else if (!p) throw new InvalidParameterValueError("The model gives neither labels nor probabilities; pass predictionOutput.");
  }
  if (opts.modelType === "regressor") {
    const num = (v: unknown, what: string, i: number) => {
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number" || Number.isNaN(n)) throw new InvalidParameterValueError(`${what} at row ${i} is not a number: ${JSON.stringify(v)}.`);
      return n;
    };
    return { metrics: { ...regressorMetrics(yTrue.map((v, i) => num(v, `Target '${opts.targets}'`, i)), yPred.map((v, i) => num(v, "Prediction", i))) } };
  }
  const truth = yTrue.map(toLabel);
  let classes = opts.classLabels;
  if (!classes && probaWidth > 0) {
    const fromTruth = sortedLabels(truth);
    const fromBoth = sortedLabels(truth, yPred.map(toLabel));
    classes = fromBoth.length === probaWidth ? fromBoth : fromTruth.length === probaWidth ? fromTruth : Array.from({ length: probaWidth }, (_, i) => i);
  }
  const preds =
    yPred.length > 0
      ? yPred.map(toLabel)
      : truth.map((_, r) => {
          let best = 0;
          for (let c = 1; c < probaWidth; c++) if (proba[r * probaWidth + c] > proba[r * probaWidth + best]) best = c;
          return classes![best];
        });
  const { metrics, confusion } = classifierMetrics({
    yTrue: truth,
    yPred: preds,
    ...(probaWidth > 0 ? { proba, classes } : {}),
    ...(opts.positiveLabel !== undefined ? { positiveLabel: opts.positiveLabel } : {}),
  });
  return { metrics, confusion };
}
