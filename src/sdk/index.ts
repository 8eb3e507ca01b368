/**
 * ciclo's TypeScript SDK: `import { startRun, logMetric } from "ciclo"`.
 *
 * - Fluent API (MLflow's shape): `setExperiment`, `startRun`, `logMetric`, ... over a default {@link Ciclo}.
 * - {@link TrackingClient}: typed calls to every tracking route.
 * - {@link RunLogger}: the buffered, never-throwing logger behind the fluent API.
 * - Offline spools and {@link syncOfflineRuns} (what `ciclo sync` runs).
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
  logInput,
  logMetric,
  logMetrics,
  logParam,
  logParams,
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
} from "./http-client.js";
export { HttpTrackingStore } from "./http-tracking-store.js";
export { RunLogger, type LoggerTarget, type RunDescriptor, type RunLoggerOptions, type RunLoggerStats } from "./run-logger.js";
export { LoggingError, type Dropped, type ErrorHook, type FlushReport, type LoggingErrorKind } from "./logging-errors.js";
export { RunSpool, findSpools, readSpoolRecords, type SpoolManifest, type SpoolRecord } from "./offline-spool.js";
export { OFFLINE_ID_TAG, syncOfflineRuns, type SyncedRun, type SyncEvent, type SyncOptions } from "./offline-sync.js";
export { getOrCreateExperiment } from "./run-starter.js";
export { DEFAULT_TRACKING_URI, trackingUriFromEnv } from "./sdk-config.js";
export {
  EndpointNotFoundError,
  InvalidParameterValueError,
  InvalidStateError,
  MlflowError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  type ErrorCode,
} from "../shared/errors.js";
export type {
  Dataset,
  DatasetInput,
  Experiment,
  Metric,
  Page,
  Param,
  Run,
  RunInfo,
  RunMetric,
  RunStatus,
  Tag,
  ViewType,
} from "../tracking/types.js";
export { autolog, type AutologHandle, type TfjsAutologOptions } from "./autolog/tfjs-autolog.js";
