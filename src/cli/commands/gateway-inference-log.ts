/**
 * `ciclo gateway`'s inference logging. When the server keeps inference logs
 * (its route table says so), the gateway logs the scoring requests it routes,
 * as the server's own router does, and sends them on marked as logged, so the
 * replicas skip them: each request is logged once, by the router it came
 * through, and the model servers spend none of their event loop on it.
 *
 * Each record the router pushes is copied at once into the batch being
 * built (`shared/node/inference-batch.ts`: length-prefixed fields, the
 * bodies as bytes, each record under the model and deployment that answered
 * it), so nothing of the request outlives it for V8's GC to copy; the
 * batch is the buffer of a `shared/node/buffered-flusher.ts` (full → dropped
 * and counted; a batch that fails is counted and reported, never thrown).
 * Every 250 ms the batch is posted to
 * `POST /api/ciclo/v1/monitoring/inference/batch` with the gateway's
 * credentials. Neither side builds or parses JSON for it; the server parses
 * the bodies once, for the segment's columns. A server without that route
 * (older than the gateway) gets the same records as JSON at
 * `POST /api/ciclo/v1/monitoring/inference` from then on.
 * @module
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { InferenceFeed, RoutedInference } from "../../deployments/router/inference-feed.js";
import { BufferedFlusher } from "../../shared/node/buffered-flusher.js";
import { decodeInferenceBatch, INFERENCE_BATCH_TYPE, InferenceBatchWriter, MAX_BATCH_RECORDS, type BatchSource } from "../../shared/node/inference-batch.js";
import { HttpClient } from "../../sdk/http-client.js";

export interface GatewayInferenceLog {
  /** What the router pushes to (`router.logTo(feed)`). */
  readonly feed: InferenceFeed;
  /** Records lost: a full buffer, or a post the server refused. */
  readonly dropped: number;
  /** Posts what is buffered, then stops. */
  close(): Promise<void>;
}

/** Where the batches go. */
export interface InferenceBatchSink {
  /** One batch (`records` of them); a rejection counts them as dropped. */
  write(batch: Buffer, records: number): Promise<void>;
  /** Lets go of its connections, after the last write. */
  close?(): void;
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
  sink?: InferenceBatchSink;
}

class BatchInferenceLog implements InferenceFeed {
  private readonly sources = new Map<string, BatchSource>();
  private last: BatchSource | undefined;
  readonly flusher: BufferedFlusher<RoutedInference, Buffer>;

  constructor(
    private readonly sink: InferenceBatchSink,
    opts: GatewayInferenceLogOptions,
  ) {
    // The batch being built is the buffer: each record is copied into it as it is pushed (a record the format
    // cannot hold, a name or request id past its length, throws and is dropped).
    const writer = new InferenceBatchWriter(256 * 1024);
    this.flusher = new BufferedFlusher<RoutedInference, Buffer>({
      buffer: {
        get length() {
          return writer.records;
        },
        push: (r) => writer.add(this.sourceOf(r), r),
        take: () => writer.finish(),
      },
      write: (batch, records) => sink.write(batch, records),
      flushIntervalMs: opts.flushIntervalMs ?? 250,
      maxBuffered: Math.min(opts.maxBuffered ?? 50_000, MAX_BATCH_RECORDS),
      onError: opts.onError,
    });
  }

  push(r: RoutedInference): void {
    this.flusher.push(r);
  }

  /** One source object per model, version, endpoint and deployment: the batch writes each once. */
  private sourceOf(r: RoutedInference): BatchSource {
    const l = this.last;
    if (l && l.deployment === r.deployment && l.endpoint === r.endpoint && l.modelVersion === r.modelVersion && l.modelName === r.modelName) return l;
    const key = `${r.modelName}\n${r.modelVersion}\n${r.endpoint}\n${r.deployment}`;
    let s = this.sources.get(key);
    if (!s) {
      if (this.sources.size >= 10_000) this.sources.clear();
      s = { modelName: r.modelName, modelVersion: r.modelVersion, endpoint: r.endpoint, deployment: r.deployment, sampleRate: 1 };
      this.sources.set(key, s);
    }
    return (this.last = s);
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  async close(): Promise<void> {
    await this.flusher.close();
    this.sink.close?.();
  }
}

/**
 * Posts each batch to the server's monitoring API over one kept-alive
 * connection (`node:http`: a post costs a fraction of `fetch`'s streams);
 * one attempt per batch, and one more on a new connection when the server
 * closed the idle one as the post began. A
 * server that has no batch route (404) gets this batch and every later one as
 * JSON records instead.
 */
export function monitoringBatchSink(opts: { trackingUri: string }): InferenceBatchSink {
  const http = new HttpClient({ trackingUri: opts.trackingUri });
  const batchUrl = new URL(http.url("/api/ciclo/v1/monitoring/inference/batch"));
  const jsonUrl = new URL(http.url("/api/ciclo/v1/monitoring/inference"));
  // One kept-alive connection: a post every 250 ms at most, one at a time.
  const agent = new (batchUrl.protocol === "https:" ? HttpsAgent : HttpAgent)({ keepAlive: true, maxSockets: 1 });
  let json = false;
  const post = (url: URL, type: string, body: Buffer | string, retried = false): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(url, { method: "POST", agent, timeout: 30_000, headers: { ...http.authHeaders, "content-type": type, "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.once("error", reject);
      });
      req.once("timeout", () => req.destroy(new Error("the monitoring API did not answer within 30 s")));
      req.once("error", (err: NodeJS.ErrnoException) => {
        // The server closed the kept-alive connection as this post began on it: once more, on a new one.
        if (!retried && req.reusedSocket && err.code === "ECONNRESET") resolve(post(url, type, body, true));
        else reject(err);
      });
      req.end(body);
    });
  return {
    close: () => agent.destroy(),
    async write(batch) {
      if (!json) {
        const res = await post(batchUrl, INFERENCE_BATCH_TYPE, batch);
        if (res.status >= 200 && res.status < 300) return;
        if (res.status !== 404) throw new Error(`the monitoring API answered ${res.status}: ${res.text.slice(0, 200)}`);
        json = true;
      }
      const records = decodeInferenceBatch(batch).map((r) => ({
        model_name: r.source.modelName,
        model_version: r.source.modelVersion,
        endpoint: r.source.endpoint ?? undefined,
        deployment: r.source.deployment ?? undefined,
        request_id: r.requestId,
        time: r.time,
        status: r.status,
        latency_ms: r.latencyMs,
        request: r.request,
        response: r.response,
      }));
      const res = await post(jsonUrl, "application/json", JSON.stringify({ records }));
      if (res.status < 200 || res.status >= 300) throw new Error(`the monitoring API answered ${res.status}: ${res.text.slice(0, 200)}`);
    },
  };
}

export function gatewayInferenceLog(opts: GatewayInferenceLogOptions): GatewayInferenceLog {
  const log = new BatchInferenceLog(opts.sink ?? monitoringBatchSink({ trackingUri: opts.trackingUri }), opts);
  return {
    feed: log,
    get dropped() {
      return log.flusher.dropped;
    },
    close: () => log.close(),
  };
}
