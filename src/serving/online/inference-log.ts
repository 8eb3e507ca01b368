/**
 * Optional request/response logging for the scoring server — the hook the
 * monitoring station builds on (drift on inputs, performance with late labels).
 *
 * Kept off the hot path: `record()` only pushes a reference to strings the
 * server already holds onto a bounded buffer (full → the record is dropped and
 * counted, never blocking or growing memory); a timer (unref'd) turns the
 * buffer into JSON lines and hands them to a sink, one flush at a time.
 *
 * Sinks: a JSON-lines file (appended), or the tracking server — one run per
 * serving process in experiment `serving/<model>`, each flush a
 * `inference-logs/part-NNNNNN.jsonl` artifact plus request/error/latency
 * metrics stepped by flush number.
 *
 * Line format: `{"ts", "model", "version", "protocol", "status", "latency_ms",
 * "rows", "request", "response"}`; `request`/`response` are the JSON bodies
 * (CSV bodies as text).
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { getOrCreateExperiment } from "../../sdk/run-starter.js";

export interface InferenceRecord {
  protocol: string;
  status: number;
  latencyMs: number;
  rows: number;
  request: string;
  response: string;
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

export class BufferedInferenceLog implements InferenceLog {
  private buffer: Buffered[] = [];
  private droppedCount = 0;
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: InferenceLogSink,
    private readonly model: { name: string; version: string },
    private readonly opts: { maxBuffered?: number; flushIntervalMs?: number } = {},
  ) {
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  get dropped(): number {
    return this.droppedCount;
  }

  record(r: InferenceRecord): void {
    if (this.buffer.length >= (this.opts.maxBuffered ?? 10_000)) {
      this.droppedCount++;
      return;
    }
    (r as Buffered).ts = Date.now();
    this.buffer.push(r as Buffered);
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.buffer.length === 0) return Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    let errors = 0;
    let total = 0;
    let max = 0;
    const lines = batch
      .map((r) => {
        if (r.status >= 400) errors++;
        total += r.latencyMs;
        max = Math.max(max, r.latencyMs);
        return JSON.stringify({
          ts: r.ts,
          model: this.model.name,
          version: this.model.version,
          protocol: r.protocol,
          status: r.status,
          latency_ms: Math.round(r.latencyMs * 1000) / 1000,
          rows: r.rows,
          request: embed(r.request),
          response: embed(r.response),
        });
      })
      .join("\n");
    const summary = { requests: batch.length, errors, meanLatencyMs: total / batch.length, maxLatencyMs: max };
    this.flushing = this.sink.write(`${lines}\n`, summary).then(
      () => {
        this.flushing = undefined;
      },
      () => {
        // Logging must never take the server down: count the loss and go on.
        this.droppedCount += batch.length;
        this.flushing = undefined;
      },
    );
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.sink.close();
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

/** Logs to a run on the tracking server (created on the first flush). */
export function trackingLogSink(opts: { trackingUri: string; modelName: string; modelVersion: string; modelUri: string }): InferenceLogSink {
  const client = new ArtifactClient({ trackingUri: opts.trackingUri });
  let runId: Promise<string> | undefined;
  let part = 0;
  const run = () =>
    (runId ??= getOrCreateExperiment(client.tracking, `serving/${opts.modelName}`).then(async (exp) => {
      const r = await client.tracking.createRun({
        experimentId: exp.experimentId,
        runName: `serving ${opts.modelName} v${opts.modelVersion}`,
        tags: { "ciclo.serving.model_uri": opts.modelUri, "ciclo.serving.model_version": opts.modelVersion },
      });
      return r.info.runId;
    }));
  return {
    async write(lines, s) {
      const id = await run();
      const step = part++;
      await client.logBytes(id, new TextEncoder().encode(lines), `inference-logs/part-${String(step).padStart(6, "0")}.jsonl`);
      await client.tracking.logBatch(id, {
        metrics: [
          { key: "requests", value: s.requests, step },
          { key: "errors", value: s.errors, step },
          { key: "latency_mean_ms", value: s.meanLatencyMs, step },
          { key: "latency_max_ms", value: s.maxLatencyMs, step },
        ],
      });
    },
    async close() {
      if (runId) await client.tracking.updateRun(await runId, { status: "FINISHED", endTime: Date.now() });
    },
  };
}
