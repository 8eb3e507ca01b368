/**
 * Trials as in-process functions: `(params, trial) => objective`. For the
 * benchmark (thousands of trials of Branin and Hartmann-6) and for tests that
 * script curves. `trial.report(step, value)` logs an intermediate value and
 * throws {@link TrialStopped} once the sweep has stopped the trial, which is
 * how a function learns it was pruned (Optuna's `raise TrialPruned` turned
 * around); a function that ignores it is still recorded as stopped.
 * @module
 */
import { type ParamValues, formatValue } from "./search-space.js";
import type { PreparedTrial, TrialExecutor, TrialExit, TrialHandle, TrialLaunch, TrialSink } from "./trial-executor.js";

export class TrialStopped extends Error {
  override name = "TrialStopped";
}

export interface TrialContext {
  readonly number: number;
  /** The trial's run: log more to it (other metrics, artifacts) with the SDK's clients. */
  readonly runId: string;
  readonly signal: AbortSignal;
  /** Logs the intermediate metric at `step`; rejects with TrialStopped once the trial is stopped. */
  report(step: number, value: number): Promise<void>;
}

export type Objective = (params: ParamValues, trial: TrialContext) => number | Promise<number>;

export interface FunctionTrialOptions {
  sink: TrialSink;
  /** The objective metric's key (the function's return value is logged under it). */
  metric: string;
  /** The key of reported values (default: `metric`). */
  intermediateMetric?: string;
}

export class FunctionTrialExecutor implements TrialExecutor {
  readonly reports = true;

  constructor(private readonly objective: Objective, private readonly opts: FunctionTrialOptions) {}

  prepare(params: ParamValues): PreparedTrial {
    return { params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, formatValue(v)])), tags: {} };
  }

  start(launch: TrialLaunch): TrialHandle {
    const abort = new AbortController();
    const { sink, metric } = this.opts;
    const key = this.opts.intermediateMetric ?? metric;
    const ctx: TrialContext = {
      number: launch.number,
      runId: launch.runId,
      signal: abort.signal,
      async report(step, value) {
        if (abort.signal.aborted) throw new TrialStopped(String(abort.signal.reason));
        await sink.logIntermediate(launch.runId, key, { step, value });
        await launch.onReport?.();
        if (abort.signal.aborted) throw new TrialStopped(String(abort.signal.reason));
      },
    };
    const done = (async (): Promise<TrialExit> => {
      try {
        const value = await this.objective(launch.params, ctx);
        if (abort.signal.aborted) return { status: "KILLED", message: String(abort.signal.reason) };
        if (typeof value !== "number") return { status: "FAILED", message: `the objective returned ${typeof value}, not a number` };
        await sink.logObjective(launch.runId, metric, value);
        return { status: "FINISHED" };
      } catch (err) {
        if (abort.signal.aborted) return { status: "KILLED", message: String(abort.signal.reason) };
        return { status: "FAILED", message: (err as Error).message };
      }
    })();
    return { done, stop: (reason) => abort.abort(reason) };
  }
}
