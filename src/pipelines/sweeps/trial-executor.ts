/**
 * The seam between the sweep and whatever runs a trial. The sweep decides
 * what to try, creates the trial's run and records the outcome; an executor
 * only runs the trial — a child process of a project entry point now
 * ({@link ProcessTrialExecutor}), an in-process function for benchmarks and
 * tests ({@link FunctionTrialExecutor}), and the durable job runner's jobs
 * once it exists (the sweep's concurrency limit stays the sweep's own).
 * @module
 */
import type { CurvePoint } from "./early-stopping.js";
import type { ParamValues } from "./search-space.js";

export interface TrialLaunch {
  number: number;
  /** The trial's run, already created with its params. */
  runId: string;
  params: ParamValues;
  /** Called when an in-process trial reported new intermediate values (the sweep looks at once instead of at its next poll). */
  onReport?(): void | Promise<void>;
}

export interface TrialExit {
  /** How the trial's run ends: FINISHED (exit 0), FAILED, or KILLED (stopped or died by a signal). */
  status: "FINISHED" | "FAILED" | "KILLED";
  exitCode?: number;
  /** Why it failed, for the trial's tags and the progress log. */
  message?: string;
}

export interface TrialHandle {
  readonly done: Promise<TrialExit>;
  /** Asks the trial to stop (early stopping, Ctrl-C); `done` then resolves, usually KILLED. */
  stop(reason: string): void;
}

/** What the sweep records for a trial before it runs: the params as the run shows them, extra tags. */
export interface PreparedTrial {
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface TrialExecutor {
  /** Checks params and says what to record (a project run logs the entry point's defaults too). Throws on bad params. */
  prepare(params: ParamValues): PreparedTrial;
  start(launch: TrialLaunch): TrialHandle;
  /** Whether trials push their intermediate values through `onReport` (no polling needed). */
  readonly reports: boolean;
}

/** Where in-process trials send what they log: the sweep's tracker. */
export interface TrialSink {
  logIntermediate(runId: string, key: string, point: CurvePoint): Promise<void>;
  logObjective(runId: string, key: string, value: number): Promise<void>;
}
