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

function mergeValues(lists: Array<Array<[number, number]> | null>): Array<[number, number]> | null {
  const m = new Map<number, number>();
  for (const list of lists) {
    if (!list) return null;
    for (const [v, c] of list) m.set(v, (m.get(v) ?? 0) + c);
    if (m.size > VALUE_CAP) return null;
  }
  return [...m.entries()].sort((x, y) => x[0] - y[0]);
}

function mergeNumeric(list: NumericColumnProfile[]): NumericColumnProfile {
  const first = list[0];
  const counts = Float64Array.from(first.cellCounts);
  const offsets = Float64Array.from(first.cellOffsets);
  let { n, mean, m2, min, max, count, missing, infinite, invalid } = first;
  let int = first.dtype === "int";
  for (const b of list.slice(1)) {
    for (let i = 0; i < counts.length; i++) {
      counts[i] += b.cellCounts[i];
      offsets[i] += b.cellOffsets[i];
    }
    // Chan's formula for the combined mean and M2.
    const total = n + b.n;
    if (total > 0) {
      const delta = b.mean - mean;
      m2 += b.m2 + (delta * delta * n * b.n) / total;
      mean += (delta * b.n) / total;
    }
    n = total;
    min = min === null ? b.min : b.min === null ? min : Math.min(min, b.min);
    max = max === null ? b.max : b.max === null ? max : Math.max(max, b.max);
    count += b.count;
    missing += b.missing;
    infinite += b.infinite;
    invalid += b.invalid;
    int &&= b.dtype === "int";
  }
  return {
    ...first,
    dtype: int ? "int" : "float",
    count,
    missing,
    infinite,
    invalid,
    n,
    min,
    max,
    mean,
    m2,
    values: mergeValues(list.map((p) => p.values)),
    cellCounts: Array.from(counts),
    cellOffsets: Array.from(offsets),
  };
}

function mergeCategorical(list: CategoricalColumnProfile[]): CategoricalColumnProfile {
  const m = new Map<string, number>();
  let other = 0;
  let count = 0;
  let missing = 0;
  for (const p of list) {
    for (const [k, c] of p.categories) m.set(k, (m.get(k) ?? 0) + c);
    other += p.other;
    count += p.count;
    missing += p.missing;
  }
  const sorted = [...m.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  for (const [, c] of sorted.slice(CATEGORY_CAP)) other += c;
  return { ...list[0], dtype: list.every((p) => p.dtype === "bool") ? "bool" : "string", count, missing, categories: sorted.slice(0, CATEGORY_CAP), other };
}

function mergeColumn(list: ColumnProfile[]): ColumnProfile {
  if (list.every((c) => c.kind === "num")) return mergeNumeric(list as NumericColumnProfile[]);
  if (list.every((c) => c.kind === "cat")) return mergeCategorical(list as CategoricalColumnProfile[]);
  throw new InvalidParameterValueError(`Cannot merge profiles: column '${list[0].name}' is numeric in one and categorical in another.`);
}

/** Merges profiles counted against the same layout (same `layoutId`). */
export function mergeProfiles(profiles: DatasetProfile[]): DatasetProfile {
  if (profiles.length === 0) throw new InvalidParameterValueError("Nothing to merge: no profiles given.");
  const first = profiles[0];
  for (const p of profiles) {
    if (p.layoutId !== first.layoutId || p.columns.length !== first.columns.length) {
      throw new InvalidParameterValueError(`Cannot merge profiles of different layouts (${first.layoutId} and ${p.layoutId}): profile both windows against the same reference.`);
    }
  }
  const columns = first.columns.map((_, i) => mergeColumn(profiles.map((p) => p.columns[i])));
  const rows = profiles.reduce((a, p) => a + p.rows, 0);
  return { format: first.format, version: first.version, layoutId: first.layoutId, rows, columns };
}
