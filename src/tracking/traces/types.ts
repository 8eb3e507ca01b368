/**
 * MLflow 3 traces (GenAI tracing): what the server keeps of a trace. The
 * spans themselves travel as `traces.json` through the artifact routes, under
 * the location the server names in the `mlflow.artifactLocation` tag.
 * @module
 */
import type { Assessment } from "./assessment-types.js";

/** TraceInfoV3.State by name. */
export const TRACE_STATES = ["STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"] as const;
export type TraceState = (typeof TRACE_STATES)[number];

export interface TraceInfo {
  traceId: string;
  experimentId: string;
  clientRequestId: string | null;
  /** Start of the trace, epoch milliseconds. */
  requestTime: number;
  /** Milliseconds; null while unknown. */
  executionDuration: number | null;
  state: TraceState;
  requestPreview: string | null;
  responsePreview: string | null;
  /** Immutable request metadata (`mlflow.sourceRun`, `mlflow.modelId`, sizes...). */
  metadata: Record<string, string>;
  /** Mutable tags (`mlflow.traceName`, `mlflow.artifactLocation`, the user's). */
  tags: Record<string, string>;
  /** Feedback and expectations, oldest first. */
  assessments: Assessment[];
}

/** What a search orders by: an attribute column, or a tag / metadata value. */
export interface TraceOrderBy {
  entity: "attribute" | "tag" | "metadata";
  key: string;
  ascending: boolean;
}

export interface DeleteTracesRequest {
  experimentId: string;
  /** Delete traces that started at or before this time... */
  maxTimestampMillis?: number;
  /** ...the oldest first, at most this many. */
  maxTraces?: number;
  /** Or exactly these traces (of the experiment). */
  traceIds?: string[];
}

/** Tag and metadata keys MLflow's client and server write. */
export const TRACE_KEYS = {
  artifactLocation: "mlflow.artifactLocation",
  traceName: "mlflow.traceName",
  sourceRun: "mlflow.sourceRun",
  modelId: "mlflow.modelId",
} as const;
