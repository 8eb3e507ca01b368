/**
 * Loads a local model folder (one holding `MLmodel`) with a flavor ciclo runs:
 * `onnx` (preferred when present) or `js_function`. URIs (`models:/`, `runs:/`,
 * `mlflow-artifacts:/`) are downloaded to a folder first by the SDK's `loadModel`.
 *
 * This is also what a worker thread calls with `model.reload` to get its own
 * copy of a model (see `loaded-model.ts`).
 * @module
 */
import { resolve } from "node:path";
import { InvalidParameterValueError } from "../shared/errors.js";
import { loadJsFunctionRunner, JS_FUNCTION } from "./js-function-flavor.js";
import { loadOnnxRunner } from "./onnx-flavor.js";
import type { FlavorName, LoadedModel, ModelLoadOptions } from "./loaded-model.js";
import { mlmodelSignature, readMlmodel } from "./mlmodel.js";
import type { ModelInput, ModelParams } from "./model-input.js";
import type { Schema } from "./model-signature.js";

/** The flavors ciclo runs in-process, in order of preference. */
export const IN_PROCESS_FLAVORS: readonly FlavorName[] = ["onnx", JS_FUNCTION];
const RUNNABLE = IN_PROCESS_FLAVORS;

function chooseFlavor(flavors: string[], wanted: FlavorName | undefined): FlavorName {
  if (wanted) {
    if (!flavors.includes(wanted)) throw new InvalidParameterValueError(`Model has no '${wanted}' flavor (flavors: ${flavors.join(", ")}).`);
    return wanted;
  }
  const found = RUNNABLE.find((f) => flavors.includes(f));
  if (found) return found;
  if (flavors.includes("python_function")) {
    // Serving and batch scoring choose the Python runtime for such a model before they get here; loadModel and
    // evaluation have no Python runtime, and "ciclo cannot run this model" would contradict `ciclo models serve`.
    throw new InvalidParameterValueError(
      `This model's flavors are ${flavors.join(", ")}: ciclo serves it (ciclo models serve, predict, deployments) through its Python runtime, ` +
        `but loadModel and ciclo models evaluate run only ${RUNNABLE.join(" and ")} models, in-process. ` +
        "Export the model to ONNX (e.g. skl2onnx) to evaluate it here, or evaluate it in Python with mlflow.evaluate (in a pipeline, a `run:` step).",
    );
  }
  throw new InvalidParameterValueError(
    `ciclo cannot run this model: its flavors are ${flavors.join(", ") || "none"}; ciclo runs ${RUNNABLE.join(" and ")} in-process. ` +
      "Export the model to ONNX, or wrap it as a js_function model.",
  );
}

export async function loadLocalModel(dir: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
  const path = resolve(dir);
  const mlmodel = await readMlmodel(path);
  const signature = mlmodelSignature(mlmodel);
  const flavor = chooseFlavor(Object.keys(mlmodel.flavors), options.flavor);
  const reload = { path, options: structuredClone(options) };
  if (flavor === "onnx") {
    const runner = await loadOnnxRunner(path, mlmodel.flavors.onnx, options.onnx);
    const inputSchema: Schema = signature?.inputs ?? { kind: "tensors", tensors: runner.inputs };
    return {
      mlmodel,
      signature,
      inputSchema,
      nativeSchema: { inputs: { kind: "tensors", tensors: runner.inputs }, outputs: { kind: "tensors", tensors: runner.outputs } },
      flavor,
      path,
      workerSafe: true,
      reload,
      predict: (input: ModelInput) => runner.predict(input),
      close: () => runner.close(),
    };
  }
  const runner = await loadJsFunctionRunner(path, mlmodel, signature);
  return {
    mlmodel,
    signature,
    inputSchema: signature?.inputs,
    flavor,
    path,
    workerSafe: runner.workerSafe,
    reload,
    predict: (input: ModelInput, params?: ModelParams) => runner.predict(input, params ?? {}),
    close: () => runner.close(),
  };
}
