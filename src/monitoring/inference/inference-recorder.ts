/**
 * The in-server inference sink: samples events at a configured rate, keeps
 * them in a bounded buffer (a full buffer drops and counts, never blocks),
 * and on a timer or when enough rows wait, writes one Parquet segment per
 * source (model, version, endpoint, deployment) into the artifact store and
 * indexes it in the metadata store. One flush at a time; a failed write
 * counts its events as dropped and never reaches the request path.
 * @module
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ArtifactRepository } from "../../artifacts/index.js";
import type { MonitoringStore, SegmentRecord } from "../core/monitoring-store.js";
import type { InferenceEvent, InferenceSink } from "./inference-event.js";
import { encodeSegment } from "./segment-codec.js";

export interface InferenceRecorderOptions {
  /** Share of requests kept, in [0, 1] (default 1). */
  sampleRate?: number;
  /** Events held before new ones are dropped (default 50,000). */
  maxBuffered?: number;
  /** Flush period, ms (default 10 s); a flush also starts when `flushEvents` wait. */
  flushIntervalMs?: number;
  flushEvents?: number;
  /** Folder of segments in the artifact store (default `monitoring/inference`). */
  prefix?: string;
  random?: () => number;
  now?: () => number;
  onError?(err: unknown): void;
}

/** A path segment that stays inside its folder whatever the model or endpoint is called. */
export function pathPart(s: string): string {
  return encodeURIComponent(s).replace(/\./g, "%2E") || "_";
}

export class InferenceRecorder implements InferenceSink {
  private buffer: InferenceEvent[] = [];
  private droppedCount = 0;
  private sampledOut = 0;
  private flushing: Promise<SegmentRecord[]> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly rate: number;

  constructor(
    private readonly store: MonitoringStore,
    private readonly repo: ArtifactRepository,
    private readonly opts: InferenceRecorderOptions = {},
  ) {
    this.rate = Math.min(1, Math.max(0, opts.sampleRate ?? 1));
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Events lost: a full buffer or a failed segment write. */
  get dropped(): number {
    return this.droppedCount;
  }
  /** Events not kept by sampling. */
  get skipped(): number {
    return this.sampledOut;
  }
  get sampleRate(): number {
    return this.rate;
  }

  record(event: InferenceEvent): void {
    if (this.rate < 1 && (this.opts.random ?? Math.random)() >= this.rate) {
      this.sampledOut++;
      return;
    }
    if (this.buffer.length >= (this.opts.maxBuffered ?? 50_000)) {
      this.droppedCount++;
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length >= (this.opts.flushEvents ?? 5_000) && !this.flushing) void this.flush();
  }

  /** Writes what is buffered; resolves with the segments written. */
  flush(): Promise<SegmentRecord[]> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.buffer.length === 0) return Promise.resolve([]);
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(batch: InferenceEvent[]): Promise<SegmentRecord[]> {
    const groups = new Map<string, InferenceEvent[]>();
    for (const e of batch) {
      const key = JSON.stringify([e.modelName, e.modelVersion, e.endpoint, e.deployment, e.dataset ?? null, e.sampleRate ?? 1]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(e);
    }
    const out: SegmentRecord[] = [];
    for (const events of groups.values()) {
      try {
        out.push(await this.writeSegment(events));
      } catch (err) {
        this.droppedCount += events.length;
        this.opts.onError?.(err);
      }
    }
    return out;
  }

  private async writeSegment(events: InferenceEvent[]): Promise<SegmentRecord> {
    const e = events[0];
    const seg = await encodeSegment(events);
    const day = new Date(seg.startTime).toISOString().slice(0, 10);
    const where = e.dataset
      ? `datasets/${pathPart(e.dataset)}`
      : e.endpoint
        ? `endpoints/${pathPart(e.endpoint)}/${pathPart(e.deployment ?? "_")}`
        : `models/${pathPart(e.modelName)}`;
    const path = `${this.opts.prefix ?? "monitoring/inference"}/${where}/${pathPart(e.modelVersion)}/${day}/${seg.startTime}-${randomBytes(6).toString("hex")}.parquet`;
    await this.repo.put(path, Readable.from([Buffer.from(seg.bytes)]));
    try {
      return await this.store.addSegment({
        modelName: e.modelName,
        modelVersion: e.modelVersion,
        endpoint: e.endpoint,
        deployment: e.deployment,
        dataset: e.dataset ?? null,
        startTime: seg.startTime,
        endTime: seg.endTime,
        rows: seg.rows,
        requests: seg.requests,
        errors: seg.errors,
        sampleRate: (e.sampleRate ?? 1) * this.rate,
        path,
        bytes: seg.bytes.byteLength,
        createdAt: (this.opts.now ?? Date.now)(),
      });
    } catch (err) {
      await this.repo.delete(path).catch(() => undefined);
      throw err;
    }
  }
}
