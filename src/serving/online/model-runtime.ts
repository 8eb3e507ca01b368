/**
 * The seam between the scoring server and what runs a model. A runtime says
 * which models it serves (from the MLmodel file's flavors) and starts an
 * {@link InferenceExecutor} for one: the server's batching, protocols,
 * metrics and draining are the same whatever runs behind it.
 *
 * Today one runtime exists: in-process worker threads for ONNX and
 * js_function models. A Python runtime (a managed worker process for
 * python_function models) is added to {@link SCORING_RUNTIMES}, first or last
 * by preference, without touching the server.
 * @module
 */
import { IN_PROCESS_FLAVORS, type MlModel } from "../../models/index.js";
import { startExecutor, type ExecutorOptions, type InferenceExecutor } from "./inference-executor.js";

export interface ModelRuntime {
  /** For logs and errors: `in-process`, `python`. */
  readonly name: string;
  /** Whether this runtime can serve a model with this MLmodel file. */
  canServe(mlmodel: MlModel): boolean;
  /** Loads the model (warm) and returns what scores batches of requests. */
  start(opts: ExecutorOptions): Promise<InferenceExecutor>;
}

/** ONNX and js_function models on worker threads in this process (one warm model per thread). */
const inProcessRuntime: ModelRuntime = {
  name: "in-process",
  canServe: (mlmodel) => IN_PROCESS_FLAVORS.some((f) => f in mlmodel.flavors),
  start: startExecutor,
};

/** The runtimes the scoring server tries, in order. */
const SCORING_RUNTIMES: readonly ModelRuntime[] = [inProcessRuntime];

/**
 * The first runtime that serves `mlmodel`. With none, the in-process runtime:
 * its loader refuses the model with the message that says what ciclo runs.
 */
export function chooseRuntime(mlmodel: MlModel, runtimes: readonly ModelRuntime[] = SCORING_RUNTIMES): ModelRuntime {
  return runtimes.find((r) => r.canServe(mlmodel)) ?? inProcessRuntime;
}
