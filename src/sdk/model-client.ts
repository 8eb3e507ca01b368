/**
 * Models in the SDK: `logModel` writes an MLflow-format model folder
 * (`src/models/`) and uploads it as run artifacts, records it in the run's
 * `mlflow.log-model.history` tag and registers it when asked; `loadModel`
 * opens a model from a `models:/`, `runs:/`, `mlflow-artifacts:/` URI or a
 * local folder and returns a {@link Model} with `predict()`.
 *
 * ```ts
 * const info = await logModel(run, "model", "./model.onnx", { inputExample: rows, registeredModelName: "churn" });
 * const model = await loadModel("models:/churn@champion");
 * const predictions = await model.predict([{ tenure: 3, plan: 1 }]);
 * ```
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exampleToInput } from "../models/input-example.js";
import { INPUT_FORMATS, parseJsonRequest } from "../models/input-parser.js";
import { validateInput, validateParams } from "../models/input-validator.js";
import type { LoadedModel, ModelLoadOptions } from "../models/loaded-model.js";
import { MLMODEL_FILE, type MlModel } from "../models/mlmodel.js";
import type { ModelInput, ModelParams } from "../models/model-input.js";
import { loadLocalModel } from "../models/model-loader.js";
import { toPredictions, type ModelOutput } from "../models/model-output.js";
import { saveModel, type ModelSource, type SaveModelOptions } from "../models/model-package-writer.js";
import { parseSignature, type ModelSignature } from "../models/model-signature.js";
import type { ModelVersion } from "../shared/registry-types.js";
import { MlflowError } from "../shared/errors.js";
import type { ArtifactClient } from "./artifact-client.js";
import { getCiclo } from "./fluent.js";

export interface LogModelOptions extends Omit<SaveModelOptions, "runId" | "artifactPath"> {
  /** Register the logged model under this name (created if needed) and wait until the version is READY. */
  registeredModelName?: string;
  /** Seconds to wait for the version to become READY (default 300). */
  awaitRegistrationFor?: number;
  /** Client to use (default: the fluent API's, i.e. MLFLOW_TRACKING_URI / CICLO_TRACKING_URI). */
  client?: ArtifactClient;
}

/** What `logModel` returns (MLflow's `ModelInfo`). */
export interface ModelInfo {
  modelUri: string;
  runId: string;
  artifactPath: string;
  flavors: MlModel["flavors"];
  modelUuid: string;
  utcTimeCreated: string;
  mlflowVersion: string;
  signature: ModelSignature | undefined;
  mlmodel: MlModel;
  registeredModelVersion?: ModelVersion;
}

type RunRef = string | { runId: string };

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "ciclo-model-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** MLflow's `log_model`: writes the package, uploads it under `artifactPath` of the run, optionally registers it. */
export async function logModel(run: RunRef, artifactPath: string, model: ModelSource, opts: LogModelOptions = {}): Promise<ModelInfo> {
  const client = opts.client ?? getCiclo().artifacts;
  const runId = typeof run === "string" ? run : run.runId;
  const { registeredModelName, awaitRegistrationFor, client: _client, ...saveOpts } = opts;
  void _client;
  const mlmodel = await withTempDir(async (tmp) => {
    const dir = join(tmp, "model");
    const written = await saveModel(dir, model, { ...saveOpts, runId, artifactPath });
    await client.logArtifacts(runId, dir, artifactPath);
    return written;
  });
  // MLflow compat: log_model records the model in the run's history tag (what the UI lists as logged models).
  const { signature: _sig, saved_input_example_info: _ex, mlflow_version: _v, ...history } = mlmodel;
  void _sig, _ex, _v;
  try {
    await client.tracking.logModel(runId, JSON.stringify(history));
  } catch (err) {
    if (!(err instanceof MlflowError) || err.errorCode !== "ENDPOINT_NOT_FOUND") throw err;
  }
  const modelUri = `runs:/${runId}/${artifactPath}`;
  const info: ModelInfo = {
    modelUri,
    runId,
    artifactPath,
    flavors: mlmodel.flavors,
    modelUuid: String(mlmodel.model_uuid),
    utcTimeCreated: String(mlmodel.utc_time_created),
    mlflowVersion: String(mlmodel.mlflow_version),
    signature: parseSignature(mlmodel.signature ?? undefined),
    mlmodel,
  };
  if (registeredModelName) {
    info.registeredModelVersion = await client.registry.registerModel(modelUri, registeredModelName, {
      ...(awaitRegistrationFor !== undefined ? { awaitRegistrationFor } : {}),
    });
  }
  return info;
}

/** A loaded model with MLflow pyfunc's `predict(data, params)`. */
export class Model {
  constructor(
    readonly loaded: LoadedModel,
    private readonly cleanup?: () => Promise<void>,
  ) {}

  get mlmodel(): MlModel {
    return this.loaded.mlmodel;
  }

  get signature(): ModelSignature | undefined {
    return this.loaded.signature;
  }

  /** Local folder of the model (a temp copy for remote URIs, removed by `close()`). */
  get path(): string {
    return this.loaded.path;
  }

  /** Any example form (row objects, `{columns, data}`, columns, tensors) or a scoring body (`{dataframe_split: …}`) → validated input. */
  toInput(data: unknown): ModelInput {
    const schema = this.loaded.inputSchema;
    const isBody = typeof data === "object" && data !== null && INPUT_FORMATS.some((k) => k in data);
    const parsed = isBody ? parseJsonRequest(data, schema).input : exampleToInput(data);
    return validateInput(parsed, schema);
  }

  /** Predictions as MLflow's scoring server returns them under `"predictions"`. */
  async predict(data: unknown, params?: ModelParams): Promise<unknown> {
    return toPredictions(await this.predictOutput(data, params));
  }

  /** The flavor's raw output (typed arrays; see model-output.ts). */
  async predictOutput(data: unknown, params?: ModelParams): Promise<ModelOutput> {
    const bodyParams = typeof data === "object" && data !== null && "params" in data ? (data as { params?: ModelParams }).params : undefined;
    return this.loaded.predict(this.toInput(data), validateParams(params ?? bodyParams, this.loaded.signature?.params));
  }

  async close(): Promise<void> {
    try {
      await this.loaded.close();
    } finally {
      await this.cleanup?.();
    }
  }
}

export interface LoadModelOptions extends ModelLoadOptions {
  client?: ArtifactClient;
}

/** A local model folder: a plain path (always local), or a file: URI naming a folder with an MLmodel file. */
function localFolder(uri: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]+:/i.test(uri)) return uri;
  const path = /^file:/i.test(uri) ? fileURLToPath(uri) : undefined;
  if (path && existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, MLMODEL_FILE))) return path;
  return undefined;
}

/** MLflow's `pyfunc.load_model`: a local folder as is, anything else downloaded to a temp folder first. */
export async function loadModel(uri: string, opts: LoadModelOptions = {}): Promise<Model> {
  const { client: given, ...loadOpts } = opts;
  const local = localFolder(uri);
  if (local) return new Model(await loadLocalModel(local, loadOpts));
  const client = given ?? getCiclo().artifacts;
  const tmp = await mkdtemp(join(tmpdir(), "ciclo-load-"));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    const path = await client.downloadArtifacts(uri, tmp);
    return new Model(await loadLocalModel(path, loadOpts), cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}
