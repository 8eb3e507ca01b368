/**
 * The `js_function` flavor: ciclo's custom-model interface, the analog of
 * MLflow's `python_function` with a `python_model`. A package holds a JS/TS
 * module and its code files, plus a dependency manifest:
 *
 * ```yaml
 * flavors:
 *   js_function:
 *     entry: code/model.mjs        # the module, relative to the model folder
 *     code: code                   # folder with the code files
 *     dependencies: code/package.json
 *     artifacts: {vocab: artifacts/vocab.json}   # optional files handed to load()
 *     model_config: {...}          # optional, handed to load()
 *     node_version: 20.19.0
 * ```
 *
 * The module exports (named, or on a default export object):
 * - `load(context)` (optional): called once; what it returns is passed to predict as `state`;
 * - `predict(input, params, state)`: `input` is the validated {@link ModelInput};
 *   return an array (one entry per row), a typed array, a {@link ModelOutput}, or any JSON value;
 * - `close(state)` (optional); `workerSafe` (optional, default true).
 *
 * Trust model: loading a js_function model *runs its code* in this process
 * with this process's rights (files, network, environment). Load only models
 * whose code you trust — as with a pickled Python model. The tracking server
 * never loads model code; only `loadModel`, serving and batch scoring do,
 * on the user's request. `.ts` entries need the process to run under tsx
 * (the `ciclo` CLI does); `.mjs`/`.js` entries load anywhere.
 * @module
 */
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import { ModelInputError } from "./input-coercion.js";
import type { MlModel } from "./mlmodel.js";
import type { ModelInput, ModelParams } from "./model-input.js";
import { normalizeOutput, type ModelOutput } from "./model-output.js";
import type { ModelSignature } from "./model-signature.js";

export const JS_FUNCTION = "js_function";

/** What `load(context)` receives. */
export interface JsModelContext {
  /** Absolute path of the model folder. */
  modelPath: string;
  /** Artifact name → absolute path (from the flavor's `artifacts`). */
  artifacts: Record<string, string>;
  modelConfig: Record<string, unknown>;
  signature: ModelSignature | undefined;
  mlmodel: MlModel;
}

/** The module a js_function package points at. */
export interface JsModelModule {
  load?(context: JsModelContext): unknown;
  predict(input: ModelInput, params: ModelParams, state: unknown): unknown;
  close?(state: unknown): unknown;
  workerSafe?: boolean;
}

export interface JsFunctionRunner {
  readonly workerSafe: boolean;
  predict(input: ModelInput, params: ModelParams): Promise<ModelOutput>;
  close(): Promise<void>;
}

/** A package-relative path that must stay inside the model folder. */
function insidePath(dir: string, rel: unknown, field: string): string {
  if (typeof rel !== "string" || rel === "") throw new InvalidParameterValueError(`js_function flavor: '${field}' must be a relative path.`);
  const norm = normalize(rel);
  const full = resolve(dir, norm);
  const back = relative(resolve(dir), full);
  if (isAbsolute(rel) || back.startsWith("..") || back.split(sep).includes("..") || isAbsolute(back)) {
    throw new InvalidParameterValueError(`js_function flavor: '${field}' (${rel}) points outside the model folder.`);
  }
  return full;
}

function asModule(ns: Record<string, unknown>, entry: string): JsModelModule {
  const candidates = [ns, ns.default as Record<string, unknown> | undefined];
  for (const c of candidates) {
    if (c && typeof c === "object" && typeof c.predict === "function") return c as unknown as JsModelModule;
  }
  throw new InvalidParameterValueError(`js_function module ${entry} exports no predict(input, params) function.`);
}

export async function loadJsFunctionRunner(dir: string, mlmodel: MlModel, signature: ModelSignature | undefined): Promise<JsFunctionRunner> {
  const conf = mlmodel.flavors[JS_FUNCTION] ?? {};
  const entry = insidePath(dir, conf.entry, "entry");
  const artifacts: Record<string, string> = {};
  if (conf.artifacts && typeof conf.artifacts === "object") {
    for (const [name, rel] of Object.entries(conf.artifacts as Record<string, unknown>)) artifacts[name] = insidePath(dir, rel, `artifacts.${name}`);
  }
  const mod = asModule((await import(pathToFileURL(entry).href)) as Record<string, unknown>, join(String(conf.entry)));
  const context: JsModelContext = {
    modelPath: resolve(dir),
    artifacts,
    modelConfig: (conf.model_config as Record<string, unknown> | undefined) ?? {},
    signature,
    mlmodel,
  };
  const state = mod.load ? await mod.load.call(mod, context) : undefined;
  return {
    workerSafe: mod.workerSafe !== false,
    async predict(input: ModelInput, params: ModelParams): Promise<ModelOutput> {
      let value: unknown;
      try {
        value = await mod.predict.call(mod, input, params, state);
      } catch (err) {
        if (err instanceof MlflowError) throw err;
        // MLflow compat: the scoring server reports a failing model as BAD_REQUEST with this wording.
        const wrapped = new ModelInputError(
          `Encountered an unexpected error while evaluating the model. Verify that the input is compatible with the model for inference. Error '${(err as Error)?.message ?? String(err)}'`,
        );
        (wrapped as { cause?: unknown }).cause = err;
        throw wrapped;
      }
      return normalizeOutput(value, input.rowCount);
    },
    async close(): Promise<void> {
      if (mod.close) await mod.close.call(mod, state);
    },
  };
}
