/**
 * Tags a project run carries. The `mlflow.project.*` ones are MLflow's (its
 * `mlflow/utils/mlflow_tags.py`), so the MLflow UI shows the entry point;
 * the `ciclo.project.*` ones are what `ciclo reproduce` needs to run the
 * same thing again.
 * @module
 */
export const PROJECT_TAGS = {
  /** MLflow compat: the entry point's name. */
  entryPoint: "mlflow.project.entryPoint",
  /** MLflow compat: `local` (ciclo runs commands on this machine). */
  backend: "mlflow.project.backend",
  /** MLflow compat: the environment kind (`node`, `python`, `local`). */
  env: "mlflow.project.env",
  name: "ciclo.project.name",
  /** `ciclo.yaml`, `ciclo.yml` or `MLproject` (absent: a script run as an entry point). */
  file: "ciclo.project.file",
  /** The project folder on the machine that ran it. */
  dir: "ciclo.project.dir",
  /** The git work tree that holds the project (a local clone source when no remote was recorded). */
  gitRoot: "ciclo.project.gitRoot",
  /** The project folder relative to the git root ("" at the root). */
  subdir: "ciclo.project.subdir",
  /** JSON object of every parameter passed (declared, defaults filled in, and extras). */
  parameters: "ciclo.project.parameters",
  /** The command line run (for people; reproduce rebuilds it from the checked-out project file). */
  command: "ciclo.project.command",
} as const;

/** Set on a run made by `ciclo reproduce`: the id of the run it reproduces. */
export const REPRODUCE_OF_TAG = "ciclo.reproduce.of";
