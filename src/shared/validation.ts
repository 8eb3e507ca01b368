/**
 * Validation every capability shares, with MLflow's wording (its
 * `mlflow/utils/validation.py`). Every function throws
 * InvalidParameterValueError and changes nothing.
 * @module
 */
import { InvalidParameterValueError } from "./errors.js";

/** MLflow's ceiling on `max_results` of a search. */
export const SEARCH_MAX_RESULTS = 50_000;

/** Python's `posixpath.normpath`, which MLflow uses to reject names that alias other names. */
export function posixNormpath(path: string): string {
  if (path === "") return ".";
  const initialSlashes = path.startsWith("//") && !path.startsWith("///") ? 2 : path.startsWith("/") ? 1 : 0;
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== ".." || (initialSlashes === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === "..")) {
      out.push(part);
    } else if (out.length > 0) out.pop();
  }
  const joined = "/".repeat(initialSlashes) + out.join("/");
  return joined === "" ? "." : joined;
}

/**
 * Length in characters (code points), as Python's `len()` counts: an emoji is
 * one character but two UTF-16 units. Never more than `value.length`, so it is
 * only worth counting when that is over a limit.
 */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

export function validateLength(entity: string, limit: number, value: string): void {
  if (value.length > limit) {
    const length = charLength(value);
    if (length <= limit) return;
    const head = Array.from(value.slice(0, 500)).slice(0, 250).join("");
    throw new InvalidParameterValueError(
      `${entity} '${head}' had length ${length}, which exceeded length limit of ${limit}`,
    );
  }
}

export function validateParamKeysUnique(params: ReadonlyArray<{ key: string; value?: string }>): void {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const p of params) (seen.has(p.key) ? dupes : seen).add(p.key);
  if (dupes.size > 0) {
    throw new InvalidParameterValueError(
      `Duplicate parameter keys have been submitted: [${[...dupes].map((k) => `'${k}'`).join(", ")}]. ` +
        "Please ensure the request contains only one param value per param key.",
    );
  }
}

export function validateMaxResults(maxResults: number, limit: number = SEARCH_MAX_RESULTS): void {
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new InvalidParameterValueError(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  }
  if (maxResults > limit) {
    throw new InvalidParameterValueError(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${limit}`,
    );
  }
}
