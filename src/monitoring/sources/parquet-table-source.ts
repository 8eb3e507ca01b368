/**
 * A Parquet file as a profile source (hyparquet), read one row group at a
 * time and only the planned columns — so several workers can each read their
 * own columns of one file. Types map to pandas' dtypes as pyarrow makes them:
 * integers (int64 only without nulls), floats and decimals numeric; strings
 * and booleans categorical; dates, times and nested columns skipped.
 * @module
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type FileMetaData, type SchemaElement } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { categoryOf, type ColumnChunk, type ColumnPlan, type SourceColumn, type TableSource } from "../profiles/table-source.js";

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

function toNumbers(data: ArrayLike<unknown>): { values: Float64Array; invalid: number } {
  if (data instanceof Float64Array) return { values: data, invalid: 0 };
  const values = new Float64Array(data.length);
  let invalid = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === "number") values[i] = v;
    else if (typeof v === "bigint") values[i] = Number(v);
    else {
      values[i] = Number.NaN;
      if (v !== null && v !== undefined) invalid++;
    }
  }
  return { values, invalid };
}

const decoder = new TextDecoder();

function toCategories(data: ArrayLike<unknown>): Array<string | null> {
  const out = new Array<string | null>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v instanceof Uint8Array ? decoder.decode(v) : categoryOf(v);
  }
  return out;
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

  async *chunks(plan: ColumnPlan[]): AsyncIterable<{ chunk: ColumnChunk; rowsDone: number }> {
    const { file, metadata } = await this.#open();
    const known = new Set((await this.columns()).map((c) => c.name));
    for (const p of plan) if (!known.has(p.name)) throw new InvalidParameterValueError(`Cannot find column '${p.name}' in ${this.path}.`);
    const kinds = new Map(plan.map((p) => [p.name, p.kind]));
    let rowStart = 0;
    for (const rg of metadata.row_groups) {
      const rowEnd = rowStart + Number(rg.num_rows);
      const chunks: ColumnChunk[] = [];
      await parquetRead({
        file,
        metadata,
        compressors,
        columns: plan.map((p) => p.name),
        rowStart,
        rowEnd,
        onChunk: (c) => {
          // A chunk may hold rows outside the asked range: keep this row group's only.
          const from = Math.max(0, rowStart - c.rowStart);
          const to = Math.min(c.columnData.length, rowEnd - c.rowStart);
          const data = from === 0 && to === c.columnData.length ? c.columnData : c.columnData.slice(from, to);
          if (kinds.get(c.columnName) === "num") chunks.push({ column: c.columnName, kind: "num", data: toNumbers(data as ArrayLike<unknown>) });
          else chunks.push({ column: c.columnName, kind: "cat", data: toCategories(data as ArrayLike<unknown>) });
        },
      });
      rowStart = rowEnd;
      for (const chunk of chunks) yield { chunk, rowsDone: rowEnd };
    }
  }
}
