/**
 * What a loaded model exposes to its callers — the SDK's `loadModel`, the
 * scoring server, batch scoring, evaluation — whatever its flavor.
 *
 * The calling sequence for a request is:
 * ```ts
 * const model = await loadLocalModel(dir);                       // ./model-loader.ts
 * const { input, params } = parseJsonRequest(body, model.inputSchema); // ./input-parser.ts (or parseCsv…)
 * const valid = validateInput(input, model.inputSchema);          // ./input-validator.ts (400-style errors)
 * const out = await model.predict(valid, validateParams(params, model.signature?.params));
 * reply.send({ predictions: toPredictions(out) });                 // ./model-output.ts
 * ```
 * `predict` takes input that is already parsed and validated; flavors only
 * adapt it (e.g. stack columns into the ONNX input tensor).
 *
 * Worker threads: a model is loaded again inside each worker from its local
 * folder — `loadLocalModel(model.reload.path, model.reload.options)` — since
 * neither ONNX sessions nor user modules can be passed between threads. Inputs
 * and outputs are structured-cloneable, so they can be posted as they are.
 * When running from source (not dist/), the worker must register tsx first
 * (`(await import("tsx/esm/api")).register()`), as `bin/ciclo.js` does;
 * `js-function.test.ts` has a working example.
 * @module
 */
import type { MlModel } from "./mlmodel.js";
import type { ModelInput, ModelParams } from "./model-input.js";
import type { ModelOutput } from "./model-output.js";
import type { ModelSignature, Schema } from "./model-signature.js";

/** Flavors ciclo serves: onnx and js_function in-process; python_function through a Python worker process (src/serving/python/). */
export type FlavorName = "onnx" | "js_function" | "python_function";

export interface OnnxLoadOptions {
  /** ONNX output names to compute (default: every tensor output; ZipMap/sequence outputs are refused). */
  outputNames?: string[];
  /** Threads for one inference (ORT intra-op; default 1, which suits a server batching on 2 cores). */
  intraOpNumThreads?: number;
}

/** Options for loading a model folder. Plain data: they are posted to worker threads with the path. */
export interface ModelLoadOptions {
  /** Which flavor to use when the package has several ciclo can run (default: onnx, then js_function). */
  flavor?: FlavorName;
  onnx?: OnnxLoadOptions;
}

/** Everything a worker thread needs to load the same model again. */
export interface ModelReloadSpec {
  /** Absolute path of the local model folder (the one holding `MLmodel`). */
  path: string;
  options: ModelLoadOptions;
}

export interface LoadedModel {
  /** The MLmodel file as read (unknown fields kept). */
  readonly mlmodel: MlModel;
  /** The parsed `signature:` block, if the package has one. */
  readonly signature: ModelSignature | undefined;
  /**
   * The schema requests are parsed and validated against: the signature's
   * inputs, else what the flavor knows (an ONNX model's input tensors), else undefined.
   */
  readonly inputSchema: Schema | undefined;
  /**
   * The tensors the model file itself declares (ONNX: the graph's inputs and
   * outputs), whatever the signature says — so a protocol that describes
   * tensors (the Open Inference Protocol's /v2) gives one interface per model
   * file, whether or not an input example (and with it a column signature)
   * was logged. Undefined for flavors without declared tensors.
   */
  readonly nativeSchema?: { inputs: Schema; outputs: Schema };
  readonly flavor: FlavorName;
  /** Local folder the model was loaded from. */
  readonly path: string;
  /**
   * True when the model may be loaded and run inside a worker thread (ONNX:
   * yes; js_function: unless its module exports `workerSafe = false`).
   */
  readonly workerSafe: boolean;
  readonly reload: ModelReloadSpec;
  /** Runs the model on parsed, validated input. Rejects with BAD_REQUEST-coded errors for bad input. */
  predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput>;
  /** Frees the session / calls the module's `close()` if it has one. */
  close(): Promise<void>;
}
