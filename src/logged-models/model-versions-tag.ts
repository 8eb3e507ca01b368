/**
 * The `mlflow.modelVersions` tag of a logged model: a JSON list of
 * `{"name", "version"}` entries, one per model version registered from it.
 * @module
 */

/**
 * Python's `json.dumps` with its defaults (", " and ": " separators, non-ASCII
 * escaped), so the tag reads byte for byte as MLflow's server writes it.
 */
function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
      .join(", ")}}`;
  }
  const text = JSON.stringify(value) ?? "null";
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Returns the tag value with `{"name": name, "version": version}` appended.
 * A missing value, or one that is not a JSON list (a user overwrote the tag),
 * starts a new list.
 */
export function appendModelVersion(current: string | undefined, name: string, version: string): string {
  let list: unknown[] = [];
  if (current !== undefined) {
    try {
      const parsed = JSON.parse(current) as unknown;
      if (Array.isArray(parsed)) list = parsed;
    } catch {
      list = [];
    }
  }
  // MLflow compat: the server writes the version as a number; the 3.0.0 client then appends its
  // own entry with the version as a string. MLflow keeps that duplicate, and so does ciclo.
  const n = Number(version);
  list.push({ name, version: /^\d+$/.test(version) && Number.isSafeInteger(n) ? n : version });
  return pythonJsonDumps(list);
}
