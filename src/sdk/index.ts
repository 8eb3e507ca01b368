/**
 * ciclo's TypeScript SDK: `import { startRun, logMetric } from "ciclo"`.
 *
 * - Fluent API (MLflow's shape): `setExperiment`, `startRun`, `logMetric`, ... over a default {@link Ciclo}.
 * - {@link TrackingClient}: typed calls to every tracking route.
 * - {@link RunLogger}: the buffered, never-throwing logger behind the fluent API.
 * - Offline spools and {@link syncOfflineRuns} (what `ciclo sync` runs).
 * - {@link ArtifactClient}, {@link RegistryClient}: artifacts (streamed) and the model registry;
 *   `runs:/` / `models:/` URIs; reproducibility capture; system metrics.
 * @module
 */

export {
  activeRun,
  configure,
  endRun,
  flush,
  getCiclo,
  getMetricHistory,
  getTrackingUri,
  downloadArtifacts,
  listArtifacts,
  logArtifact,
  logArtifacts,
  logDict,
  logFigure,
  logImage,
  logInput,
  logMetric,
  logMetrics,
  logParam,
  logParams,
  logText,
  registerModel,
  searchRuns,
  setExperiment,
  setTag,
  setTags,
  setTrackingUri,
  startRun,
} from "./fluent.js";
export {
  ActiveRun,
  Ciclo,
  type CicloOptions,
  type ContextCapture,
  type DatasetSpec,
  type SearchRunsFluentOptions,
  type StartRunOptions,
} from "./fluent-session.js";
export {
  TrackingClient,
  toTagList,
  type BulkIntervalOptions,
  type CreateRunOptions,
  type LogBatchOptions,
  type MetricInput,
  type MetricOptions,
  type SearchExperimentsOptions,
  type SearchRunsOptions,
  type TagsInput,
} from "./tracking-client.js";
export {
  HttpClient,
  TrackingConnectionError,
  httpStatusOf,
  isTransientError,
  type HttpClientOptions,
  type RetryOptions,
  type RetryNotice,
} from "./http-client.js";
export {
  RegistryClient,
  type CreateModelVersionOptions,
  type RegisterModelOptions,
  type RegistrySearchOptions,
} from "./registry-client.js";
export {
  isModelUri,
  parseModelUri,
  parseRunsUri,
  resolveArtifactSource,
  resolveModelDownloadUri,
  splitArtifactUri,
  type ArtifactSource,
  type ModelUri,
  type ResolvedArtifactSource,
} from "./model-uri.js";
export {
  CONTEXT_ARTIFACTS,
  CONTEXT_TAGS,
  CONTEXT_VERSION,
  ENV_FILES,
  captureRunContext,
  createContextCapture,
  logRunContext,
  runContextTags,
  type CaptureOptions,
  type CapturedFile,
  type EnvFileKind,
  type RunContext,
} from "./context-capture.js";
export {
  DEFAULT_SYSTEM_METRICS_INTERVAL_MS,
  SYSTEM_METRICS,
  SystemMetricsMonitor,
  type MetricsSink,
  type SystemMetricsOptions,
} from "./system-metrics.js";
export {
  EndpointNotFoundError,
  InvalidParameterValueError,
  InvalidStateError,
  MlflowError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  type ErrorCode,
} from "../shared/errors.js";
// ── models: package format, logModel / loadModel (src/models/) ──
export type { GcReport, GcRequestOptions, GcSkipped } from "../gc/gc-types.js";
export { parseThresholdExpression, type MetricThreshold, type ValidationReport, validateMetrics } from "../models/evaluation/metric-thresholds.js";
export type { EvaluationData, ModelType } from "../models/evaluation/model-evaluator.js";
export { ModelInputError } from "../models/input-coercion.js";
export type { JsModelContext, JsModelModule } from "../models/js-function-flavor.js";
export type { FlavorName, LoadedModel, ModelLoadOptions } from "../models/loaded-model.js";
export type { MlModel } from "../models/mlmodel.js";
export type { ColumnsInput, ModelInput, ModelParams, Tensor, TensorsInput } from "../models/model-input.js";
export { loadLocalModel } from "../models/model-loader.js";
export type { ModelOutput } from "../models/model-output.js";
export { saveModel, type ModelSource, type SaveModelOptions } from "../models/model-package-writer.js";
export type { ColSpec, ModelSignature, ParamSpec, Schema, TensorSpec } from "../models/model-signature.js";
export { TrialStopped, type Objective, type TrialContext } from "../pipelines/sweeps/function-trial-executor.js";
export type { ParamValues, SearchSpace } from "../pipelines/sweeps/search-space.js";
export type { SweepEvent } from "../pipelines/sweeps/sweep-runner.js";
export type { SweepSummary } from "../pipelines/sweeps/sweep-summary.js";
export type { ModelVersion, ModelVersionStatus, RegisteredModel, RegisteredModelAlias, RegistryEvent, Stage } from "../shared/registry-types.js";
export type { Dataset, DatasetInput, Experiment, Metric, Param, Run, RunInfo, RunMetric, RunStatus } from "../shared/tracking-types.js";
export type { Page, Tag, ViewType } from "../shared/types.js";
export { AdminClient } from "./admin-client.js";
export { ArtifactClient, type ArtifactClientOptions } from "./artifact-client.js";
export { openArtifactStore, type ArtifactStore, type FileInfo, type UploadSource } from "./artifact-stores.js";
export { readGitContext, stripCredentials, type GitContext } from "./git-context.js";
export { HttpTrackingStore } from "./http-tracking-store.js";
export { LoggingError, type Dropped, type ErrorHook, type FlushReport, type LoggingErrorKind } from "./logging-errors.js";
export { Model, loadModel, logModel, type LoadModelOptions, type LogModelOptions, type ModelInfo } from "./model-client.js";
export { evaluate, type EvaluationReport, type SdkEvaluateOptions as EvaluateOptions } from "./model-evaluation.js";
export { DEFAULT_MULTIPART_CHUNK_SIZE, DEFAULT_MULTIPART_THRESHOLD, type MultipartSettings } from "./multipart-upload.js";
export { RunSpool, findSpools, readSpoolRecords, type SpoolManifest, type SpoolRecord } from "./offline-spool.js";
export { OFFLINE_ID_TAG, syncOfflineRuns, type SyncEvent, type SyncOptions, type SyncedRun } from "./offline-sync.js";
export type { ModelVersionLineage } from "./registry-wire-codec.js";
export type { LoggedModel, LoggedModelInfo, LoggedModelMetric, LoggedModelStatus } from "../shared/logged-model-types.js";
export { RunLogger, type LoggerTarget, type RunDescriptor, type RunLoggerOptions, type RunLoggerStats } from "./run-logger.js";
export { getOrCreateExperiment } from "./run-starter.js";
export { DEFAULT_TRACKING_URI, trackingUriFromEnv } from "./sdk-config.js";
export { sweep, type SweepOptions, type SweepRunResult } from "./sweep.js";
export { autolog, type AutologHandle, type TfjsAutologOptions } from "./tfjs-autolog.js";
