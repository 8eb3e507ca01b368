/**
 * The parts of `@tensorflow/tfjs` autolog touches, typed structurally: the
 * SDK does not depend on tfjs (the user's own copy is passed in as `tf`), so
 * its declarations must not either.
 * @module
 */

export type Logs = Record<string, unknown>;

interface TfCallbackArgs {
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
}

interface TfOptimizer {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
}

interface TfLayer {
  name: string;
  getClassName(): string;
  countParams(): number;
  outputShape: unknown;
  getConfig?(): Record<string, unknown>;
}

export interface TfModelArtifacts {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  trainingConfig?: unknown;
  signature?: unknown;
  userDefinedMetadata?: unknown;
}

export interface TfSaveResult {
  modelArtifactsInfo: { dateSaved: Date; modelTopologyType: "JSON"; modelTopologyBytes?: number; weightSpecsBytes?: number; weightDataBytes?: number };
}

export interface TfLayersModel {
  name: string;
  optimizer?: TfOptimizer;
  loss?: unknown;
  metricsNames?: string[];
  layers: TfLayer[];
  trainableWeights?: Array<{ shape: number[] }>;
  countParams(): number;
  summary(lineLength?: number, positions?: number[], printFn?: (message?: unknown) => void): void;
  save(handler: unknown): Promise<unknown>;
  /** Sequential models train through an inner LayersModel. */
  model?: TfLayersModel;
}

export type FitFn = (this: TfLayersModel, ...args: unknown[]) => Promise<unknown>;

/** What `autolog({ tf })` needs from the `@tensorflow/tfjs` namespace. */
export interface TfNamespace {
  LayersModel: { prototype: { fit: FitFn; fitDataset: FitFn } };
  Sequential?: { prototype: { fit: FitFn; fitDataset: FitFn } };
  CustomCallback: new (args: TfCallbackArgs, yieldEvery?: unknown) => object;
  io: {
    withSaveHandler(handler: (artifacts: TfModelArtifacts) => Promise<TfSaveResult>): unknown;
    CompositeArrayBuffer?: { join(buffers: ArrayBuffer | ArrayBuffer[]): ArrayBuffer };
  };
}

export function isTfNamespace(tf: unknown): tf is TfNamespace {
  const t = tf as Partial<TfNamespace> | undefined;
  return (
    typeof t?.LayersModel?.prototype?.fit === "function" &&
    typeof t.CustomCallback === "function" &&
    typeof t.io?.withSaveHandler === "function"
  );
}
