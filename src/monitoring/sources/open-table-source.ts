/**
 * A table source for a file path, by extension: `.csv`, `.parquet`/`.pq`.
 * @module
 */
import { extname } from "node:path";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { TableSource } from "../profiles/table-source.js";
import { CsvTableSource } from "./csv-table-source.js";
import { ParquetTableSource } from "./parquet-table-source.js";

export type TableFormat = "csv" | "parquet";

export function tableFormatOf(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  throw new InvalidParameterValueError(`Cannot tell the format of '${path}': use a .csv or .parquet file.`);
}

export function openTableSource(path: string): TableSource {
  return tableFormatOf(path) === "csv" ? new CsvTableSource(path) : new ParquetTableSource(path);
}
