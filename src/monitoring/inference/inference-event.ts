/**
 * One scored request as monitoring receives it, and the sink that takes it.
 * The scoring server (`ciclo models serve`), batch scoring and the
 * deployments' endpoints all hand their requests to an {@link InferenceSink};
 * in the server process the monitoring module provides one
 * (`ctx.get("monitoring").sink`), other processes post them to
 * `POST /api/ciclo/v1/monitoring/inference`.
 * @module
 */
import type { InferenceSource } from "../core/monitoring-store.js";

export interface InferenceEvent extends InferenceSource {
  /** The caller's `x-request-id` (labels arrive later by it), or one the server made up. */
  requestId: string;
  /** Epoch ms when the request arrived. */
  time: number;
  status: number;
  latencyMs: number;
  /** The request body (JSON in one of MLflow's input formats, or CSV) as received. */
  request: string;
  /** The response body (`{"predictions": ...}`, or an error). */
  response: string;
  /** Share already sampled upstream (a scoring process that sampled before sending); default 1. */
  sampleRate?: number;
}

export interface InferenceSink {
  /**
   * Takes an event without blocking on I/O: sampled, its bodies read into
   * the columns of its segment (a parse, synchronous: callers on a request
   * path call it after the answer), written in the background. Never throws;
   * a full buffer drops and counts.
   */
  record(event: InferenceEvent): void;
}
