/**
 * Optional request/response logging for the scoring server — the hook the
 * monitoring station builds on (drift on inputs, performance with late labels).
 *
 * Kept off the hot path: `record()` only pushes a reference to strings the
 * server already holds onto a bounded buffer (full → the record is dropped and
 * counted, never blocking or growing memory); a timer (unref'd) turns the
 * buffer into JSON lines and hands them to a sink, one flush at a time (the
 * buffer, timer and drop counting: shared/node/buffered-flusher.ts, which
 * `ciclo gateway`'s log shares).
 *
 * Sinks: a JSON-lines file (appended), or the ciclo server's monitoring API
 * (`POST /api/ciclo/v1/monitoring/inference`), which writes the records into
 * Parquet segments indexed for monitors (docs/monitoring.md).
 *
 * Requests are sampled at `sampleRate` before they are buffered.
 *
 * Line format: `{"ts", "model", "version", "protocol", "status", "latency_ms",
 * "rows", "request", "response", "request_id", "sample_rate"}` (plus
 * `endpoint`/`deployment` when given); `request`/`response` are the JSON
 * bodies (CSV bodies as text), or the bodies' text with `embedBodies: false`.
 * The model, version, endpoint and deployment are the log's own, or each
 * record's `source` (a log that holds several deployments' requests;
 * `ciclo gateway` posts binary batches instead: cli/commands/gateway-inference-log.ts).
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { HttpClient } from "../../sdk/http-client.js";
import { BufferedFlusher } from "../../shared/node/buffered-flusher.js";

export interface InferenceRecord {
  protocol?: string;
  status: number;
  latencyMs: number;
  /** Rows scored (known to the scoring server, not to a router in front of it). */
  rows?: number;
  request: string;
  response: string;
  /** The caller's `x-request-id` (or one the scoring server made up and answered). */
  requestId?: string;
  /** Epoch ms the request arrived (default: when it is recorded). */
  time?: number;
  /** The model and deployment that answered, for a log that holds several (a router's); default: the log's own. */
  source?: InferenceSource;
}

export interface InferenceSource {
  model: string;
  version: string;
  endpoint?: string;
  deployment?: string;
}

export interface InferenceLog {
  record(r: InferenceRecord): void;
  /** Records dropped because the buffer was full or a sink write failed. */
  readonly dropped: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface InferenceLogSink {
  write(lines: string, summary: FlushSummary): Promise<void>;
  close(): Promise<void>;
}

interface FlushSummary {
  requests: number;
  errors: number;
  meanLatencyMs: number;
  maxLatencyMs: number;
}

interface Buffered extends InferenceRecord {
  ts: number;
}

function embed(text: string): unknown {
  if (text === "") return null;
  const c = text.charCodeAt(0);
  if (c !== 123 && c !== 91) return text; // not JSON (CSV)
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface BufferedInferenceLogOptions {
  /** Records held before new ones are dropped (default 10,000). */
  maxBuffered?: number;
  /** How often buffered records go to the sink, ms (default 1000). */
  flushIntervalMs?: number;
  sampleRate?: number;
  endpoint?: string;
  deployment?: string;
  random?: () => number;
  /**
   * JSON bodies go into each line as JSON (default: readable JSON lines), or as the text received (false: the
   * monitoring API takes either, and text costs neither side a parse and a re-serialisation).
   */
  embedBodies?: boolean;
  /** A flush the sink refused (its records are counted as dropped). */
  onError?: (err: unknown, records: number) => void;
}

export class BufferedInferenceLog implements InferenceLog {
  private readonly flusher: BufferedFlusher<Buffered>;

  constructor(
    private readonly sink: InferenceLogSink,
    private readonly model: { name: string; version: string },
    private readonly opts: BufferedInferenceLogOptions = {},
  ) {
    this.flusher = new BufferedFlusher<Buffered>({
      write: (batch) => this.write(batch),
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      maxBuffered: opts.maxBuffered ?? 10_000,
      onError: opts.onError,
    });
  }

  get dropped(): number {
    return this.flusher.dropped;
  }

  record(r: InferenceRecord): void {
    const rate = this.opts.sampleRate ?? 1;
    if (rate < 1 && (this.opts.random ?? Math.random)() >= rate) return;
    // Stamped once buffered (nothing is written before this returns): a dropped record is left as given.
    if (this.flusher.push(r as Buffered)) (r as Buffered).ts = r.time ?? Date.now();
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  async close(): Promise<void> {
    await this.flusher.close();
    await this.sink.close();
  }

  /** One batch as JSON lines, with its summary, to the sink. */
  private write(batch: Buffered[]): Promise<void> {
    let errors = 0;
    let total = 0;
    let max = 0;
    const asJson = this.opts.embedBodies !== false;
    const lines = batch
      .map((r) => {
        if (r.status >= 400) errors++;
        total += r.latencyMs;
        max = Math.max(max, r.latencyMs);
        const s = r.source;
        return JSON.stringify({
          ts: r.ts,
          model: s ? s.model : this.model.name,
          version: s ? s.version : this.model.version,
          protocol: r.protocol,
          status: r.status,
          latency_ms: Math.round(r.latencyMs * 1000) / 1000,
          rows: r.rows,
          request: asJson ? embed(r.request) : r.request,
          response: asJson ? embed(r.response) : r.response,
          request_id: r.requestId,
          sample_rate: this.opts.sampleRate,
          endpoint: s ? s.endpoint : this.opts.endpoint,
          deployment: s ? s.deployment : this.opts.deployment,
        });
      })
      .join("\n");
    const summary = { requests: batch.length, errors, meanLatencyMs: total / batch.length, maxLatencyMs: max };
    return this.sink.write(`${lines}\n`, summary);
  }
}

/** Appends JSON lines to a local file. */
export function fileLogSink(path: string): InferenceLogSink {
  const stream: WriteStream = createWriteStream(path, { flags: "a" });
  return {
    write: (lines) =>
      new Promise<void>((resolve, reject) => {
        stream.write(lines, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}

/**
 * Sends each flush to the ciclo server's monitoring API as one
 * `{"records": [...]}` body (the lines are the records). One attempt per
 * flush: a failure counts the flush's records as dropped.
 */
export function monitoringLogSink(opts: { trackingUri: string }): InferenceLogSink {
  const http = new HttpClient({ trackingUri: opts.trackingUri });
  const url = http.url("/api/ciclo/v1/monitoring/inference");
  return {
    async write(lines) {
      // JSON.stringify escapes every newline inside a record, so the only ones are between records.
      const body = `{"records":[${lines.trimEnd().replaceAll("\n", ",")}]}`;
      const res = await fetch(url, { method: "POST", headers: { ...http.authHeaders, "content-type": "application/json" }, body, signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`the monitoring API answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer().catch(() => undefined);
    },
    async close() {},
  };
}
