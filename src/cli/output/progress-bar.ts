/**
 * A progress bar for long CLI operations, on stderr so stdout stays clean
 * for `--json`. On a terminal it redraws one line (at most every 50 ms);
 * elsewhere (CI logs, pipes) it prints only the plain lines given to `log`.
 * @module
 */

export interface ProgressBar {
  /** Redraws the bar: `done` of `total` units, with a label. */
  update(done: number, total: number, label: string): void;
  /** Prints a line (above the bar on a terminal). */
  log(line: string): void;
  /** Clears the bar. */
  stop(): void;
}

const WIDTH = 24;
const REDRAW_MS = 50;

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\x1b[2K");
    shown = false;
  };
  return {
    update(done, total, label) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < REDRAW_MS && done < total) return;
      lastDraw = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const full = Math.round(frac * WIDTH);
      const bar = `${"█".repeat(full)}${"░".repeat(WIDTH - full)}`;
      const text = `${bar} ${String(Math.floor(frac * 100)).padStart(3)}% ${done}/${total} ${label}`;
      const cols = stream.columns || 80; // 0 under some pseudo-terminals
      stream.write(`\r\x1b[2K${text.length > cols - 1 ? text.slice(0, cols - 2) + "…" : text}`);
      shown = true;
    },
    log(line) {
      clear();
      stream.write(`${line}\n`);
    },
    stop: clear,
  };
}
