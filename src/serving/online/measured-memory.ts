/**
 * Admission control's second guard: memory as the kernel counts it, not as
 * estimated. The per-body-byte estimate (admission-control.ts) bounds what
 * requests in flight hold; it cannot see what they leave behind — garbage a
 * JavaScript heap has not collected yet, buffers freed to the allocator and
 * not yet returned — and under a sustained overload that is what fills the
 * process. So the server also reads its resident memory (and its runtime's
 * processes': the Python workers), at most once per `sampleMs`, and while it
 * is more than the ceiling above the reading taken when the model was ready,
 * new requests are refused with 503 like any other overload.
 *
 * It cannot lock the server out: the guard only refuses while some request
 * is in flight (admission-control.ts asks it then), so a server whose memory
 * does not fall still scores one request at a time, and every answer gives
 * the next reading a chance to be lower. When a reading is over, the server
 * may ask its JavaScript heaps to collect now (`onOver`, at most once per
 * `collectMs`), so garbage awaiting a major collection does not keep it over.
 * @module
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** A process's resident memory (VmRSS in /proc/<pid>/status), in bytes; 0 where it cannot be read (not Linux, exited). */
export function residentBytesOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The measured ceiling as a share of `--max-inflight-mb`: new work is refused
 * from there on, leaving the rest for what requests already admitted have
 * yet to allocate (their bodies still arriving, their answers still to be
 * written) — the peak lands above the reading that refused.
 */
export const MEASURED_CEILING_SHARE = 0.6;

/**
 * The lowest measured ceiling: what a busy server grows by before any
 * request's own memory — V8's young generations growing to their size under
 * load (up to 2 × 32 MB per thread with bin/ciclo.js's flag), compiled code,
 * sockets — measured at 72–84 MB above idle with 64 connections of one-row
 * and 100-row requests. A ceiling below it would refuse ordinary traffic, so
 * budgets under ~210 MB are guarded at this floor (and held by the estimate).
 */
export const MEASURED_CEILING_FLOOR_BYTES = 128 * 1024 * 1024;

/** The measured guard's ceiling for a `--max-inflight-mb` budget (bytes). */
export function measuredCeiling(maxInflightBytes: number): number {
  return Math.max(Math.round(maxInflightBytes * MEASURED_CEILING_SHARE), MEASURED_CEILING_FLOOR_BYTES);
}

export interface MeasuredMemoryOptions {
  /** Bytes above the baseline past which new work is refused. */
  ceilingBytes: number;
  /** Resident bytes of everything the server runs on now (this process and the runtime's processes). */
  read: () => number;
  /** The reading stands this long (ms) before it is taken again. */
  sampleMs?: number;
  /** Called when a reading is over the ceiling, at most once per `collectMs` (e.g. to collect garbage now). */
  onOver?: () => void;
  collectMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export interface MeasuredMemoryStats {
  /** The reading taken when the model was ready (bytes). */
  baselineBytes: number;
  /** The last reading above the baseline (bytes; negative readings count as 0). */
  aboveBytes: number;
  /** The highest reading above the baseline. */
  peakAboveBytes: number;
  /** Readings found over the ceiling. */
  overReadings: number;
}

export class MeasuredMemory {
  private baseline = 0;
  private hasBaseline = false;
  private last = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastCollectAt = Number.NEGATIVE_INFINITY;
  private peak = 0;
  private overCount = 0;
  private readonly sampleMs: number;
  private readonly collectMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: MeasuredMemoryOptions) {
    this.sampleMs = opts.sampleMs ?? 10;
    this.collectMs = opts.collectMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  get ceilingBytes(): number {
    return this.opts.ceilingBytes;
  }

  /** Takes the reading that `above` counts from (the idle server with its model loaded). */
  setBaseline(): void {
    this.hasBaseline = true;
    this.baseline = this.opts.read();
    this.last = 0;
    this.lastAt = this.now();
  }

  /** Resident bytes above the baseline, read again if the last reading is older than `sampleMs`. */
  above(): number {
    if (!this.hasBaseline) return 0; // the server is not scoring yet
    const t = this.now();
    if (t - this.lastAt >= this.sampleMs) {
      this.lastAt = t;
      this.last = Math.max(0, this.opts.read() - this.baseline);
      if (this.last > this.peak) this.peak = this.last;
      if (this.last > this.opts.ceilingBytes) {
        this.overCount++;
        if (this.opts.onOver && t - this.lastCollectAt >= this.collectMs) {
          this.lastCollectAt = t;
          this.opts.onOver();
        }
      }
    }
    return this.last;
  }

  /** True while the memory above the baseline is past the ceiling. */
  isOver(): boolean {
    return this.above() > this.opts.ceilingBytes;
  }

  stats(): MeasuredMemoryStats {
    return { baselineBytes: this.baseline, aboveBytes: this.last, peakAboveBytes: this.peak, overReadings: this.overCount };
  }
}

/**
 * A function that runs a full garbage collection of this thread's heap now,
 * and makes `globalThis.gc` available in worker threads started after it
 * (V8's `--expose-gc`, set at run time: it applies to contexts created from
 * then on, so it is asked for before the inference threads start). Used
 * only when measured memory is past the ceiling: V8 sizes its next major
 * collection from the last one and may otherwise let an overloaded server's
 * garbage grow for hundreds of megabytes. Undefined if V8 refuses.
 */
export function exposeGarbageCollector(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
