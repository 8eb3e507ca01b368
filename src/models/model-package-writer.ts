/**
 * Writes a model folder in MLflow's format (`saveModel`, the analog of
 * `mlflow.onnx.save_model` / `mlflow.pyfunc.save_model`):
 *
 * ONNX (`model` = a `.onnx` file path or its bytes):
 * ```
 * MLmodel  model.onnx  conda.yaml  python_env.yaml  requirements.txt
 * input_example.json  serving_input_example.json       (with an example)
 * ```
 * with flavors `onnx` and `python_function` (`loader_module: mlflow.onnx`),
 * so `mlflow.pyfunc.load_model` loads the folder in Python.
 *
 * js_function (`model` = a module folder): the folder's files are copied to
 * `code/` (without node_modules and .git unless asked), with its
 * `package.json` as the dependency manifest (one is written when absent).
 *
 * The signature is taken from the options, else inferred from the input example
 * and the model's own prediction on it, else (ONNX) from the model's declared
 * inputs and outputs. The written folder is loaded once before returning, so a
 * package that cannot run is never produced.
 * @module
 */
import { readFileSync } from "node:fs";
import { cp, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { InvalidParameterValueError, ResourceAlreadyExistsError } from "../shared/errors.js";
import { JS_FUNCTION } from "./js-function-flavor.js";
import { loadOnnxRunner } from "./onnx-flavor.js";
import { exampleFiles, exampleToInput, inferInputSchema, inferOutputSchema, INPUT_EXAMPLE_FILE, SERVING_INPUT_EXAMPLE_FILE } from "./input-example.js";
import { validateInput } from "./input-validator.js";
import { MLFLOW_FORMAT_VERSION, newModelUuid, pyYamlStringify, utcTimeCreated, writeMlmodel, type MlModel } from "./mlmodel.js";
import { loadLocalModel } from "./model-loader.js";
import { signatureToMlmodel, type ModelSignature } from "./model-signature.js";

/** An ONNX file (path or bytes) or a js_function module folder (a folder path, or `{ jsFunction: path }`). */
export type ModelSource = string | Uint8Array | { onnx: string | Uint8Array } | { jsFunction: string };

export interface SaveModelOptions {
  /** The signature; `false` writes none. Default: inferred (see module doc). */
  signature?: ModelSignature | false;
  /** Saved as input_example.json and used to infer the signature. */
  inputExample?: unknown;
  runId?: string;
  /** Run-relative path (`artifact_path`). */
  artifactPath?: string;
  /** MLflow 3.x LoggedModel id; also becomes `model_uuid`, as MLflow 3 writes it. */
  modelId?: string;
  metadata?: Record<string, unknown>;
  /** Names of environment variables the model reads at inference (`env_vars`). */
  envVars?: string[];
  onnx?: {
    /** Python version recorded for the python_function env (default 3.11.9). */
    pythonVersion?: string;
    /** pip lines for requirements.txt (default: mlflow, onnx, onnxruntime). */
    pipRequirements?: string[];
    /** The onnx package version the file was exported with, if known (`onnx_version`). */
    onnxVersion?: string;
  };
  jsFunction?: {
    /** Module file relative to the folder (default: package.json `main`, else model.mjs / model.js / index.mjs / index.js / model.ts / index.ts). */
    entry?: string;
    /** Files handed to `load(context)` as `context.artifacts[name]`: name → local path (copied to artifacts/). */
    artifacts?: Record<string, string>;
    modelConfig?: Record<string, unknown>;
    /** Copy the folder's node_modules too (default false: bundle or vendor dependencies yourself). */
    includeNodeModules?: boolean;
  };
}

/** ciclo's version (package.json, two levels up from src/models and dist/models); the SDK does not import server code. */
const CICLO_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const DEFAULT_PYTHON = "3.11.9";
const DEFAULT_PIP = ["mlflow>=2.9", "onnx>=1.14", "onnxruntime>=1.16"];
const ENTRY_CANDIDATES = ["model.mjs", "model.js", "index.mjs", "index.js", "model.ts", "index.ts"];

async function ensureEmptyDir(dir: string): Promise<void> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? undefined : Promise.reject(err)));
  if (existing && existing.length > 0) throw new ResourceAlreadyExistsError(`Path '${dir}' already exists and is not empty`);
  await mkdir(dir, { recursive: true });
}

/** A folder path is a js_function module; a file path or bytes an ONNX model. */
async function sourceKind(model: ModelSource): Promise<{ onnx: string | Uint8Array } | { jsFunction: string }> {
  if (typeof model === "object" && !(model instanceof Uint8Array)) return model;
  if (typeof model === "string" && (await stat(model).then((st) => st.isDirectory(), () => false))) return { jsFunction: model };
  return { onnx: model };
}

async function writePythonEnv(dir: string, opts: SaveModelOptions["onnx"] = {}): Promise<string> {
  const python = opts.pythonVersion ?? DEFAULT_PYTHON;
  const pip = opts.pipRequirements ?? DEFAULT_PIP;
  await writeFile(join(dir, "requirements.txt"), `${pip.join("\n")}\n`);
  const conda = { channels: ["conda-forge"], dependencies: [`python=${python}`, "pip", { pip }], name: "mlflow-env" };
  await writeFile(join(dir, "conda.yaml"), pyYamlStringify(conda));
  const venv = { python, build_dependencies: ["pip", "setuptools", "wheel"], dependencies: ["-r requirements.txt"] };
  await writeFile(join(dir, "python_env.yaml"), pyYamlStringify(venv, { sortKeys: false }));
  return python;
}

