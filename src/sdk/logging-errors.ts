/**
 * What the run logger reports instead of throwing: training code never sees
 * a logging exception; it gets these through `onError`, `flush()` and
 * `endRun()`.
 * @module
 */

export type LoggingErrorKind =
  /** The server refused entities (4xx); they were dropped. */
  | "rejected"
  /** The server became unreachable; the run continues in the offline spool (nothing lost). */
  | "offline-fallback"
  /** The server was unreachable and offline fallback is off; the entities were dropped. */
  | "unreachable"
  /** A call with a bad argument (not a number, not a string key...); dropped. */
  | "invalid"
  /** A param logged again with another value; the new value was dropped (params are write-once). */
  | "param-changed"
  /** The in-memory buffer was full (server slower than the training loop); points were dropped. */
  | "buffer-full"
  /** Logged after the run ended; dropped. */
  | "closed"
  /** The run could not be created, or writing the spool failed. */
  | "failed";

export interface Dropped {
  metrics: number;
  params: number;
  tags: number;
  inputs: number;
}

export class LoggingError extends Error {
  constructor(
    message: string,
    readonly kind: LoggingErrorKind,
    readonly runId: string | undefined,
    readonly dropped: Dropped = { metrics: 0, params: 0, tags: 0, inputs: 0 },
    options?: { cause?: unknown },
  ) {
    super(message);
    this.name = "LoggingError";
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** What `flush()` and `endRun()` report. They never throw. */
export interface FlushReport {
  /** Problems since the previous report (data that was dropped, a fallback to the offline spool). */
  errors: LoggingError[];
  /** True when the run is written to the offline spool instead of the server. */
  offline: boolean;
  /** The spool folder of an offline run (`ciclo sync <folder>` uploads it). */
  spoolDir?: string;
}

export type ErrorHook = (err: LoggingError) => void;

/** Default hook: a Node warning on stderr, which `--no-warnings` silences. */
export const warnOnError: ErrorHook = (err) => {
  process.emitWarning(err.message, { type: "CicloLoggingWarning", code: `CICLO_${err.kind.toUpperCase().replaceAll("-", "_")}` });
};
