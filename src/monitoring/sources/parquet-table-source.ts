/**
 * A Parquet file as a profile source (hyparquet), read one row group at a
 * time and only the planned columns, page by page (parquet-page-reader.ts) — so several workers can each read their
 * own columns of one file. Types map to pandas' dtypes as pyarrow makes them:
 * integers (int64 only without nulls), floats and decimals numeric; strings
 * and booleans categorical; dates, times and nested columns skipped.
 * @module
 */
import { asyncBufferFromFile, parquetMetadataAsync, type FileMetaData, type SchemaElement } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { ColumnPlan, SourceChunk, SourceColumn, TableSource } from "../profiles/table-source.js";
import { readColumnPages } from "./parquet-page-reader.js";

type File = Awaited<ReturnType<typeof asyncBufferFromFile>>;

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
  #opened: Promise<{ file: File; metadata: FileMetaData }> | undefined;

  constructor(readonly path: string) {}

  #open(): Promise<{ file: File; metadata: FileMetaData }> {
    this.#opened ??= (async () => {
      try {
        const file = await asyncBufferFromFile(this.path);
        return { file, metadata: await parquetMetadataAsync(file) };
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

  async *chunks(plan: ColumnPlan[]): AsyncIterable<SourceChunk> {
    const { file, metadata } = await this.#open();
    const known = new Set((await this.columns()).filter((c) => c.kind !== "skip").map((c) => c.name));
    for (const p of plan) if (!known.has(p.name)) throw new InvalidParameterValueError(`Cannot find column '${p.name}' in ${this.path}.`);
    let rowsDone = 0;
    for (const rg of metadata.row_groups) {
      const rows = Number(rg.num_rows);
      const groupStart = rowsDone;
      rowsDone += rows;
      for (const p of plan) {
        let rowStart = groupStart;
        const chunk = rg.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === p.name);
        if (!chunk) throw new InvalidParameterValueError(`${this.path}: row group without column '${p.name}'.`);
        for await (const page of readColumnPages(file, metadata, chunk, p.kind, rows, compressors)) {
          const at = rowStart;
          rowStart += page.rows;
          if (page.kind === "num") yield { chunk: { column: p.name, kind: "num", data: { values: page.values, invalid: page.invalid, missing: page.nulls } }, rowStart: at, rowsDone };
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