async function onnxFlavors(dir: string, onnx: string | Uint8Array, opts: SaveModelOptions["onnx"]): Promise<MlModel["flavors"]> {
  const bytes = typeof onnx === "string" ? await readFile(onnx) : onnx;
  await writeFile(join(dir, "model.onnx"), bytes);
  const python = await writePythonEnv(dir, opts);
  return {
    onnx: { code: null, data: "model.onnx", ...(opts?.onnxVersion ? { onnx_version: opts.onnxVersion } : {}), providers: ["CPUExecutionProvider"] },
    python_function: {
      data: "model.onnx",
      env: { conda: "conda.yaml", virtualenv: "python_env.yaml" },
      loader_module: "mlflow.onnx",
      python_version: python,
    },
  };
}

async function pickEntry(src: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const pkg = await readFile(join(src, "package.json"), "utf8").then((t) => JSON.parse(t) as { main?: string }, () => undefined);
  if (pkg?.main) return pkg.main;
  for (const c of ENTRY_CANDIDATES) if (await stat(join(src, c)).then((s) => s.isFile(), () => false)) return c;
  throw new InvalidParameterValueError(`js_function: no entry module in '${src}' (looked for package.json "main", ${ENTRY_CANDIDATES.join(", ")}).`);
}

async function jsFunctionFlavors(dir: string, src: string, opts: SaveModelOptions["jsFunction"] = {}): Promise<MlModel["flavors"]> {
  if (!(await stat(src)).isDirectory()) throw new InvalidParameterValueError(`js_function: '${src}' is not a folder.`);
  const entry = (await pickEntry(src, opts.entry)).split(sep).join("/").replace(/^\.\//, "");
  const code = join(dir, "code");
  await cp(src, code, {
    recursive: true,
    filter: (f) => {
      const parts = relative(src, f).split(sep);
      return !parts.includes(".git") && (opts.includeNodeModules === true || !parts.includes("node_modules"));
    },
  });
  if (!(await stat(join(code, entry)).then((s) => s.isFile(), () => false))) {
    throw new InvalidParameterValueError(`js_function: entry '${entry}' is not a file in '${src}'.`);
  }
  const manifest = join(code, "package.json");
  if (!(await stat(manifest).then(() => true, () => false))) {
    await writeFile(manifest, `${JSON.stringify({ name: "ciclo-js-model", private: true, type: "module", dependencies: {} }, null, 2)}\n`);
  }
  const artifacts: Record<string, string> = {};
  for (const [name, local] of Object.entries(opts.artifacts ?? {})) {
    const rel = `artifacts/${basename(local)}`;
    await cp(local, join(dir, rel), { recursive: true });
    artifacts[name] = rel;
  }
  return {
    [JS_FUNCTION]: {
      entry: `code/${entry}`,
      code: "code",
      dependencies: "code/package.json",
      ...(Object.keys(artifacts).length > 0 ? { artifacts } : {}),
      ...(opts.modelConfig ? { model_config: opts.modelConfig } : {}),
      node_version: process.versions.node,
      ciclo_version: CICLO_VERSION,
    },
  };
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))).size;
  }
  return total;
}

/** Writes the model folder; resolves with the MLmodel written. */
export async function saveModel(dir: string, model: ModelSource, opts: SaveModelOptions = {}): Promise<MlModel> {
  await ensureEmptyDir(dir);
  const kind = await sourceKind(model);
  const flavors = "onnx" in kind ? await onnxFlavors(dir, kind.onnx, opts.onnx) : await jsFunctionFlavors(dir, kind.jsFunction, opts.jsFunction);
  const mlmodel: MlModel = {
    ...(opts.artifactPath !== undefined ? { artifact_path: opts.artifactPath } : {}),
    flavors,
    mlflow_version: MLFLOW_FORMAT_VERSION,
    ciclo_version: CICLO_VERSION,
    model_uuid: opts.modelId ?? newModelUuid(),
    ...(opts.modelId ? { model_id: opts.modelId } : {}),
    ...(opts.runId ? { run_id: opts.runId } : {}),
    utc_time_created: utcTimeCreated(),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
    ...(opts.envVars ? { env_vars: opts.envVars } : {}),
  };
  let signature = opts.signature === false ? undefined : opts.signature;
  const example = opts.inputExample === undefined ? undefined : exampleToInput(opts.inputExample);
  if (example) {
    const files = exampleFiles(example);
    await writeFile(join(dir, INPUT_EXAMPLE_FILE), JSON.stringify(files.example));
    await writeFile(join(dir, SERVING_INPUT_EXAMPLE_FILE), JSON.stringify(files.serving));
    mlmodel.saved_input_example_info = files.info;
  }
  if (signature) mlmodel.signature = signatureToMlmodel(signature);
  await writeMlmodel(dir, mlmodel);

  // Load what was written: proves the package runs, and infers what the options left out.
  if (opts.signature === undefined) {
    if (example) {
      const loaded = await loadLocalModel(dir);
      try {
        // An ONNX model declares its tensors' names and types; a data-frame example names columns.
        const inputs = "onnx" in kind && example.kind === "tensors" && loaded.inputSchema ? loaded.inputSchema : inferInputSchema(example);
        const out = await loaded.predict(validateInput(example, inputs), {});
        const outputs = inferOutputSchema(out);
        signature = { inputs, ...(outputs ? { outputs } : {}) };
      } finally {
        await loaded.close();
      }
    } else if ("onnx" in kind) {
      const runner = await loadOnnxRunner(dir, flavors.onnx);
      signature = { inputs: { kind: "tensors", tensors: runner.inputs }, outputs: { kind: "tensors", tensors: runner.outputs } };
      await runner.close();
    }
    if (signature) mlmodel.signature = signatureToMlmodel(signature);
  } else {
    await (await loadLocalModel(dir)).close();
  }
  mlmodel.model_size_bytes = await folderSize(dir);
  await writeMlmodel(dir, mlmodel);
  return mlmodel;
}
