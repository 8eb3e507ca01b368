/**
 * Tags that make a run a sweep or one of its trials. A sweep run is a plain
 * tracked run; its trials are its children (MLflow's `mlflow.parentRunId`),
 * so search, Compare and the MLflow UI's nesting already work on them. These
 * tags add what resume and people need: which trial a run is, how it ended,
 * and the sweep's best trial.
 * @module
 */
export const SWEEP_TAGS = {
  /** `sweep` on the sweep run, `trial` on its trials. */
  role: "ciclo.sweep.role",
  /** On a trial: its sweep run's id. */
  sweepId: "ciclo.sweep.id",
  /** On a trial: its number (0-based) in the sweep. */
  trial: "ciclo.sweep.trial",
  /** On a trial: complete, pruned, failed or interrupted; on the sweep: running, finished, failed, interrupted. */
  state: "ciclo.sweep.state",
  /** Why a trial was pruned, failed or interrupted. */
  reason: "ciclo.sweep.reason",
  /** On the sweep: its settings as JSON (also the artifact sweep/config.json, which resume reads first). */
  config: "ciclo.sweep.config",
  objective: "ciclo.sweep.objective",
  direction: "ciclo.sweep.direction",
  bestRunId: "ciclo.sweep.best_run_id",
  bestTrial: "ciclo.sweep.best_trial",
  bestValue: "ciclo.sweep.best_value",
  /** On the sweep: `[{param, importance}]` as JSON, most important first. */
  importances: "ciclo.sweep.importances",
} as const;

export const CONFIG_ARTIFACT = "sweep/config.json";
export const SUMMARY_ARTIFACT = "sweep/summary.json";

/** A filter-grammar term matching the trials of a sweep. */
export function trialsFilter(sweepRunId: string): string {
  return `tags.\`${SWEEP_TAGS.sweepId}\` = '${sweepRunId.replace(/'/g, "''")}'`;
}
