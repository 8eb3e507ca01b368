/**
 * `ciclo gateway`'s inference logging. When the server keeps inference logs
 * (its route table says so), the gateway logs the scoring requests it routes,
 * as the server's own router does, and sends them on marked as logged, so the
 * replicas skip them: each request is logged once, by the router it came
 * through, and the model servers spend none of their event loop on it.
 *
 * Nothing new on either side: the router's feed (deployments/router/
 * inference-feed.ts) takes references on the hot path and hands them over
 * after the answers; the scoring server's buffered log and monitoring sink
 * (serving/online/inference-log.ts) batch them and post them to
 * `POST /api/ciclo/v1/monitoring/inference` with the gateway's credentials,
 * each record under the model and deployment that answered it, the bodies as
 * the text received (no parse here, none on the server before its segments).
 * @module
 */
import { RouterInferenceFeed, type FeedEvent } from "../../deployments/router/inference-feed.js";
import { BufferedInferenceLog, monitoringLogSink, type InferenceLogSink } from "../../serving/online/inference-log.js";

export interface GatewayInferenceLog {
  /** What the router pushes to (`router.logTo(feed)`). */
  readonly feed: RouterInferenceFeed;
  /** Records lost: a full buffer, or a post the server refused. */
  readonly dropped: number;
  /** Posts what is buffered, then stops. */
  close(): Promise<void>;
}

export interface GatewayInferenceLogOptions {
  trackingUri: string;
  /** A post that failed, and how many records it held. */
  onError?: (err: unknown, records: number) => void;
  /** How often buffered records are posted, ms (default 250: a few thousand records per post at 20,000 req/s). */
  flushIntervalMs?: number;
  /** Records held before new ones are dropped (default 50,000). */
  maxBuffered?: number;
  /** Where the batches go (default: the server's monitoring API at `trackingUri`). */
  sink?: InferenceLogSink;
}

export function gatewayInferenceLog(opts: GatewayInferenceLogOptions): GatewayInferenceLog {
  const log = new BufferedInferenceLog(
    opts.sink ?? monitoringLogSink({ trackingUri: opts.trackingUri }),
    // Every record names its own model and deployment.
    { name: "", version: "" },
    { embedBodies: false, flushIntervalMs: opts.flushIntervalMs ?? 250, maxBuffered: opts.maxBuffered ?? 50_000, onError: opts.onError },
  );
  const record = (e: FeedEvent) =>
    log.record({
      status: e.status,
      latencyMs: e.latencyMs,
      request: e.request,
      response: e.response,
      requestId: e.requestId,
      time: e.time,
      source: { model: e.modelName, version: e.modelVersion, endpoint: e.endpoint, deployment: e.deployment },
    });
  const feed = new RouterInferenceFeed({ record });
  return {
    feed,
    get dropped() {
      return log.dropped + feed.dropped;
    },
    async close() {
      feed.drain();
      await log.close();
    },
  };
}
