/**
 * Where profiles read data from: a table handed over in memory, a CSV file or
 * a Parquet file. A source yields column chunks (a slice of one column's
 * values), so profiling is per column and never needs whole rows; the files
 * are read in bounded slices. Column kinds follow pandas' dtypes, as Evidently
 * sees them: numbers are numeric, text and booleans categorical, dates skipped.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { NumericBatch } from "./column-accumulators.js";

export type SourceDtype = "int" | "float" | "string" | "bool" | "datetime";

export interface SourceColumn {
  name: string;
  /** `num` and `cat` are profiled; `skip` (dates, nested types) is not. */
  kind: "num" | "cat" | "skip";
  /** pandas' dtype as far as the source can tell before reading (an int column with missing values becomes float). */
  dtype: SourceDtype;
}

export type ColumnChunk =
  | { column: string; kind: "num"; data: NumericBatch }
  | { column: string; kind: "cat"; data: ArrayLike<string | null> }
  /** Numbers already counted (a Parquet dictionary page of numbers): each distinct value with its count, and the missing cells. */
  | { column: string; kind: "num-counts"; values: Float64Array; counts: ArrayLike<number>; missing: number }
  /** Categories already counted (a Parquet dictionary page), with the missing cells. */
  | { column: string; kind: "cat-counts"; keys: readonly string[]; counts: ArrayLike<number>; missing: number };

export interface SourceChunk {
  chunk: ColumnChunk;
  rowStart: number;
  rowsDone: number;
}

/** What to read of one column: its kind decides how the cells are converted. */
export interface ColumnPlan {
  name: string;
  kind: "num" | "cat";
  /** The reference's dtype: a `bool` column's literals are read as True/False. */
  dtype?: SourceDtype;
  /**
   * Numbers may come counted (`num-counts`) where the source has them so
   * (Parquet dictionary pages); else every chunk of a `num` column is `num`.
   */
  counted?: boolean;
}

export interface TableSource {
  /** Column names and kinds (a CSV file is read through once to type it). */
  columns(): Promise<SourceColumn[]>;
  /** Rows in the table when known up front (progress), else undefined. */
  rowCount(): Promise<number | undefined>;
  /**
   * Chunks of the planned columns, each with the index of its first row and
   * the rows read so far (for progress). Cells that do not fit a `num` plan
   * count as invalid.
   */
  chunks(plan: ColumnPlan[]): AsyncIterable<SourceChunk>;
}

export type InMemoryColumn = { name: string; values: Float64Array | ArrayLike<number | null> | ArrayLike<string | null> | ArrayLike<boolean | null> };

const SLICE = 65_536;

function kindOf(values: InMemoryColumn["values"]): SourceColumn {
  if (values instanceof Float64Array) return { name: "", kind: "num", dtype: "float" };
  let sawNumber = false;
  let sawString = false;
  let sawBool = false;
  let allInt = true;
  let missing = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) missing = true;
    else if (typeof v === "number") {
      sawNumber = true;
      if (!Number.isInteger(v)) allInt = false;
    } else if (typeof v === "boolean") sawBool = true;
    else sawString = true;
  }
  if (sawString || (sawBool && sawNumber)) return { name: "", kind: "cat", dtype: "string" };
  if (sawBool) return { name: "", kind: "cat", dtype: "bool" };
  return { name: "", kind: "num", dtype: allInt && !missing && sawNumber ? "int" : "float" };
}

/** Converts a cell for a categorical column: booleans as Python prints them, numbers as JavaScript does. */
export function categoryOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isNaN(v) ? null : String(v);
  if (typeof v === "bigint") return v.toString();
  return String(v);
}

/** A table already in memory: typed arrays or plain arrays per column. */
export class InMemoryTableSource implements TableSource {
  constructor(readonly table: InMemoryColumn[]) {
    const rows = table[0]?.values.length ?? 0;
    const names = new Set<string>();
    for (const c of table) {
      if (c.values.length !== rows) throw new InvalidParameterValueError(`Column '${c.name}' has ${c.values.length} values; the first column has ${rows}.`);
      if (names.has(c.name)) throw new InvalidParameterValueError(`Column '${c.name}' appears twice.`);
      names.add(c.name);
    }
  }

  async columns(): Promise<SourceColumn[]> {
    return this.table.map((c) => ({ ...kindOf(c.values), name: c.name }));
  }

  async rowCount(): Promise<number> {
    return this.table[0]?.values.length ?? 0;
  }

  async *chunks(plan: ColumnPlan[]): AsyncIterable<SourceChunk> {
    const rows = await this.rowCount();
    const byName = new Map(this.table.map((c) => [c.name, c.values]));
    for (let start = 0; start < rows; start += SLICE) {
      const end = Math.min(rows, start + SLICE);
      for (const p of plan) {
        const values = byName.get(p.name);
        if (!values) throw new InvalidParameterValueError(`Cannot find column '${p.name}' in the data.`);
        yield { chunk: convertSlice(p, values, start, end), rowStart: start, rowsDone: end };
      }
    }
  }
}

/** One slice of an in-memory column converted to the plan's kind. */
function convertSlice(p: ColumnPlan, values: InMemoryColumn["values"], start: number, end: number): ColumnChunk {
  if (p.kind === "num") {
    if (values instanceof Float64Array) return { column: p.name, kind: "num", data: { values: values.subarray(start, end) } };
    const out = new Float64Array(end - start);
    let invalid = 0;
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (typeof v === "number") out[i - start] = v;
      else {
        out[i - start] = Number.NaN;
        if (v !== null && v !== undefined) invalid++;
      }
    }
    return { column: p.name, kind: "num", data: { values: out, invalid } };
  }
  const out = new Array<string | null>(end - start);
  for (let i = start; i < end; i++) out[i - start] = categoryOf(values[i]);
  return { column: p.name, kind: "cat", data: out };
}
