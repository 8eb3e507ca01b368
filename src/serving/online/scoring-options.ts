/**
 * Settings of `ciclo models serve` (flags as `mlflow models serve` names them,
 * plus ciclo's batching, limits and logging), with their defaults.
 * @module
 */
import { availableParallelism } from "node:os";
import type { EnvManager } from "../python/python-environment.js";
import type { RuntimeName } from "./model-runtime.js";
import type { TracingConfig } from "../../telemetry/tracing.js";

export interface ScoringOptions {
  /** `-m/--model-uri`: `models:/`, `runs:/`, `mlflow-artifacts:/` URI or a local folder. */
  modelUri: string;
  /** `-h/--host` (default 127.0.0.1, as MLflow). */
  host: string;
  /**
   * `-p/--port`: 8080, as the model image and KServe's model servers — not
   * MLflow's 5000, which is also the tracking server's default, so a scoring
   * server started beside `ciclo server` (or `mlflow server`) does not collide
   * with it. 0 = any free port.
   */
  port: number;
  /** Inference threads (default: cores − 1, at least 1 — the HTTP thread needs a core). 0 = score on the HTTP thread. */
  workers: number;
  /** Requests per model batch at most. */
  maxBatchSize: number;
  /** How long a small batch may wait to grow (ms; 0 = send at once). */
  maxWaitMs: number;
  /** Requests waiting at most before 503. */
  maxQueue: number;
  /** Bytes of waiting bodies at most before 503. */
  maxQueueBytes: number;
  /** A request that would wait longer for an inference thread (estimated) gets 503 (ms; 0 = no bound). */
  maxQueueWaitMs: number;
  /** Per-request deadline (ms): 504 past it. MLflow's default is 60 s. */
  timeoutMs: number;
  /** After SIGTERM, how long in-flight requests may take to finish (s). */
  drainSeconds: number;
  /** Largest request body (bytes): 413 past it. */
  maxBodyBytes: number;
  /**
   * Memory budget for requests in flight (bytes, estimated: bodies being read,
   * queued, parsed and scored — admission-control.ts): past it 503 + Retry-After.
   */
  maxInflightBytes: number;
  /** `--log-requests <file|tracking>`: a JSON-lines path, or `tracking` for the server's monitoring API. */
  logRequests?: string;
  /** `--log-sample-rate`: share of requests logged, in (0, 1] (default 1). */
  logSampleRate?: number;
  /** `--log-endpoint`/`--log-deployment`: the endpoint and deployment the records are filed under. */
  logEndpoint?: string;
  logDeployment?: string;
  trackingUri?: string;
  /** Name and version reported in metrics and /v2 paths (default: from the URI). */
  modelName?: string;
  modelVersion?: string;
  /** `--runtime`: `in-process` or `python` (default: from the MLmodel file). */
  runtime?: RuntimeName;
  /** Python runtime: `--env-manager`, `--python`, `--system-site-packages`, `--pip-index-url` (virtualenv builds), `--batches-per-worker`. */
  python?: { envManager?: EnvManager; python?: string; systemSitePackages?: boolean; pipIndexUrl?: string; batchesPerWorker?: number };
  /** `--otlp-endpoint` or OTEL_EXPORTER_OTLP_*: where spans go (absent: no tracing, the SDK never loaded). */
  tracing?: TracingConfig;
}

export const SCORING_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  maxBatchSize: 64,
  maxWaitMs: 0,
  maxQueue: 1024,
  maxQueueBytes: 256 * 1024 * 1024,
  maxQueueWaitMs: 2000,
  timeoutMs: 60_000,
  drainSeconds: 30,
  maxBodyBytes: 64 * 1024 * 1024,
  maxInflightBytes: 512 * 1024 * 1024,
} as const;

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function scoringOptions(o: Partial<ScoringOptions> & { modelUri: string }): ScoringOptions {
  return { ...SCORING_DEFAULTS, workers: defaultWorkers(), ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as ScoringOptions;
}
