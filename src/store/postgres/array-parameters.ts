/**
 * The parameters of a write-path statement as node-postgres should send them: a numeric array whose every use in
 * the text is cast to one of int2[], int4[], int8[], float8[] (`$3::int8[]`) in PostgreSQL's binary array format
 * (binary-array.ts), any other flat array as a text literal (array-literal.ts), everything else as it is.
 * The binary form is picked from the text's own casts, so a parameter's bytes always match the type PostgreSQL
 * gives it; an array with an element the binary form cannot carry exactly goes as its literal.
 *
 * On a 1,000-point log-batch the group statement's steps, timestamps, values and summaries are ~6,000 numbers:
 * PostgreSQL spent ~4 % of its CPU in `array_in` and this process ~3 % building the literals (docs/benchmarks.md).
 * @module
 */
import { arrayLiteral } from "./array-literal.js";
import { binaryArray, isBinaryArrayType, type BinaryArrayType } from "./binary-array.js";

/** Per statement text, each parameter's binary element type (undefined: not sent in binary). */
const typesByText = new Map<string, Array<BinaryArrayType | undefined>>();
/** Texts are a fixed few (the connection prepares at most 500); past this, types are found again each time. */
const MAX_TEXTS = 500;

const PARAM = /\$(\d+)(?:::([a-z0-9_]+(?:\[\])?)(?![[a-z0-9_]))?/g;

/** Each parameter's binary array type in `text`: set when every use of it is cast to the same `T[]` of a numeric T. */
export function binaryParameterTypes(text: string): Array<BinaryArrayType | undefined> {
  const casts: Array<string | null | undefined> = [];
  for (const m of text.matchAll(PARAM)) {
    const i = Number(m[1]) - 1;
    const cast = m[2] ?? null;
    // null: a use without a cast, or casts that disagree.
    casts[i] = casts[i] === undefined || casts[i] === cast ? cast : null;
  }
  return Array.from(casts, (cast) => {
    if (!cast?.endsWith("[]")) return undefined;
    const element = cast.slice(0, -2);
    return isBinaryArrayType(element) ? element : undefined;
  });
}

/** `values`, bound to `text`, as they should be sent (see the module's note). */
export function arrayParameters(text: string, values: readonly unknown[]): unknown[] {
  let types = typesByText.get(text);
  if (!types) {
    types = binaryParameterTypes(text);
    if (typesByText.size < MAX_TEXTS) typesByText.set(text, types);
  }
  const out = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Array.isArray(v)) {
      out[i] = v;
      continue;
    }
    const type = types[i];
    out[i] = (type && binaryArray(type, v)) ?? arrayLiteral(v) ?? v;
  }
  return out;
}
