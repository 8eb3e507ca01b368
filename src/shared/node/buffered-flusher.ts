/**
 * A bounded buffer that a timer hands over, a batch at a time, to whatever
 * writes it — what the scoring server's inference log
 * (serving/online/inference-log.ts) and `ciclo gateway`'s
 * (cli/commands/gateway-inference-log.ts) share; each says only how a batch
 * is written.
 *
 * Kept off the hot path: `push()` only appends a reference, or copies the record
 * into the caller's own buffer (full → dropped and counted, never blocking or
 * growing memory). The timer is unref'd, so it never
 * keeps a process alive. One write at a time: a flush asked for while one is in
 * flight waits for it, then writes what was buffered meanwhile. A batch whose
 * write throws or rejects is counted as dropped and reported, never thrown:
 * logging must never take its process down.
 * @module
 */

/**
 * Where pushed records wait until the next write: an array of them by default ({@link ArrayFlushBuffer}); a caller
 * may copy each into something of its own as it comes instead (`ciclo gateway`'s batch writer: nothing of a record
 * is held between writes).
 */
export interface FlushBuffer<T, B> {
  /** Records held. */
  readonly length: number;
  /** Takes one record; a throw drops it (counted and reported). */
  push(record: T): void;
  /** What was pushed since the last take, as one batch; the buffer is empty again. */
  take(): B;
}

export class ArrayFlushBuffer<T> implements FlushBuffer<T, T[]> {
  private records: T[] = [];
  get length(): number {
    return this.records.length;
  }
  push(record: T): void {
    this.records.push(record);
  }
  take(): T[] {
    const batch = this.records;
    this.records = [];
    return batch;
  }
}

export interface BufferedFlusherOptions<T, B = T[]> {
  /** Writes one batch (`records` of them, in the order pushed); a throw or a rejection counts them as dropped. */
  write(batch: B, records: number): Promise<void>;
  /** Where records wait (default: an {@link ArrayFlushBuffer}; required when a batch is not an array of records). */
  buffer?: FlushBuffer<T, B>;
  /** How often the buffer is written, ms. */
  flushIntervalMs: number;
  /** Records held before new ones are dropped. */
  maxBuffered: number;
  /** A batch that was not written, or a record its buffer refused, and how many records that was. */
  onError?: (err: unknown, records: number) => void;
}

export class BufferedFlusher<T, B = T[]> {
  private readonly buffer: FlushBuffer<T, B>;
  private droppedCount = 0;
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: BufferedFlusherOptions<T, B>) {
    this.buffer = opts.buffer ?? (new ArrayFlushBuffer<T>() as unknown as FlushBuffer<T, B>);
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
    try {
      this.buffer.push(record);
    } catch (err) {
      this.droppedCount++;
      this.opts.onError?.(err, 1);
      return false;
    }
    return true;
  }

  /** Writes what is buffered (after the write in flight, if any); never rejects. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const records = this.buffer.length;
    if (records === 0) return Promise.resolve();
    const fail = (err: unknown) => {
      this.droppedCount += records;
      this.opts.onError?.(err, records);
    };
    let written: Promise<void>;
    try {
      written = this.opts.write(this.buffer.take(), records);
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
