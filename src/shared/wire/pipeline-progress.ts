/**
 * How far a pipeline run got, said the same way by `ciclo pipelines runs` and the UI: steps that produced their
 * outputs (ran and succeeded, or reused a cached result) out of all steps. A skipped step is not counted — it was
 * skipped because a step it needs did not succeed or its condition was false, and either way produced nothing.
 * Browser-safe (no runtime imports).
 * @module
 */
export function stepsDone(steps: ReadonlyArray<{ status: string }>): number {
  let n = 0;
  for (const s of steps) if (s.status === "succeeded" || s.status === "cached") n++;
  return n;
}
