/**
 * PostgreSQL array literals for the write path's array parameters (`unnest($2::text[], …)`), built here
 * instead of by pg's own encoder. Numeric arrays go in binary instead when they can (array-parameters.ts); their
 * literals remain the fallback, and the form the binary one is tested against. pg's `arrayString` runs every element through `prepareValue`, two regular
 * expression replaces and quotes — numbers included; a group statement of a 1,000-point log-batch sends
 * ~7,000 elements, and the server's CPU per such request fell by ~15 % with this encoder (docs/benchmarks.md,
 * "PostgreSQL writes, second pass"). Here a number is
 * written bare (`String(n)`, which is also what pg sends, quoted), and a string is scanned once for the two
 * characters a quoted element must escape. PostgreSQL parses the text the same way either way.
 * @module
 */

const ESCAPED = /[\\"]/;
const ESCAPED_ALL = /[\\"]/g;

/** A quoted array element: `"…"` with `\` and `"` escaped (inside quotes nothing else is special). */
function quoted(s: string): string {
  return ESCAPED.test(s) ? `"${s.replace(ESCAPED_ALL, "\\$&")}"` : `"${s}"`;
}

/**
 * The literal of a flat array of numbers, strings, booleans and nulls (`undefined` as null), or undefined
 * when an element is anything else (a nested array, a Buffer, a Date: left to pg's encoder).
 * NaN and ±Infinity are written as PostgreSQL's float8 spells them (`NaN`, `Infinity`, `-Infinity`).
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const v = values[i];
    switch (typeof v) {
      case "number":
      case "bigint":
        out += String(v);
        break;
      case "string":
        out += quoted(v);
        break;
      case "boolean":
        out += v ? "t" : "f";
        break;
      case "undefined":
        out += "NULL";
        break;
      default:
        if (v === null) out += "NULL";
        else return undefined;
    }
  }
  return out + "}";
}

/** `values` with each flat array replaced by its literal (other values as they are). */
export function withArrayLiterals(values: readonly unknown[]): unknown[] {
  return values.map((v) => (Array.isArray(v) ? (arrayLiteral(v) ?? v) : v));
}
