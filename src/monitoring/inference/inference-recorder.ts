/**
 * The in-server inference sink: samples events at a configured rate, files
 * each one at once into the columns of its source's next segment (model,
 * version, endpoint, deployment; `segment-builder.ts` — the event itself is
 * not kept), bounded in events (a full buffer drops and counts, never
 * blocks), and on a timer or when enough events wait, writes one Parquet
 * segment per source into the artifact store and indexes it in the metadata
 * store. One flush at a time; a failed write counts its events as dropped and
 * never reaches the request path.
 * @module
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ArtifactRepository } from "../../artifacts/index.js";
import type { InferenceSource, MonitoringStore, SegmentRecord } from "../core/monitoring-store.js";
import type { InferenceEvent, InferenceSink } from "./inference-event.js";
import { SegmentBuilder } from "./segment-builder.js";

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

/** The source an event is filed under, and the columns of its next segment. */
interface Pending {
  source: InferenceSource;
  sampleRate: number;
  builder: SegmentBuilder;
}

function sameSource(a: InferenceEvent, sampleRate: number, p: Pending): boolean {
  const b = p.source;
  return (
    a.modelName === b.modelName &&
    a.modelVersion === b.modelVersion &&
    a.endpoint === b.endpoint &&
    a.deployment === b.deployment &&
    (a.dataset ?? null) === (b.dataset ?? null) &&
    sampleRate === p.sampleRate
  );
}

export class InferenceRecorder implements InferenceSink {
  /** Segments being filled, by source. */
  private pending = new Map<string, Pending>();
  /** The last source filed into: a router's events mostly come from one. */
  private last: Pending | undefined;
  private buffered = 0;
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
    if (this.buffered >= (this.opts.maxBuffered ?? 50_000)) {
      this.droppedCount++;
      return;
    }
    const sampleRate = event.sampleRate ?? 1;
    let p = this.last;
    if (!p || !sameSource(event, sampleRate, p)) {
      const key = JSON.stringify([event.modelName, event.modelVersion, event.endpoint, event.deployment, event.dataset ?? null, sampleRate]);
      p = this.pending.get(key);
      if (!p) {
        const { modelName, modelVersion, endpoint, deployment, dataset } = event;
        p = { source: { modelName, modelVersion, endpoint, deployment, dataset: dataset ?? null }, sampleRate, builder: new SegmentBuilder() };
        this.pending.set(key, p);
      }
      this.last = p;
    }
    try {
      p.builder.add(event);
    } catch (err) {
      this.droppedCount++;
      this.opts.onError?.(err);
      return;
    }
    this.buffered++;
    if (this.buffered >= (this.opts.flushEvents ?? 5_000) && !this.flushing) void this.flush();
  }

  /** Writes what is buffered; resolves with the segments written. */
  flush(): Promise<SegmentRecord[]> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.buffered === 0) return Promise.resolve([]);
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.last = undefined;
    this.buffered = 0;
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(batch: Pending[]): Promise<SegmentRecord[]> {
    const out: SegmentRecord[] = [];
    for (const p of batch) {
      try {
        out.push(await this.writeSegment(p));
      } catch (err) {
        this.droppedCount += p.builder.requests;
        this.opts.onError?.(err);
      }
    }
    return out;
  }

  private async writeSegment(p: Pending): Promise<SegmentRecord> {
    const e = p.source;
    const seg = await p.builder.encode();
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
        sampleRate: p.sampleRate * this.rate,
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
