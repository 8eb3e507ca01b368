/**
 * A progress bar counting bytes (uploads, downloads, export, import), drawn
 * by progress-bar.ts on stderr when it is a terminal. Counts are shown in the
 * unit that keeps them readable (B, KiB or MiB, picked from the total).
 * @module
 */
import { createProgressBar, type ProgressBar } from "./progress-bar.js";

export interface ByteProgress {
  /** Bytes moved since the last call (the SDK's `onBytes`). */
  add(n: number): void;
  /** More bytes to expect (totals found while walking). */
  grow(n: number): void;
  setLabel(label: string): void;
  log(line: string): void;
  stop(): void;
  readonly done: number;
}

export function createByteProgress(total: number, label: string, bar: ProgressBar = createProgressBar()): ByteProgress {
  let done = 0;
  let expected = total;
  let text = label;
  const draw = () => {
    const [div, unit] = expected >= 10 * 1024 * 1024 ? [1024 * 1024, "MiB"] : expected >= 10 * 1024 ? [1024, "KiB"] : [1, "B"];
    bar.update(Math.floor(done / div), Math.max(1, Math.ceil(expected / div)), `${unit}  ${text}`);
  };
  return {
    add(n) {
      done += n;
      if (done > expected) expected = done;
      draw();
    },
    grow(n) {
      expected += n;
      draw();
    },
    setLabel(l) {
      text = l;
      draw();
    },
    log: (line) => bar.log(line),
    stop: () => bar.stop(),
    get done() {
      return done;
    },
  };
}
