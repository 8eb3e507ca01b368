/**
 * A bounded buffer that a timer hands over, a batch at a time, to whatever
 * writes it — what the scoring server's inference log
 * (serving/online/inference-log.ts) and `ciclo gateway`'s
 * (cli/commands/gateway-inference-log.ts) share; each says only how a batch
 * is written.
 *
 * Kept off the hot path: `push()` only appends a reference (full → dropped and
 * counted, never blocking or growing memory). The timer is unref'd, so it never
 * keeps a process alive. One write at a time: a flush asked for while one is in
 * flight waits for it, then writes what was buffered meanwhile. A batch whose
 * write throws or rejects is counted as dropped and reported, never thrown:
 * logging must never take its process down.
 * @module
 */

export interface BufferedFlusherOptions<T> {
  /** Writes one batch (its records in the order pushed); a throw or a rejection counts them as dropped. */
  write(batch: T[]): Promise<void>;
  /** How often the buffer is written, ms. */
  flushIntervalMs: number;
  /** Records held before new ones are dropped. */
  maxBuffered: number;
  /** A batch that was not written, and how many records it held. */
  onError?: (err: unknown, records: number) => void;
}

export class BufferedFlusher<T> {
  private buffer: T[] = [];
  private droppedCount = 0;
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: BufferedFlusherOptions<T>) {
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Records lost: a full buffer, or a batch whose write failed. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Buffers `record`, or drops and counts it when the buffer is full (false). */
  push(record: T): boolean {
    if (this.buffer.length >= this.opts.maxBuffered) {
      this.droppedCount++;
      return false;
    }
    this.buffer.push(record);
    return true;
  }

  /** Writes what is buffered (after the write in flight, if any); never rejects. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.buffer.length === 0) return Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    const fail = (err: unknown) => {
      this.droppedCount += batch.length;
      this.opts.onError?.(err, batch.length);
    };
    let written: Promise<void>;
    try {
      written = this.opts.write(batch);
    } catch (err) {
      fail(err);
      return Promise.resolve();
    }
    this.flushing = written.then(
      () => void (this.flushing = undefined),
      (err: unknown) => {
        this.flushing = undefined;
        fail(err);
      },
    );
    return this.flushing;
  }

  /** Stops the timer and writes what is buffered; records pushed later stay unwritten. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
