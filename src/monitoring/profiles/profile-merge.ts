/**
 * Merging profiles of one layout (hourly windows into a day, a day into a
 * month) without the rows: counts and cells add, moments combine by Chan's
 * formula, exact values stay exact while few enough.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import {
  CATEGORY_CAP,
  VALUE_CAP,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type DatasetProfile,
  type NumericColumnProfile,
} from "./profile-types.js";

function addArrays(a: number[], b: number[]): number[] {
  return a.map((v, i) => v + b[i]);
}

function mergeValues(a: Array<[number, number]> | null, b: Array<[number, number]> | null): Array<[number, number]> | null {
  if (!a || !b) return null;
  const m = new Map<number, number>(a);
  for (const [v, c] of b) m.set(v, (m.get(v) ?? 0) + c);
  if (m.size > VALUE_CAP) return null;
  return [...m.entries()].sort((x, y) => x[0] - y[0]);
}

function mergeNumeric(a: NumericColumnProfile, b: NumericColumnProfile): NumericColumnProfile {
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  const mean = n > 0 ? a.mean + (delta * b.n) / n : 0;
  const m2 = n > 0 ? a.m2 + b.m2 + (delta * delta * a.n * b.n) / n : 0;
  const min = a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min);
  const max = a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max);
  return {
    ...a,
    dtype: a.dtype === "int" && b.dtype === "int" ? "int" : "float",
    count: a.count + b.count,
    missing: a.missing + b.missing,
    infinite: a.infinite + b.infinite,
    invalid: a.invalid + b.invalid,
    n,
    min,
    max,
    mean,
    m2,
    values: mergeValues(a.values, b.values),
    cellCounts: addArrays(a.cellCounts, b.cellCounts),
    cellOffsets: addArrays(a.cellOffsets, b.cellOffsets),
  };
}

function mergeCategorical(a: CategoricalColumnProfile, b: CategoricalColumnProfile): CategoricalColumnProfile {
  const m = new Map<string, number>(a.categories);
  for (const [k, c] of b.categories) m.set(k, (m.get(k) ?? 0) + c);
  const sorted = [...m.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let other = a.other + b.other;
  for (const [, c] of sorted.slice(CATEGORY_CAP)) other += c;
  return {
    ...a,
    dtype: a.dtype === "bool" && b.dtype === "bool" ? "bool" : "string",
    count: a.count + b.count,
    missing: a.missing + b.missing,
    categories: sorted.slice(0, CATEGORY_CAP),
    other,
  };
}

function mergeColumn(a: ColumnProfile, b: ColumnProfile): ColumnProfile {
  if (a.kind === "num" && b.kind === "num") return mergeNumeric(a, b);
  if (a.kind === "cat" && b.kind === "cat") return mergeCategorical(a, b);
  throw new InvalidParameterValueError(`Cannot merge profiles: column '${a.name}' is ${a.kind} in one and ${b.kind} in the other.`);
}

/** Merges profiles counted against the same layout (same `layoutId`). */
export function mergeProfiles(profiles: DatasetProfile[]): DatasetProfile {
  if (profiles.length === 0) throw new InvalidParameterValueError("Nothing to merge: no profiles given.");
  const [first, ...rest] = profiles;
  let columns = first.columns;
  let rows = first.rows;
  for (const p of rest) {
    if (p.layoutId !== first.layoutId) {
      throw new InvalidParameterValueError(`Cannot merge profiles of different layouts (${first.layoutId} and ${p.layoutId}): profile both windows against the same reference.`);
    }
    columns = columns.map((c, i) => mergeColumn(c, p.columns[i]));
    rows += p.rows;
  }
  return { format: first.format, version: first.version, layoutId: first.layoutId, rows, columns };
}
