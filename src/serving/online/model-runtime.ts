/**
 * The seam between the scoring server and what runs a model. A runtime says
 * which models it serves (from the MLmodel file's flavors) and starts an
 * {@link InferenceExecutor} for one: the server's batching, protocols,
 * metrics and draining are the same whatever runs behind it.
 *
 * Two runtimes: `in-process` (worker threads for ONNX and js_function
 * models) and `python` (a pool of Python worker processes running MLflow's
 * `pyfunc` loader, for every other model MLflow can load). The MLmodel file
 * picks one; `--runtime` overrides.
 * @module
 */
import { IN_PROCESS_FLAVORS, type MlModel } from "../../models/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { startExecutor, type ExecutorOptions, type InferenceExecutor } from "./inference-executor.js";
import { startPythonExecutor, type PythonRuntimeOptions } from "./python-runtime.js";

export const RUNTIME_NAMES = ["in-process", "python"] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export interface ModelRuntime {
  /** For logs and errors: `in-process`, `python`. */
  readonly name: RuntimeName;
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

/** Any model with a python_function flavor, in Python worker processes. */
export function pythonRuntime(opts: PythonRuntimeOptions = {}): ModelRuntime {
  return {
    name: "python",
    canServe: (mlmodel) => "python_function" in mlmodel.flavors,
    start: (o) => startPythonExecutor(o, opts),
  };
}

export interface RuntimeChoice {
  /** `--runtime`: force one (default: from the MLmodel file). */
  runtime?: RuntimeName;
  python?: PythonRuntimeOptions;
}

/**
 * The runtime for `mlmodel`: the one `--runtime` names, else in-process for
 * onnx/js_function models, else Python for python_function ones. With none,
 * the in-process runtime: its loader refuses the model with the message that
 * says what ciclo runs.
 */
export function chooseRuntime(mlmodel: MlModel, choice: RuntimeChoice = {}): ModelRuntime {
  const runtimes = [inProcessRuntime, pythonRuntime(choice.python)];
  if (choice.runtime) {
    const r = runtimes.find((x) => x.name === choice.runtime);
    if (!r) throw new InvalidParameterValueError(`Unknown runtime '${choice.runtime}': use ${RUNTIME_NAMES.join(" or ")}.`);
    if (r.name === "python" && !r.canServe(mlmodel)) {
      throw new InvalidParameterValueError(`--runtime python needs a model with a python_function flavor; this one has ${Object.keys(mlmodel.flavors).join(", ") || "none"}.`);
    }
    return r;
  }
  return runtimes.find((r) => r.canServe(mlmodel)) ?? inProcessRuntime;
}
