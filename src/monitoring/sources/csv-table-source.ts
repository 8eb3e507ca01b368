/**
 * A CSV file as a profile source, read as a stream in slices of rows and typed
 * the way `pandas.read_csv` types it (which is what Evidently sees): pandas'
 * default NA strings are missing; a column whose other cells are all numbers
 * is numeric (int64 only when all are integers and none is missing), one of
 * only True/False literals is boolean, anything else text.
 * @module
 */
import { createReadStream } from "node:fs";
import { CsvParser } from "../../models/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { ColumnPlan, SourceChunk, SourceColumn, TableSource } from "../profiles/table-source.js";

/** pandas' default `na_values` (pandas 2: "None" included). */
const NA = new Set(["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]);
const INT = /^\s*[-+]?\d+\s*$/;
const FLOAT = /^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf|infinity)\s*$/i;
const BOOL = new Map([["True", "True"], ["TRUE", "True"], ["true", "True"], ["False", "False"], ["FALSE", "False"], ["false", "False"]]);

/** A numeric cell's value: ±Infinity for pandas' inf spellings, NaN for anything not a number. */
export function parseNumberCell(cell: string): number {
  const v = Number(cell);
  if (!Number.isNaN(v) && cell.trim() !== "" && !/[xXoObB_]/.test(cell)) return v;
  if (!FLOAT.test(cell)) return Number.NaN;
  const t = cell.trim().toLowerCase();
  if (t.endsWith("inf") || t.endsWith("infinity")) return t.startsWith("-") ? -Infinity : Infinity;
  return Number(t);
}

/**
 * The common case without regular expressions or set lookups: a cell that
 * starts like a decimal number and that Number() reads (hex, octal and binary
 * prefixes excluded). NaN means "look closer" (NA strings, inf, text).
 */
function plainNumber(cell: string): number {
  if (cell.length === 0) return Number.NaN;
  const c = cell.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 45 || c === 46)) return Number.NaN;
  if (cell.length > 1 && cell.charCodeAt(1) > 57) {
    const d = cell.charCodeAt(1) | 32;
    if (d === 120 || d === 111 || d === 98) return Number.NaN; // 0x, 0o, 0b
  }
  return Number(cell);
}

const ROWS_PER_SLICE = 16_384;

export class CsvTableSource implements TableSource {
  #columns: SourceColumn[] | undefined;
  #rows: number | undefined;

  constructor(readonly path: string) {}

  async *#records(): AsyncGenerator<{ header: string[]; rows: string[][] }> {
    const parser = new CsvParser();
    const decoder = new TextDecoder("utf-8");
    let header: string[] | undefined;
    let pending: string[][] = [];
    const take = (records: string[][]) => {
      for (const r of records) {
        if (!header) header = r;
        else pending.push(r);
      }
    };
    for await (const chunk of createReadStream(this.path, { highWaterMark: 1 << 20 })) {
      take(parser.push(decoder.decode(chunk as Buffer, { stream: true })));
      while (header && pending.length >= ROWS_PER_SLICE) {
        yield { header, rows: pending.slice(0, ROWS_PER_SLICE) };
        pending = pending.slice(ROWS_PER_SLICE);
      }
    }
    take(parser.push(decoder.decode()).concat(parser.end()));
    if (!header) throw new InvalidParameterValueError(`${this.path}: empty CSV file (a header line is needed).`);
    if (pending.length > 0) yield { header, rows: pending };
  }

  async columns(): Promise<SourceColumn[]> {
    if (this.#columns) return this.#columns;
    let state: Array<{ num: boolean; int: boolean; bool: boolean; na: boolean; any: boolean }> | undefined;
    let header: string[] = [];
    let rows = 0;
    for await (const slice of this.#records()) {
      header = slice.header;
      state ??= header.map(() => ({ num: true, int: true, bool: true, na: false, any: false }));
      for (const r of slice.rows) {
        rows++;
        if (r.length !== header.length) throw new InvalidParameterValueError(`${this.path}: row ${rows} has ${r.length} fields; the header has ${header.length}.`);
        for (let j = 0; j < r.length; j++) {
          const cell = r[j];
          const s = state[j];
          if (NA.has(cell)) {
            s.na = true;
            continue;
          }
          s.any = true;
          if (s.num && Number.isNaN(plainNumber(cell)) && Number.isNaN(parseNumberCell(cell))) s.num = false;
          if (s.int && !INT.test(cell)) s.int = false;
          if (s.bool && !BOOL.has(cell)) s.bool = false;
        }
      }
    }
    if (!state) {
      // Header only: every column empty (pandas makes them object columns).
      const first = this.#records();
      const { value } = await first.next();
      header = value?.header ?? [];
      state = header.map(() => ({ num: false, int: false, bool: false, na: false, any: false }));
    }
    const names = new Set<string>();
    this.#columns = header.map((name, j): SourceColumn => {
      if (names.has(name)) throw new InvalidParameterValueError(`${this.path}: column '${name}' appears twice in the header.`);
      names.add(name);
      const s = state![j];
      if (!s.any) return { name, kind: "num", dtype: "float" }; // all missing: pandas reads float64 NaN
      if (s.num) return { name, kind: "num", dtype: s.int && !s.na ? "int" : "float" };
      if (s.bool) return { name, kind: "cat", dtype: "bool" };
      return { name, kind: "cat", dtype: "string" };
    });
    this.#rows = rows;
    return this.#columns;
  }

  async rowCount(): Promise<number | undefined> {
    return this.#rows;
  }

  async *chunks(plan: ColumnPlan[]): AsyncIterable<SourceChunk> {
    let rowsDone = 0;
    for await (const slice of this.#records()) {
      const index = new Map(slice.header.map((h, j) => [h, j]));
      const cols = plan.map((p) => {
        const j = index.get(p.name);
        if (j === undefined) throw new InvalidParameterValueError(`Cannot find column '${p.name}' in ${this.path}.`);
        return j;
      });
      const rowStart = rowsDone;
      rowsDone += slice.rows.length;
      for (let k = 0; k < plan.length; k++) {
        const j = cols[k];
        const p = plan[k];
        if (p.kind === "num") {
          const values = new Float64Array(slice.rows.length);
          let invalid = 0;
          for (let r = 0; r < slice.rows.length; r++) {
            const cell = slice.rows[r][j] ?? "";
            const fast = plainNumber(cell);
            if (fast === fast) values[r] = fast;
            else if (NA.has(cell)) values[r] = Number.NaN;
            else {
              const v = parseNumberCell(cell);
              values[r] = v;
              if (Number.isNaN(v)) invalid++;
            }
          }
          yield { chunk: { column: p.name, kind: "num", data: { values, invalid } }, rowStart, rowsDone };
        } else {
          const values = new Array<string | null>(slice.rows.length);
          for (let r = 0; r < slice.rows.length; r++) {
            const cell = slice.rows[r][j] ?? "";
            values[r] = NA.has(cell) ? null : p.dtype === "bool" ? (BOOL.get(cell) ?? cell) : cell;
          }
          yield { chunk: { column: p.name, kind: "cat", data: values }, rowStart, rowsDone };
        }
      }
    }
  }
}
