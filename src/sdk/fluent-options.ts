/**
 * The options of the fluent API: `new Ciclo({...})` / `configure({...})`,
 * `startRun({...})`, `logInput`, `searchRuns`, and the context-capture seam.
 * @module
 */
import type { ViewType } from "../shared/types.js";
import type { ArtifactClientOptions } from "./artifact-client.js";
import type { ActiveRun, Ciclo } from "./fluent-session.js";
import type { RetryNotice, RetryOptions } from "./http-client.js";
import type { RunLoggerOptions } from "./run-logger.js";
import type { SystemMetricsOptions } from "./system-metrics.js";
import type { TagsInput } from "./tracking-client.js";

/** A seam for reproducibility capture: the default is `createContextCapture()` (git, command line, environment, lock files). */
export interface ContextCapture {
  /** Tags to add to a new run (e.g. `mlflow.source.git.commit`); called before the run is created. */
  tags?(): Promise<Record<string, string>> | Record<string, string>;
  /** Called once the run exists (e.g. to log a diff patch). Errors go to onError, never to the caller. */
  afterStart?(run: ActiveRun, ciclo: Ciclo): Promise<void> | void;
}

export interface CicloOptions extends RunLoggerOptions {
  /** Default: CICLO_TRACKING_URI, then MLFLOW_TRACKING_URI, then http://127.0.0.1:5000. */
  trackingUri?: string;
  /** Spool every run to disk, no server needed (default: CICLO_MODE=offline). */
  offline?: boolean;
  token?: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Called before each retry's wait with the attempt and its reason (a network error's code, `HTTP 503`). */
  onRetry?: (retry: RetryNotice) => void;
  /**
   * What `startRun` records for reproduction. Default: `createContextCapture()`
   * (git, command line, environment, dependency files); `false` turns it off
   * (as does CICLO_CONTEXT_CAPTURE=0).
   */
  contextCapture?: ContextCapture | false;
  /** Artifact transfers: concurrency, multipart threshold and part size, progress. */
  artifacts?: Omit<ArtifactClientOptions, "env">;
  /** System metrics of every run (default: CICLO_SYSTEM_METRICS=1); options set the interval and a sample hook. */
  systemMetrics?: boolean | SystemMetricsOptions;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface StartRunOptions {
  runName?: string;
  /** Start a child of the active run (tagged `mlflow.parentRunId`). */
  nested?: boolean;
  tags?: TagsInput;
  experimentId?: string;
  /** Resume this run instead of creating one. */
  runId?: string;
  /** Markdown note (`mlflow.note.content`). */
  description?: string;
  /** false: skip reproducibility capture for this run. */
  captureContext?: boolean;
  /** Sample CPU, memory and event-loop lag as `system/*` metrics while the run is active (overrides the Ciclo's setting). */
  systemMetrics?: boolean | SystemMetricsOptions;
}

/** A dataset as `logInput` takes it; schema and profile may be objects (stored as JSON). */
export interface DatasetSpec {
  name: string;
  digest: string;
  source: string | object;
  sourceType: string;
  schema?: string | object;
  profile?: string | object;
}

export interface SearchRunsFluentOptions {
  /** Default: the active experiment. */
  experimentIds?: string[];
  experimentNames?: string[];
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  /** Runs returned in all (default 1,000), fetched page by page. */
  maxResults?: number;
}
