/**
 * Names a project directory is read by: its project file and what parameter
 * names may be. Shared by projects/ (ciclo run, reproduce) and the sweeps
 * that read a project's `sweep` section.
 * @module
 */

/** Project files, in the order they are looked for. */
export const PROJECT_FILES = ["ciclo.yaml", "ciclo.yml", "MLproject"] as const;

/** Parameter (and extra `-P` key) names: they become `--name` words, so no shell metacharacters. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
