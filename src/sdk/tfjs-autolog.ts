/**
 * Autolog for TensorFlow.js (`@tensorflow/tfjs`, pure JS — tfjs-node is not
 * needed): one call, then every `model.fit` / `model.fitDataset` is tracked.
 *
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { autolog } from "ciclo";
 * autolog({ tf });
 * await model.fit(xs, ys, { epochs: 20, validationSplit: 0.2 });   // a run with params, metrics and model/
 * ```
 *
 * For each fit: params (optimizer name and config, loss, epochs, batch size,
 * validation split, layers and parameter counts), the epoch logs as metrics
 * (`loss`, `acc`, `val_loss`… with step = epoch) as each epoch ends, a
 * `model_summary.txt` and the trained model as `model/` (model.json +
 * weights.bin). Like MLflow's autolog, fit logs into the active run, or
 * starts one and ends it (FINISHED, or FAILED when fit throws). Logging never
 * breaks training: every problem goes to the `Ciclo`'s `onError`.
 * @module
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Ciclo } from "./fluent-session.js";
import { getCiclo } from "./fluent.js";
import { LoggingError, warnOnError } from "./logging-errors.js";
import { fitParams, modelParams, saveModelFiles, summaryText } from "./tfjs-model-files.js";
import { isTfNamespace, type FitFn, type Logs, type TfLayersModel, type TfNamespace } from "./tfjs-types.js";

export interface TfjsAutologOptions {
  /** The `@tensorflow/tfjs` namespace (`import * as tf from "@tensorflow/tfjs"`). */
  tf: unknown;
  /** The ciclo instance to log with (default: the fluent API's). */
  ciclo?: Ciclo;
  /** Save the trained model as the `model/` artifact (default true). */
  logModels?: boolean;
  /** Log `model_summary.txt` (default true). */
  logModelSummary?: boolean;
  /** Undo a previous `autolog({ tf })`: fit is no longer tracked. */
  disable?: boolean;
  /**
   * Where model files go when they cannot be uploaded (an offline run, or the
   * upload failed). Default `./ciclo-data/autolog/<run id>`.
   */
  localModelDir?: string;
  /** Where logging problems go (default: a `CicloLoggingWarning`); training never sees them. */
  onError?(err: LoggingError): void;
}

export interface AutologHandle {
  /** Restores the original fit / fitDataset. */
  restore(): void;
}

interface PatchState {
  opts: TfjsAutologOptions;
  restore(): void;
}

const STATE = Symbol.for("ciclo.tfjs.autolog");
/** Inner models of a Sequential being fit through its own (patched) fit: their fit must not log again. */
const delegated = new WeakSet<object>();

export function autolog(opts: TfjsAutologOptions): AutologHandle {
  const tf = opts.tf;
  if (!isTfNamespace(tf)) throw new TypeError("autolog({ tf }): pass the @tensorflow/tfjs namespace (import * as tf from \"@tensorflow/tfjs\").");
  const holder = tf.LayersModel.prototype as unknown as Record<symbol, PatchState | undefined>;
  const existing = holder[STATE];
  if (opts.disable) {
    existing?.restore();
    return { restore: () => {} };
  }
  if (existing) {
    existing.opts = opts; // a second call changes the options, not the number of wrappers
    return { restore: existing.restore };
  }
  const protos = [tf.LayersModel.prototype, ...(tf.Sequential ? [tf.Sequential.prototype] : [])];
  const originals = protos.map((p) => ({ p, fit: p.fit, fitDataset: p.fitDataset }));
  const state: PatchState = {
    opts,
    restore() {
      for (const o of originals) {
        o.p.fit = o.fit;
        o.p.fitDataset = o.fitDataset;
      }
      delete holder[STATE];
    },
  };
  holder[STATE] = state;
  for (const o of originals) {
    o.p.fit = wrap(tf, state, "fit", o.fit, 2);
    o.p.fitDataset = wrap(tf, state, "fitDataset", o.fitDataset, 1);
  }
  return { restore: state.restore };
}

function wrap(tf: TfNamespace, state: PatchState, kind: "fit" | "fitDataset", original: FitFn, argsIndex: number): FitFn {
  return async function autologged(this: TfLayersModel, ...args: unknown[]): Promise<unknown> {
    if (delegated.has(this)) return original.apply(this, args);
    const inner = this.model;
    if (inner) delegated.add(inner);
    try {
      return await track(tf, state.opts, this, kind, args, argsIndex, (a) => original.apply(this, a));
    } finally {
      if (inner) delegated.delete(inner);
    }
  };
}

