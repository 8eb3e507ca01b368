/**
 * CSV input (`text/csv` scoring requests, batch files, evaluation data).
 *
 * {@link CsvParser} is incremental: feed it text chunks as they arrive and it
 * returns the complete records so far, keeping a partial record (even one cut
 * inside a quoted field) for the next chunk — so a request body or a file
 * larger than memory can be parsed in a stream. RFC 4180: `"` quoting with `""`
 * escapes, CRLF or LF line ends, a leading BOM dropped.
 *
 * {@link csvToInput} turns a header + records into a parsed {@link ColumnsInput}
 * as `pd.read_csv` would: numbers where a cell is numeric (or the signature says
 * the column is), empty cells as null.
 * @module
 */
import { ModelInputError } from "./input-coercion.js";
import type { ColumnsInput } from "./model-input.js";
import type { Schema } from "./model-signature.js";

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class CsvParser {
  private field = "";
  private record: string[] = [];
  private inQuotes = false;
  /** A quote seen inside a quoted field whose meaning depends on the next character. */
  private quotePending = false;
  private first = true;
  private fieldStarted = false;

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    let s = chunk;
    if (this.first) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let i = 0;
    const n = s.length;
    while (i < n) {
      if (this.quotePending) {
        this.quotePending = false;
        if (s.charCodeAt(i) === QUOTE) {
          this.field += '"';
          i++;
          continue;
        }
        this.inQuotes = false;
      }
      if (this.inQuotes) {
        const q = s.indexOf('"', i);
        if (q < 0) {
          this.field += s.slice(i);
          break;
        }
        this.field += s.slice(i, q);
        this.quotePending = true;
        i = q + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === QUOTE && !this.fieldStarted) {
        this.inQuotes = true;
        this.fieldStarted = true;
        i++;
      } else if (c === COMMA) {
        this.endField();
        i++;
      } else if (c === LF || c === CR) {
        if (this.fieldStarted || this.record.length > 0) {
          this.endField();
          out.push(this.record);
          this.record = [];
        }
        i++;
      } else {
        // Plain run up to the next delimiter.
        let j = i;
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR) break;
          j++;
        }
        this.field += s.slice(i, j);
        this.fieldStarted = true;
        i = j;
      }
    }
    return out;
  }

  /** Flushes the last record (a file may not end with a newline). */
  end(): string[][] {
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new ModelInputError("CSV input ends inside a quoted field.");
    if (this.fieldStarted || this.record.length > 0) {
      this.endField();
      const last = this.record;
      this.record = [];
      return [last];
    }
    return [];
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = "";
    this.fieldStarted = false;
  }
}

/** Whole-text convenience: header + records. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const p = new CsvParser();
  const records = p.push(text).concat(p.end());
  if (records.length === 0) throw new ModelInputError("CSV input is empty: a header line is needed.");
  return { header: records[0], rows: records.slice(1) };
}

const NUMERIC_TYPES = new Set(["double", "float", "integer", "long"]);
const NUMBER_RE = /^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf(inity)?|nan)\s*$/i;

function parseNumber(cell: string): number | undefined {
  // Fast path for plain decimals; Number() alone would also take "0x1F", " " and "1_0"-like oddities.
  const c = cell.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
    const v = Number(cell);
    if (!Number.isNaN(v) && !/[xXoObB_ ]/.test(cell)) return v;
  }
  if (!NUMBER_RE.test(cell)) return undefined;
  const t = cell.trim().toLowerCase();
  if (t === "nan") return Number.NaN;
  if (t.endsWith("inf") || t.endsWith("infinity")) return t.startsWith("-") ? -Infinity : Infinity;
  return Number(t);
}

/**
 * CSV records → a parsed ColumnsInput (validate it with `validateInput`). Cells of
 * numeric signature columns become numbers (a non-numeric cell stays text, so the
 * validator reports it by column and row); without a signature type, a column
 * whose every non-empty cell is numeric becomes numbers. Empty cells are null.
 */
export function csvToInput(header: string[], rows: string[][], schema?: Schema): ColumnsInput {
  const types = new Map<string, string>();
  if (schema?.kind === "columns") for (const c of schema.columns) if (c.name !== undefined) types.set(c.name, c.type);
  const columns = header.map((name, j) => {
    const values = new Array<unknown>(rows.length);
    const t = types.get(name);
    let allNumeric = true;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row.length !== header.length) {
        throw new ModelInputError(`CSV row ${r + 1} has ${row.length} fields; the header has ${header.length}.`);
      }
      const cell = row[j];
      if (cell === "") {
        values[r] = null;
        continue;
      }
      if (t === undefined || NUMERIC_TYPES.has(t)) {
        const v = parseNumber(cell);
        if (v !== undefined) {
          values[r] = v;
          continue;
        }
        allNumeric = false;
      }
      values[r] = cell;
    }
    if (t === undefined && !allNumeric) {
      // A text column: keep every cell as written (pandas makes it an object column).
      for (let r = 0; r < rows.length; r++) values[r] = rows[r][j] === "" ? null : rows[r][j];
    }
    return { name, values };
  });
  return { kind: "columns", rowCount: rows.length, columns };
}

/** A whole CSV text → parsed ColumnsInput (header line required). */
export function parseCsvInput(text: string, schema?: Schema): ColumnsInput {
  const { header, rows } = parseCsv(text);
  return csvToInput(header, rows, schema);
}

/**
 * Streams CSV text chunks as batches of at most `batchRows` rows (each a parsed
 * ColumnsInput), holding only one batch in memory.
 */
export async function* readCsvBatches(
  chunks: AsyncIterable<string | Buffer>,
  batchRows: number,
  schema?: Schema,
): AsyncGenerator<ColumnsInput> {
  const parser = new CsvParser();
  const decoder = new TextDecoder("utf-8");
  let header: string[] | undefined;
  let pending: string[][] = [];
  const take = function* (records: string[][]): Generator<ColumnsInput> {
    for (const rec of records) {
      if (!header) {
        header = rec;
        continue;
      }
      pending.push(rec);
      if (pending.length >= batchRows) {
        yield csvToInput(header, pending, schema);
        pending = [];
      }
    }
  };
  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    yield* take(parser.push(text));
  }
  yield* take(parser.push(decoder.decode()).concat(parser.end()));
  if (!header) throw new ModelInputError("CSV input is empty: a header line is needed.");
  if (pending.length > 0) yield csvToInput(header, pending, schema);
}
