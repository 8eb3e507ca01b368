/**
 * `--json` output: one JSON document on stdout, indented, with non-finite
 * numbers spelled as MLflow spells them ("NaN", "Infinity", "-Infinity")
 * instead of JSON.stringify's silent `null`.
 * @module
 */

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      return v;
    },
    2,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}