async function track(
  tf: TfNamespace,
  opts: TfjsAutologOptions,
  model: TfLayersModel,
  kind: "fit" | "fitDataset",
  args: unknown[],
  argsIndex: number,
  call: (args: unknown[]) => Promise<unknown>,
): Promise<unknown> {
  const ciclo = opts.ciclo ?? getCiclo();
  const report = (what: string, err: unknown) => reportTo(opts, new LoggingError(`tfjs autolog: ${what}: ${(err as Error)?.message ?? err}`, "failed", ciclo.activeRun()?.runId, undefined, { cause: err }));
  let ownRun = false;
  if (!ciclo.activeRun()) {
    try {
      await ciclo.startRun();
      ownRun = true;
    } catch (err) {
      report("could not start a run; this fit is not tracked", err);
      return call(args);
    }
  }
  const fitArgs = { ...((args[argsIndex] as Record<string, unknown> | undefined) ?? {}) };
  try {
    ciclo.logParams({ ...fitParams(kind, fitArgs), ...modelParams(model) });
  } catch (err) {
    report("params", err);
  }
  const epochEnd = new tf.CustomCallback(
    {
      onEpochEnd: (epoch: number, logs?: Logs) => {
        const values: Record<string, number> = {};
        for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === "number") values[k] = v;
        ciclo.logMetrics(values, epoch);
      },
    },
    "never",
  );
  fitArgs.callbacks = withCallback(tf, fitArgs.callbacks, fitArgs.yieldEvery, epochEnd);
  const newArgs = [...args];
  while (newArgs.length < argsIndex) newArgs.push(undefined);
  newArgs[argsIndex] = fitArgs;
  let history: unknown;
  try {
    history = await call(newArgs);
  } catch (err) {
    if (ownRun) await ciclo.endRun("FAILED");
    throw err;
  }
  const opts2 = { logModels: opts.logModels !== false, logSummary: opts.logModelSummary !== false };
  if (opts2.logModels || opts2.logSummary) {
    try {
      await logModelArtifacts(tf, ciclo, model, opts2, opts.localModelDir, report);
    } catch (err) {
      report("model", err);
    }
  }
  if (ownRun) await ciclo.endRun("FINISHED");
  return history;
}

/**
 * tfjs takes either callback objects or callback configs, not a mix (its
 * `standardizeCallbacks` looks at the first element only), so everything is
 * turned into callback objects; configs keep the fit's `yieldEvery`.
 */
function withCallback(tf: TfNamespace, given: unknown, yieldEvery: unknown, ours: object): object[] {
  const list = given == null ? [] : Array.isArray(given) ? given : [given];
  const isCallbackObject = (c: unknown) => typeof (c as { setModel?: unknown })?.setModel === "function";
  return [...list.map((c) => (isCallbackObject(c) ? (c as object) : new tf.CustomCallback(c as object, yieldEvery))), ours];
}

async function logModelArtifacts(
  tf: TfNamespace,
  ciclo: Ciclo,
  model: TfLayersModel,
  what: { logModels: boolean; logSummary: boolean },
  localModelDir: string | undefined,
  report: (what: string, err: unknown) => void,
): Promise<void> {
  const run = ciclo.activeRun();
  if (!run) return;
  // An offline run has no server to upload to yet: its files stay on disk, and the report says where.
  const staging = run.offline ? resolve(localModelDir ?? join("ciclo-data", "autolog", run.runId)) : mkdtempSync(join(tmpdir(), "ciclo-tfjs-"));
  if (what.logModels) await saveModelFiles(tf, model, join(staging, "model"));
  if (what.logSummary) writeFileSync(join(staging, "model_summary.txt"), summaryText(model));
  if (run.offline) {
    report(`run ${run.runId} is offline; the model files are in ${staging} (upload them with logArtifacts once online)`, new Error("offline run"));
    return;
  }
  const artifacts = ciclo.artifacts;
  try {
    if (what.logModels) await artifacts.logArtifacts(run.runId, join(staging, "model"), "model");
    if (what.logSummary) await artifacts.logArtifact(run.runId, join(staging, "model_summary.txt"));
  } catch (err) {
    const kept = resolve(localModelDir ?? join("ciclo-data", "autolog", run.runId));
    cpSync(staging, kept, { recursive: true });
    report(`upload failed; the model files are in ${kept}`, err);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function reportTo(opts: TfjsAutologOptions, err: LoggingError): void {
  try {
    (opts.onError ?? warnOnError)(err);
  } catch {
    // a throwing hook must not break training
  }
}
