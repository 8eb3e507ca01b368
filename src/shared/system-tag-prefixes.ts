/**
 * Which tags are the system's rather than the user's: MLflow's reserved
 * `mlflow.*` tags and the `ciclo.*` tags ciclo's SDK, projects and evaluation
 * capture (git patch, environment, command line, ...). Every place that
 * lists a run's tags — the run page, `ciclo runs describe`, the runs table's
 * group-by and tag columns, Compare — folds these away unless asked, so a
 * user's own tags are not buried under a dozen captured ones. Browser-safe.
 * @module
 */
export const SYSTEM_TAG_PREFIXES = ["mlflow.", "ciclo."] as const;

export function isSystemTag(key: string): boolean {
  return SYSTEM_TAG_PREFIXES.some((p) => key.startsWith(p));
}
