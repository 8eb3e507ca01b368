/**
 * Admission control: one memory budget for everything a scoring server holds
 * for requests in flight, so an overload is refused with 503 + Retry-After
 * instead of growing the process until the kernel or the clients give up.
 *
 * Every request is charged, from the moment its body starts arriving until
 * its answer is written, `body bytes × bytes-per-body-byte`: what one body
 * byte costs on its way through the server. That factor is the front's share
 * ({@link FRONT_BYTES_PER_BODY_BYTE}: the body text on the HTTP thread and
 * its copy handed to the runtime) plus the runtime's own estimate
 * (`InferenceExecutor.bytesPerBodyByte`: parsed input, columns, tensors, the
 * serialised answer). A body with a Content-Length is charged in full before
 * a byte of it is read; a chunked body is charged chunk by chunk and refused
 * the moment it no longer fits.
 *
 * A runtime that holds memory the estimate does not cover — the Python
 * runtime's worker buffers: each batch's frame from the moment it is written
 * to a worker until its reply is read, and the replies being read — reports
 * it through {@link MemoryAccount.hold}; such holds are never refused (the
 * memory is already taken) but they leave less room for new requests until
 * released (on the reply, or when the worker dies).
 *
 * The budget is soft in one way only: a single request larger than the
 * whole budget is still admitted when nothing else is in flight, so a
 * server with a small budget can still score a body it accepts by size
 * (`--max-body-mb` is the hard per-request limit).
 *
 * The estimate bounds what requests hold; what they leave behind (garbage
 * not yet collected, memory freed to the allocator and kept) it cannot see.
 * A second guard, {@link MeasuredMemory} (measured-memory.ts), refuses new
 * requests while the resident memory measured above the idle server is past
 * its ceiling — but never the only request: with nothing in flight a
 * request is always admitted, so the server cannot lock itself out.
 * @module
 */
import type { MeasuredMemory } from "./measured-memory.js";

/** What the front itself holds per body byte: the text read on the HTTP thread and the copy posted to the runtime. */
export const FRONT_BYTES_PER_BODY_BYTE = 2;

/** Memory a runtime already holds, reported to the budget until released. */
export interface MemoryHold {
  /** Changes the held amount (e.g. a buffer grew). */
  resize(bytes: number): void;
  release(): void;
}

/** Where a runtime reports buffers the per-request estimate does not cover. */
export interface MemoryAccount {
  hold(bytes: number): MemoryHold;
}

/** A request's charge against the budget. */
export interface Reservation {
  /** Bytes charged now. */
  readonly bytes: number;
  /** Charges `bodyBytes` more body bytes (a chunk arrived); false (and nothing charged) when they do not fit. */
  grow(bodyBytes: number): boolean;
  release(): void;
}

export interface AdmissionLimits {
  /** Estimated bytes in flight at most (the budget). */
  maxInflightBytes: number;
  /** Seconds a refused client is told to wait (`Retry-After`). */
  retryAfterSeconds: number;
}

export interface AdmissionStats {
  /** Estimated bytes held now (requests and runtime holds). */
  inflightBytes: number;
  /** The most ever held at once. */
  peakInflightBytes: number;
  /** Requests refused for want of room (either guard). */
  refused: number;
  /** Of those, refused because the measured memory was past its ceiling. */
  refusedMeasured: number;
  /** Requests holding a reservation now. */
  admitted: number;
  /** Of `inflightBytes`, what runtimes hold through {@link MemoryAccount.hold} now (Python worker buffers). */
  heldBytes: number;
  /** The most runtimes ever held at once. */
  peakHeldBytes: number;
}

export class AdmissionControl implements MemoryAccount {
  private used = 0;
  private peak = 0;
  private refusedCount = 0;
  private refusedMeasuredCount = 0;
  private reservations = 0;
  private held = 0;
  private peakHeld = 0;
  /** Charged per body byte: the front's share plus the runtime's estimate (set once the runtime is known). */
  private perBodyByte: number;

  constructor(
    readonly limits: AdmissionLimits,
    /** The guard on measured memory (absent: the estimate alone). */
    readonly measured?: MeasuredMemory,
  ) {
    this.perBodyByte = FRONT_BYTES_PER_BODY_BYTE;
  }

  /** The runtime's estimate of what it holds per body byte while scoring (added to the front's share). */
  setRuntimeBytesPerBodyByte(n: number): void {
    this.perBodyByte = FRONT_BYTES_PER_BODY_BYTE + Math.max(0, n);
  }

  get bytesPerBodyByte(): number {
    return this.perBodyByte;
  }

  get retryAfterSeconds(): number {
    return this.limits.retryAfterSeconds;
  }

  stats(): AdmissionStats {
    return {
      inflightBytes: this.used,
      peakInflightBytes: this.peak,
      refused: this.refusedCount,
      refusedMeasured: this.refusedMeasuredCount,
      admitted: this.reservations,
      heldBytes: this.held,
      peakHeldBytes: this.peakHeld,
    };
  }

  private fits(bytes: number): boolean {
    // A lone request is admitted whatever its size (the body limit bounds it) or the memory measured, so neither guard
    // can refuse everything: with nothing in flight the next answer is always on its way.
    if (this.reservations === 0 && this.used === 0) return true;
    if (this.reservations > 0 && this.measured?.isOver()) {
      this.refusedMeasuredCount++;
      return false;
    }
    return this.used + bytes <= this.limits.maxInflightBytes || this.used === 0;
  }

  private charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  /** Reserves room for a request whose body is `bodyBytes` long (so far); undefined when it does not fit (answer 503). */
  tryReserve(bodyBytes: number): Reservation | undefined {
    const first = Math.ceil(bodyBytes * this.perBodyByte);
    if (!this.fits(first)) {
      this.refusedCount++;
      return undefined;
    }
    this.charge(first);
    this.reservations++;
    let held = first;
    let released = false;
    const perByte = this.perBodyByte;
    return {
      get bytes() {
        return held;
      },
      grow: (more: number): boolean => {
        if (released) return false;
        const extra = Math.ceil(more * perByte);
        if (this.used + extra > this.limits.maxInflightBytes && this.used > held) {
          this.refusedCount++;
          return false;
        }
        this.charge(extra);
        held += extra;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.used -= held;
        this.reservations--;
      },
    };
  }

  hold(bytes: number): MemoryHold {
    let held = 0;
    let released = false;
    const set = (n: number) => {
      const next = Math.max(0, n);
      this.held += next - held;
      if (this.held > this.peakHeld) this.peakHeld = this.held;
      this.charge(next - held);
      held = next;
    };
    set(bytes);
    return {
      resize: (n: number) => {
        if (!released) set(n);
      },
      release: () => {
        if (released) return;
        set(0);
        released = true;
      },
    };
  }
}
