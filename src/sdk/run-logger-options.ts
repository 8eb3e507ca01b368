/**
 * The run logger's options and the shapes it shares with batch delivery and
 * the fluent API: where a run's data goes (a server run, or an offline spool)
 * and what the logger counts.
 * @module
 */
import type { Tag } from "../shared/types.js";
import type { ErrorHook } from "./logging-errors.js";
import type { RunSpool } from "./offline-spool.js";
import type { TrackingClient } from "./tracking-client.js";

/** What the spool needs to know about a run that falls back to offline. */
export interface RunDescriptor {
  runId: string;
  experimentId: string | null;
  experimentName: string | null;
  runName: string;
  userId: string;
  startTime: number;
  tags: Tag[];
}

export type LoggerTarget =
  | { mode: "online"; client: TrackingClient; run: RunDescriptor }
  | { mode: "offline"; spool: RunSpool };

export interface RunLoggerOptions {
  /** Send what is buffered at least this often, ms (default 1,000). */
  flushIntervalMs?: number;
  maxMetricsPerBatch?: number;
  maxParamsPerBatch?: number;
  maxTagsPerBatch?: number;
  /** Points kept in memory while the server lags; more are dropped with a "buffer-full" error (default 1,000,000). */
  maxBufferedMetrics?: number;
  /** Where an unreachable server's runs are spooled (default ./ciclo-data/offline). */
  offlineDir?: string;
  /** Spool to disk when the server stays unreachable (default true); false drops the data with an error. */
  offlineFallback?: boolean;
  onError?: ErrorHook;
  /** Called after each log-batch / log-inputs call the server accepted, with what it carried (stats, tests, progress). */
  onBatchSent?(sent: { metrics: number; params: number; tags: number; inputs: number }): void;
}

export interface RunLoggerStats {
  /** log-batch calls that succeeded. */
  batches: number;
  metrics: number;
  params: number;
  tags: number;
  inputs: number;
  /** Lines written to the offline spool. */
  spooledRecords: number;
  /** Metrics in each successful log-batch call (the first 10,000 calls). */
  metricsPerBatch: number[];
}
