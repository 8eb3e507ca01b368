/**
 * A Parquet file as a profile source (hyparquet), read one row group at a
 * time and only the planned columns, page by page (parquet-page-reader.ts) — so several workers can each read their
 * own columns of one file. Types map to pandas' dtypes as pyarrow makes them:
 * integers (int64 only without nulls), floats and decimals numeric; strings
 * and booleans categorical; dates, times and nested columns skipped.
 * @module
 */
import { parquetMetadataAsync, type FileMetaData, type SchemaElement } from "hyparquet";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { ColumnPlan, SourceChunk, SourceColumn, TableSource } from "../profiles/table-source.js";
import { openFileSlices, type FileSlices } from "./file-slices.js";
import { readColumnPages } from "./parquet-page-reader.js";

/** Estimated work per value, in the unit of a decompressed byte: looked up in its cells, or counted by dictionary index. */
const COST_PER_VALUE = 8;
const COST_PER_COUNTED_VALUE = 3;

function kindOfElement(e: SchemaElement): Pick<SourceColumn, "kind" | "dtype"> {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  if (logical === "DATE" || logical === "TIME" || logical === "TIMESTAMP" || (converted && /^(DATE|TIME|TIMESTAMP)/.test(converted)) || e.type === "INT96") {
    return { kind: "skip", dtype: "datetime" };
  }
  if (logical === "STRING" || converted === "UTF8" || logical === "ENUM" || converted === "ENUM") return { kind: "cat", dtype: "string" };
  switch (e.type) {
    case "BOOLEAN":
      return { kind: "cat", dtype: "bool" };
    case "INT32":
    case "INT64":
      return converted === "DECIMAL" || logical === "DECIMAL" ? { kind: "num", dtype: "float" } : { kind: "num", dtype: "int" };
    case "FLOAT":
    case "DOUBLE":
      return { kind: "num", dtype: "float" };
    case "BYTE_ARRAY":
    case "FIXED_LEN_BYTE_ARRAY":
      return converted === "DECIMAL" || logical === "DECIMAL" || logical === "FLOAT16" ? { kind: "num", dtype: "float" } : { kind: "cat", dtype: "string" };
    default:
      return { kind: "skip", dtype: "string" };
  }
}

export class ParquetTableSource implements TableSource {
  #opened: Promise<{ metadata: FileMetaData }> | undefined;

  constructor(readonly path: string) {}

  /** The file's metadata (read once; the file is opened again for each pass over its data). */
  #open(): Promise<{ metadata: FileMetaData }> {
    this.#opened ??= (async () => {
      try {
        const file = await openFileSlices(this.path);
        try {
          return { metadata: await parquetMetadataAsync(file) };
        } finally {
          await file.close();
        }
      } catch (err) {
        throw new InvalidParameterValueError(`${this.path}: not a readable Parquet file (${(err as Error).message}).`);
      }
    })();
    return this.#opened;
  }

  async columns(): Promise<SourceColumn[]> {
    const { metadata } = await this.#open();
    const out: SourceColumn[] = [];
    const schema = metadata.schema;
    // Top-level fields: a leaf is one column; a group (struct, list, map) is skipped with its children.
    let i = 1;
    while (i < schema.length) {
      const e = schema[i];
      if (e.num_children) {
        out.push({ name: e.name, kind: "skip", dtype: "string" });
        let skip = e.num_children;
        i++;
        while (skip > 0 && i < schema.length) {
          skip += (schema[i].num_children ?? 0) - 1;
          i++;
        }
        continue;
      }
      out.push({ name: e.name, ...(e.repetition_type === "REPEATED" ? { kind: "skip" as const, dtype: "string" as const } : kindOfElement(e)) });
      i++;
    }
    return out;
  }

  async rowCount(): Promise<number> {
    return Number((await this.#open()).metadata.num_rows);
  }

  /**
   * What profiling each column costs, estimated from the file's metadata
   * (nothing is read): its bytes once decompressed, plus per value a cell
   * lookup for numbers stored as themselves; a dictionary-encoded column is
   * counted by index, at a small cost per value. For sharing columns out to
   * threads.
   */
  async columnCosts(): Promise<Map<string, number>> {
    const { metadata } = await this.#open();
    const costs = new Map<string, number>();
    for (const rg of metadata.row_groups) {
      for (const c of rg.columns) {
        const m = c.meta_data;
        if (!m || m.path_in_schema.length !== 1) continue;
        const name = m.path_in_schema[0];
        const values = Number(m.num_values);
        const dictionary = m.dictionary_page_offset !== undefined && m.encodings.some((e) => e.endsWith("_DICTIONARY"));
        const cost = Number(m.total_uncompressed_size) + values * (dictionary ? COST_PER_COUNTED_VALUE : COST_PER_VALUE);
        costs.set(name, (costs.get(name) ?? 0) + cost);
      }
    }
    return costs;
  }

  async *chunks(plan: ColumnPlan[]): AsyncIterable<SourceChunk> {
    const { metadata } = await this.#open();
    const known = new Set((await this.columns()).filter((c) => c.kind !== "skip").map((c) => c.name));
    for (const p of plan) if (!known.has(p.name)) throw new InvalidParameterValueError(`Cannot find column '${p.name}' in ${this.path}.`);
    const file = await openFileSlices(this.path);
    try {
      yield* this.#pages(file, metadata, plan);
    } finally {
      await file.close();
    }
  }

  async *#pages(file: FileSlices, metadata: FileMetaData, plan: ColumnPlan[]): AsyncGenerator<SourceChunk> {
    // Loaded by the threads that decode pages, not by one that only reads the metadata.
    const { compressors } = await import("hyparquet-compressors");
    let rowsDone = 0;
    for (const rg of metadata.row_groups) {
      const rows = Number(rg.num_rows);
      const groupStart = rowsDone;
      rowsDone += rows;
      for (const p of plan) {
        let rowStart = groupStart;
        const chunk = rg.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === p.name);
        if (!chunk) throw new InvalidParameterValueError(`${this.path}: row group without column '${p.name}'.`);
        for await (const page of readColumnPages(file, metadata, chunk, p.kind, rows, compressors, { counted: p.counted })) {
          const at = rowStart;
          rowStart += page.rows;
          if (page.kind === "num") yield { chunk: { column: p.name, kind: "num", data: { values: page.values, invalid: page.invalid, missing: page.nulls } }, rowStart: at, rowsDone };
          else if (page.kind === "num-counts") yield { chunk: { column: p.name, kind: "num-counts", values: page.values, counts: page.counts, missing: page.nulls }, rowStart: at, rowsDone };
          else if (page.kind === "cat") yield { chunk: { column: p.name, kind: "cat-counts", keys: page.keys, counts: page.counts, missing: page.nulls }, rowStart: at, rowsDone };
          else yield { chunk: { column: p.name, kind: "cat-counts", ...countStrings(page.values), missing: page.nulls }, rowStart: at, rowsDone };
        }
      }
    }
  }
}

/** Counts a page's strings (pages that are not dictionary-encoded). */
function countStrings(values: Array<string | null>): { keys: string[]; counts: number[] } {
  const m = new Map<string, number>();
  for (const v of values) if (v !== null) m.set(v, (m.get(v) ?? 0) + 1);
  return { keys: [...m.keys()], counts: [...m.values()] };
}
