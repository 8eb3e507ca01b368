/**
 * From `-P key=value` to the command line of an entry point: MLflow's rules
 * (`mlflow/projects/_project_spec.py`) with stricter checks.
 *
 * - Declared parameters take the given value or their default; one with
 *   neither fails ("No value given for missing parameters").
 * - Values are checked by type: `float` and `int` must parse, `uri` must have
 *   a scheme, `path` must exist (relative paths are relative to the project
 *   folder and stay relative, so a reproduced run in another folder passes
 *   the same value); a `path` that is a URI is passed as given.
 * - Undeclared keys are appended as `--key value` (MLflow compat); their
 *   names must be plain words, their values are quoted like every other.
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { LIMITS } from "../tracking/index.js";
import { ProjectError, type EntryPoint, type ParameterSpec } from "./project-spec.js";
import { PARAMETER_NAME } from "../shared/project-files.js";
import { fillTemplate, shellQuote } from "./shell-quote.js";

export interface ResolvedCommand {
  entryPoint: string;
  /** Declared parameters (given or default), in declaration order. */
  declared: Record<string, string>;
  /** Keys the entry point does not declare, passed as `--key value`. */
  extra: Record<string, string>;
  /** The shell command to run (`sh -c`). */
  command: string;
  /** Variables the command expands: parameter values that stood inside the command's own quotes (shell-quote.ts). */
  env: Record<string, string>;
}

/** Parses `key=value` words (the value may contain `=`); a key given twice is an error. */
export function parseParamAssignments(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new ProjectError(`Parameter '${word}' must be written key=value.`);
    const key = word.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new ProjectError(`Parameter '${key}' is given twice.`);
    out[key] = word.slice(eq + 1);
  }
  return out;
}

/** Checks the values and builds the command of `entryPoint` run in `projectDir`. */
export function resolveCommand(entryPoint: EntryPoint, given: Readonly<Record<string, string>>, projectDir: string): ResolvedCommand {
  const declared: Record<string, string> = {};
  const missing: string[] = [];
  for (const spec of entryPoint.parameters) {
    const value = Object.hasOwn(given, spec.name) ? given[spec.name] : spec.default;
    if (value === undefined) missing.push(spec.name);
    else declared[spec.name] = checkValue(spec, value, projectDir);
  }
  if (missing.length > 0) {
    throw new ProjectError(
      `No value given for missing parameters: ${missing.map((m) => `'${m}'`).join(", ")} of entry point '${entryPoint.name}'. Pass them with -P ${missing[0]}=…`,
    );
  }
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (Object.hasOwn(declared, key)) continue;
    if (!PARAMETER_NAME.test(key)) {
      throw new ProjectError(`Parameter name '${key}' is not allowed: names must match ${PARAMETER_NAME} (they become --${key} on the command line).`);
    }
    extra[key] = checkValue({ name: key, type: "string" }, value, projectDir);
  }
  const filled = fillTemplate(entryPoint.command, new Map(Object.entries(declared)));
  let command = filled.command;
  for (const [key, value] of Object.entries(extra)) command += ` --${key} ${shellQuote(value)}`;
  return { entryPoint: entryPoint.name, declared, extra, command, env: filled.env };
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf|infinity)$/i;
const INT = /^[+-]?\d+$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S/;

function checkValue(spec: ParameterSpec, value: string, projectDir: string): string {
  const bad = (why: string) => new ProjectError(`Parameter '${spec.name}' (${spec.type}): ${why}`);
  if (spec.name.length > LIMITS.entityKeyLength) throw bad(`the name is longer than ${LIMITS.entityKeyLength} characters.`);
  if (value.includes("\0")) throw bad("the value contains a NUL character.");
  // Every value is logged as a run param; one over the limit would fail the run after it started.
  if (value.length > LIMITS.paramValueLength) throw bad(`the value is longer than ${LIMITS.paramValueLength} characters (MLflow's param limit).`);
  switch (spec.type) {
    case "float":
      if (!FLOAT.test(value.trim())) throw bad(`'${value}' is not a number.`);
      return value.trim();
    case "int":
      if (!INT.test(value.trim())) throw bad(`'${value}' is not an integer.`);
      return value.trim();
    case "uri":
      if (!URI.test(value)) throw bad(`expected a URI (scheme:…), got '${value}'.`);
      return value;
    case "path":
      if (URI.test(value) && !/^[A-Za-z]:[\\/]/.test(value)) return value;
      if (value === "") throw bad("the path is empty.");
      if (!existsSync(isAbsolute(value) ? value : join(projectDir, value))) {
        throw bad(`got '${value}', but no such file or directory was found (relative paths are relative to ${projectDir}).`);
      }
      return value;
    default:
      return value;
  }
}
