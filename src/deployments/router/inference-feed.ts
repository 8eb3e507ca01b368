/**
 * The router's side of inference logging: every answered scoring request of
 * an endpoint (and every mirrored copy, filed under its shadow deployment)
 * goes to monitoring keyed by endpoint, deployment and model version.
 *
 * The router's hot path only pushes references to the buffers it already
 * holds onto a bounded queue (full → dropped and counted); a drain scheduled
 * with `setImmediate` — after the answer is on its way — turns a whole batch
 * into events for the sink (monitoring's recorder, which samples, buffers and
 * writes Parquet segments on its own timer). Nothing here blocks or throws
 * into the request.
 *
 * Requests it logs are forwarded with {@link LOGGED_HEADER}, so a model server
 * that logs too (the local target starts them with `--log-requests tracking`
 * for the traffic they take directly) does not file them a second time.
 * @module
 */
import { INFERENCE_LOGGED_HEADER } from "../../shared/inference-headers.js";

/** Set on requests the router has logged; a model server skips logging those. */
export const LOGGED_HEADER = INFERENCE_LOGGED_HEADER;

/** One event as monitoring's sink takes it (structural: deployments does not import monitoring). */
export interface FeedEvent {
  requestId: string;
  time: number;
  modelName: string;
  modelVersion: string;
  endpoint: string;
  deployment: string;
  status: number;
  latencyMs: number;
  request: string;
  response: string;
}

export interface FeedSink {
  record(event: FeedEvent): void;
}

/** What the router hands over: references only, converted later. */
export interface RoutedInference extends Omit<FeedEvent, "request" | "response"> {
  request: Buffer | undefined;
  response: Buffer | string;
}

/** What the router pushes logged requests to: {@link RouterInferenceFeed}, or `ciclo gateway`'s batch log. */
export interface InferenceFeed {
  /** Called on the request path once the replica has answered: takes references, does no conversion, never throws. */
  push(r: RoutedInference): void;
}

export class RouterInferenceFeed implements InferenceFeed {
  private pending: RoutedInference[] = [];
  private scheduled = false;
  private droppedCount = 0;

  constructor(
    private readonly sink: FeedSink,
    private readonly opts: { maxPending?: number; onError?: (err: unknown) => void } = {},
  ) {}

  /** Requests lost because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  push(r: RoutedInference): void {
    if (this.pending.length >= (this.opts.maxPending ?? 20_000)) {
      this.droppedCount++;
      return;
    }
    this.pending.push(r);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Hands everything queued to the sink now (also what the scheduled drain does). */
  readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const r of batch) {
      try {
        this.sink.record({
          requestId: r.requestId,
          time: r.time,
          modelName: r.modelName,
          modelVersion: r.modelVersion,
          endpoint: r.endpoint,
          deployment: r.deployment,
          status: r.status,
          latencyMs: r.latencyMs,
          request: r.request ? r.request.toString("utf8") : "",
          response: typeof r.response === "string" ? r.response : r.response.toString("utf8"),
        });
      } catch (err) {
        this.droppedCount++;
        this.opts.onError?.(err);
      }
    }
  };
}
