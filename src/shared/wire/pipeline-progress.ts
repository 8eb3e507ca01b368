/**
 * How far a pipeline run got and how long it took, said the same way by `ciclo pipelines runs` and the UI: steps
 * that produced their outputs (ran and succeeded, or reused a cached result) out of all steps. A skipped step is not
 * counted — it was skipped because a step it needs did not succeed or its condition was false, and either way
 * produced nothing. Browser-safe (no runtime imports).
 * @module
 */
export function stepsDone(steps: ReadonlyArray<{ status: string }>): number {
  let n = 0;
  for (const s of steps) if (s.status === "succeeded" || s.status === "cached") n++;
  return n;
}

/** How long a finished pipeline run took. */
export interface PipelineRunTook {
  /** Time spent running: from its start to its end, plus the earlier stretches of a resumed run. */
  runningMs: number;
  /** From its first start to its end, the time it sat failed or cancelled before a resume included. */
  sinceFirstStartMs: number;
  resumed: boolean;
}

/**
 * A finished run's duration (undefined while it runs). A resumed run is counted from its last resume, plus the time
 * its earlier stretches ran — not from its first start, which would count the hours it sat failed.
 */
export function pipelineRunTook(r: { created_at: number; finished_at?: number; resumed_at?: number; earlier_run_ms?: number }): PipelineRunTook | undefined {
  if (r.finished_at === undefined) return undefined;
  const resumed = r.resumed_at !== undefined;
  const runningMs = (r.earlier_run_ms ?? 0) + r.finished_at - (r.resumed_at ?? r.created_at);
  return { runningMs, sinceFirstStartMs: r.finished_at - r.created_at, resumed };
}
