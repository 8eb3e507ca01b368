/**
 * A model served by one Python worker process, with the face every flavor
 * has ({@link LoadedModel}): the front parses and validates requests against
 * the MLmodel's signature as for any model, and `predict` sends the parsed
 * batch to the worker, where MLflow's own `pyfunc` loader runs it.
 * @module
 */
import { resolve } from "node:path";
import { mlmodelSignature, readMlmodel, type LoadedModel, type ModelInput, type ModelParams } from "../../models/index.js";
import type { PythonEnvironment } from "./python-environment.js";
import { PythonWorkerProcess, type PythonWorkerInfo, type PythonWorkerOptions } from "./python-worker-process.js";

export const PYTHON_FUNCTION = "python_function";

export interface PythonModel extends LoadedModel {
  readonly worker: PythonWorkerProcess;
  readonly workerInfo: PythonWorkerInfo;
}

/** Starts a worker for the model folder `dir` in `env`; resolves once the model is loaded there. */
export async function loadPythonModel(dir: string, env: PythonEnvironment, opts: PythonWorkerOptions = {}): Promise<PythonModel> {
  const path = resolve(dir);
  const mlmodel = await readMlmodel(path);
  const signature = mlmodelSignature(mlmodel);
  const worker = new PythonWorkerProcess(env, path, opts);
  let workerInfo: PythonWorkerInfo;
  try {
    workerInfo = await worker.ready;
  } catch (err) {
    await worker.close();
    throw err;
  }
  return {
    mlmodel,
    signature,
    inputSchema: signature?.inputs,
    flavor: PYTHON_FUNCTION,
    path,
    workerSafe: false,
    reload: { path, options: {} },
    worker,
    workerInfo,
    predict: (input: ModelInput, params?: ModelParams) => worker.predict(input, params),
    close: () => worker.close(),
  };
}
