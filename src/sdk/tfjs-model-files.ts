/**
 * What tfjs autolog records about a model: its params (optimizer, fit
 * arguments, layers) and its files — `model.json` + `weights.bin` in the
 * layout `tf.loadLayersModel("file://…/model.json")` and tfjs-node's
 * `file://` saver use, written by a custom `tf.io` save handler so no
 * tfjs-node (and no native addon) is needed.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TfLayersModel, TfModelArtifacts, TfNamespace, TfSaveResult } from "./tfjs-types.js";

const WEIGHTS_FILE = "weights.bin";

/** camelCase → snake_case (tfjs configs are camelCase; MLflow's Keras autolog params are snake_case). */
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The fit arguments as MLflow's Keras autolog names them. */
export function fitParams(kind: "fit" | "fitDataset", args: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { epochs: num(args.epochs, 1), initial_epoch: num(args.initialEpoch, 0) };
  if (kind === "fit") {
    out.batch_size = num(args.batchSize, 32); // tfjs's default
    out.validation_split = num(args.validationSplit, 0);
    out.shuffle = args.shuffle === undefined ? true : String(args.shuffle);
    if (args.stepsPerEpoch != null) out.steps_per_epoch = num(args.stepsPerEpoch, 0);
    if (args.validationSteps != null) out.validation_steps = num(args.validationSteps, 0);
  } else {
    if (args.batchesPerEpoch != null) out.batches_per_epoch = num(args.batchesPerEpoch, 0);
    if (args.validationBatches != null) out.validation_batches = num(args.validationBatches, 0);
  }
  if (args.validationData != null) out.validation_data = "given";
  if (args.classWeight != null) out.class_weight = JSON.stringify(args.classWeight);
  return out;
}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** Optimizer name and config, loss, compiled metrics, layers and parameter counts. */
export function modelParams(model: TfLayersModel): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const opt = model.optimizer;
  if (opt) {
    out.optimizer_name = opt.getClassName();
    for (const [k, v] of Object.entries(opt.getConfig() ?? {})) {
      if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out[`opt_${snake(k)}`] = String(v);
    }
  }
  if (model.loss !== undefined) out.loss = lossName(model.loss);
  const metrics = (model.metricsNames ?? []).filter((m) => m !== "loss");
  if (metrics.length) out.metrics = metrics.join(",");
  out.layers = layerSummary(model).slice(0, 6000);
  out.num_layers = model.layers.length;
  out.total_params = model.countParams();
  out.trainable_params = (model.trainableWeights ?? []).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  return out;
}

function lossName(loss: unknown): string {
  if (typeof loss === "string") return loss;
  if (typeof loss === "function") return loss.name || "custom";
  if (Array.isArray(loss)) return loss.map(lossName).join(",");
  if (loss && typeof loss === "object") return Object.entries(loss).map(([k, v]) => `${k}:${lossName(v)}`).join(",");
  return String(loss);
}

/** One line: `Dense[4,relu] → Dropout[0.2] → Dense[1]` (units or rate, activation). */
function layerSummary(model: TfLayersModel): string {
  return model.layers
    .filter((l) => l.getClassName() !== "InputLayer")
    .map((l) => {
      const c = l.getConfig?.() ?? {};
      const bits = [c.units, c.filters, c.rate, c.activation && c.activation !== "linear" ? c.activation : undefined].filter((b) => b !== undefined && b !== null);
      return `${l.getClassName()}${bits.length ? `[${bits.join(",")}]` : ""}`;
    })
    .join(" → ");
}

/** `model.summary()` as text (its printFn is called once per line). */
export function summaryText(model: TfLayersModel): string {
  const lines: string[] = [];
  model.summary(undefined, undefined, (line?: unknown) => lines.push(String(line ?? "")));
  return `${lines.join("\n")}\n`;
}

/** Saves `model` into `dir` as model.json + weights.bin; returns the file names written. */
export async function saveModelFiles(tf: TfNamespace, model: TfLayersModel, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const handler = tf.io.withSaveHandler(async (a: TfModelArtifacts): Promise<TfSaveResult> => {
    const weights = joinWeights(tf, a.weightData);
    const json: Record<string, unknown> = {
      modelTopology: a.modelTopology,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy ?? null,
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: a.weightSpecs ?? [] }],
    };
    if (a.trainingConfig !== undefined) json.trainingConfig = a.trainingConfig;
    if (a.signature !== undefined) json.signature = a.signature;
    if (a.userDefinedMetadata !== undefined) json.userDefinedMetadata = a.userDefinedMetadata;
    const text = JSON.stringify(json);
    writeFileSync(join(dir, "model.json"), text);
    writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(a.modelTopology ?? null)),
        weightSpecsBytes: Buffer.byteLength(JSON.stringify(a.weightSpecs ?? [])),
        weightDataBytes: weights.byteLength,
      },
    };
  });
  await model.save(handler);
  return ["model.json", WEIGHTS_FILE];
}

/** tfjs 4.x may hand the weights as several buffers (large models); one file holds them all. */
function joinWeights(tf: TfNamespace, data: ArrayBuffer | ArrayBuffer[] | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  if (tf.io.CompositeArrayBuffer) return tf.io.CompositeArrayBuffer.join(data);
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}
