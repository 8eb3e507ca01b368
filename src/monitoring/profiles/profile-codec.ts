/**
 * The profile artifact on disk: versioned JSON. The loader treats its input as
 * hostile: a size limit, an exact format and version (unknown versions are
 * refused, not guessed at), and every field checked for type, range and
 * internal consistency before anything uses it — a profile that loads is one
 * the drift code can trust.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { cellCountOf } from "./numeric-layout.js";
import {
  CATEGORY_CAP,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  VALUE_CAP,
  layoutIdOf,
  layoutsOf,
  type ColumnProfile,
  type DatasetProfile,
  type NumericLayout,
} from "./profile-types.js";

/** Larger texts are refused before parsing. */
export const MAX_PROFILE_BYTES = 512 * 1024 * 1024;
const MAX_COLUMNS = 100_000;
const MAX_EDGES = 100_000;
const MAX_NAME = 4096;
const MAX_CHUNKS = 1000;

export function encodeProfile(profile: DatasetProfile): string {
  return JSON.stringify(profile);
}

class Bad extends InvalidParameterValueError {
  constructor(where: string, what: string) {
    super(`Invalid profile: ${where} ${what}.`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function count(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new Bad(where, "must be a non-negative integer");
  return v;
}

function finite(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Bad(where, "must be a finite number");
  return v;
}

function str(v: unknown, where: string, max = MAX_NAME): string {
  if (typeof v !== "string" || v.length > max) throw new Bad(where, `must be a string of at most ${max} characters`);
  return v;
}

function arr(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw new Bad(where, `must be an array of at most ${max} items`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new Bad(where, `must be one of ${allowed.join(", ")}`);
  return v as T;
}

function checkLayout(v: unknown, where: string): NumericLayout {
  if (!isObj(v)) throw new Bad(where, "must be an object");
  const kind = oneOf(v.kind, ["points", "bins"] as const, `${where}.kind`);
  const edges = arr(v.edges, `${where}.edges`, MAX_EDGES).map((e, i) => finite(e, `${where}.edges[${i}]`));
  for (let i = 1; i < edges.length; i++) if (!(edges[i] > edges[i - 1])) throw new Bad(`${where}.edges`, "must be strictly increasing");
  if (kind === "points" && edges.length > VALUE_CAP) throw new Bad(`${where}.edges`, `has more than ${VALUE_CAP} points`);
  return { kind, edges };
}

function checkColumn(v: unknown, where: string): ColumnProfile {
  if (!isObj(v)) throw new Bad(where, "must be an object");
  const name = str(v.name, `${where}.name`);
  const kind = oneOf(v.kind, ["num", "cat"] as const, `${where}.kind`);
  const rows = count(v.count, `${where}.count`);
  const missing = count(v.missing, `${where}.missing`);
  if (kind === "cat") {
    const dtype = oneOf(v.dtype, ["string", "bool"] as const, `${where}.dtype`);
    const seen = new Set<string>();
    let total = count(v.other, `${where}.other`);
    const categories = arr(v.categories, `${where}.categories`, CATEGORY_CAP).map((p, i): [string, number] => {
      const pair = arr(p, `${where}.categories[${i}]`, 2);
      const key = str(pair[0], `${where}.categories[${i}][0]`, 1 << 20);
      if (seen.has(key)) throw new Bad(`${where}.categories`, `repeats '${key.slice(0, 40)}'`);
      seen.add(key);
      const c = count(pair[1], `${where}.categories[${i}][1]`);
      total += c;
      return [key, c];
    });
    if (total + missing !== rows) throw new Bad(where, "counts do not add up to its row count");
    return { name, kind, dtype, count: rows, missing, categories, other: v.other as number };
  }
  const dtype = oneOf(v.dtype, ["int", "float"] as const, `${where}.dtype`);
  const infinite = count(v.infinite, `${where}.infinite`);
  const invalid = count(v.invalid, `${where}.invalid`);
  const n = count(v.n, `${where}.n`);
  if (n + missing + infinite + invalid !== rows) throw new Bad(where, "counts do not add up to its row count");
  const min = v.min === null && n === 0 ? null : finite(v.min, `${where}.min`);
  const max = v.max === null && n === 0 ? null : finite(v.max, `${where}.max`);
  if (min !== null && max !== null && min > max) throw new Bad(where, "has min > max");
  const mean = finite(v.mean, `${where}.mean`);
  const m2 = finite(v.m2, `${where}.m2`);
  if (m2 < 0) throw new Bad(`${where}.m2`, "must not be negative");
  const layout = checkLayout(v.layout, `${where}.layout`);
  const cells = cellCountOf(layout);
  const cellCounts = arr(v.cellCounts, `${where}.cellCounts`, cells).map((c, i) => count(c, `${where}.cellCounts[${i}]`));
  const cellOffsets = arr(v.cellOffsets, `${where}.cellOffsets`, cells).map((c, i) => finite(c, `${where}.cellOffsets[${i}]`));
  if (cellCounts.length !== cells || cellOffsets.length !== cells) throw new Bad(where, `must have ${cells} cells for its layout`);
  if (cellCounts.reduce((a, b) => a + b, 0) !== n) throw new Bad(`${where}.cellCounts`, "do not add up to n");
  let values: Array<[number, number]> | null = null;
  if (v.values !== null) {
    let total = 0;
    values = arr(v.values, `${where}.values`, VALUE_CAP).map((p, i): [number, number] => {
      const pair = arr(p, `${where}.values[${i}]`, 2);
      const c = count(pair[1], `${where}.values[${i}][1]`);
      total += c;
      return [finite(pair[0], `${where}.values[${i}][0]`), c];
    });
    for (let i = 1; i < values.length; i++) if (!(values[i][0] > values[i - 1][0])) throw new Bad(`${where}.values`, "must be strictly increasing");
    if (total !== n) throw new Bad(`${where}.values`, "do not add up to n");
  }
  return { name, kind, dtype, count: rows, missing, infinite, invalid, n, min, max, mean, m2, values, layout, cellCounts, cellOffsets };
}

function checkProfile(v: unknown, where: string, depth: number): DatasetProfile {
  if (!isObj(v)) throw new Bad(where, "must be a JSON object");
  if (v.format !== PROFILE_FORMAT) throw new InvalidParameterValueError(`Not a ciclo profile: format must be '${PROFILE_FORMAT}'.`);
  if (v.version !== PROFILE_VERSION) {
    throw new InvalidParameterValueError(`Unsupported profile version ${JSON.stringify(v.version)}: this ciclo reads version ${PROFILE_VERSION}.`);
  }
  const rows = count(v.rows, `${where}.rows`);
  const names = new Set<string>();
  const columns = arr(v.columns, `${where}.columns`, MAX_COLUMNS).map((c, i) => {
    const col = checkColumn(c, `${where}.columns[${i}]`);
    if (names.has(col.name)) throw new Bad(`${where}.columns`, `repeat the name '${col.name}'`);
    if (col.count !== rows) throw new Bad(`${where}.columns[${i}]`, "has a row count unlike the profile's");
    names.add(col.name);
    return col;
  });
  const layoutId = str(v.layoutId, `${where}.layoutId`, 64);
  const profile: DatasetProfile = { format: PROFILE_FORMAT, version: PROFILE_VERSION, layoutId, rows, columns };
  if (layoutIdOf(layoutsOf(profile)) !== layoutId) throw new Bad(`${where}.layoutId`, "does not match its layouts");
  if (v.chunks !== undefined) {
    if (depth > 0) throw new Bad(`${where}.chunks`, "may not nest");
    profile.chunks = arr(v.chunks, `${where}.chunks`, MAX_CHUNKS).map((c, i) => {
      const chunk = checkProfile(c, `${where}.chunks[${i}]`, depth + 1);
      if (chunk.layoutId !== layoutId) throw new Bad(`${where}.chunks[${i}]`, "has another layout");
      return chunk;
    });
  }
  return profile;
}

/** Parses and checks a profile artifact; throws InvalidParameterValueError on anything off. */
export function decodeProfile(text: string): DatasetProfile {
  if (text.length > MAX_PROFILE_BYTES) throw new InvalidParameterValueError(`Profile too large (over ${MAX_PROFILE_BYTES} bytes).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidParameterValueError(`Invalid profile: not JSON (${(err as Error).message}).`);
  }
  return checkProfile(parsed, "profile", 0);
}
