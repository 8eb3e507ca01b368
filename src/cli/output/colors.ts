/**
 * Terminal colours, only where they help: on a TTY, and never when `NO_COLOR`
 * is set (https://no-color.org, any non-empty value) or `TERM=dumb`. Pipes,
 * files and CI logs get plain text. `FORCE_COLOR` (non-empty, not "0") turns
 * them on anyway, as in Node and most CLIs.
 * @module
 */

export interface Colors {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export function colorsEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function createColors(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): Colors {
  const on = colorsEnabled(stream, env);
  const id = (s: string) => s;
  return {
    enabled: on,
    bold: on ? wrap(1, 22) : id,
    dim: on ? wrap(2, 22) : id,
    red: on ? wrap(31, 39) : id,
    green: on ? wrap(32, 39) : id,
    yellow: on ? wrap(33, 39) : id,
    cyan: on ? wrap(36, 39) : id,
  };
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Text without colour codes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}
