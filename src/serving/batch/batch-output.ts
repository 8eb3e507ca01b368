/**
 * Batch scoring output: a model's output for a chunk of rows as named
 * columns with one value per row, and those columns as CSV or JSON lines text
 * (Parquet is written from the columns themselves).
 *
 * | model output | columns |
 * |---|---|
 * | data-frame outputs (ONNX on column input) | one per output; width-1 outputs as scalars |
 * | named tensors | one per tensor (`[n]` or `[n, 1]` → scalars, wider → lists) |
 * | one unnamed tensor, or one value per row | `prediction` |
 *
 * A model returning a single value for the whole chunk cannot be written per
 * row and is refused.
 * @module
 */
import { rowWidth, type ModelOutput, ModelInputError } from "../../models/index.js";

export interface OutputColumnData {
  name: string;
  /** width-1 columns: one value per row (typed array or list); wider: one list per row. */
  values: ArrayLike<unknown>;
  numeric: boolean;
}

function scalar(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  return v;
}

function rowsOf(data: ArrayLike<unknown>, rows: number, width: number): ArrayLike<unknown> {
  if (width === 1) return data;
  const out = new Array<unknown[]>(rows);
  for (let r = 0; r < rows; r++) out[r] = Array.from({ length: width }, (_, k) => scalar(data[r * width + k]));
  return out;
}

const isNumeric = (d: unknown) => ArrayBuffer.isView(d) && !(d instanceof BigInt64Array) && !(d instanceof BigUint64Array);

export function outputColumns(out: ModelOutput, rows: number): OutputColumnData[] {
  switch (out.kind) {
    case "columns":
      return out.columns.map((c) => ({ name: c.name, values: rowsOf(c.data as ArrayLike<unknown>, rows, c.width), numeric: c.width === 1 && isNumeric(c.data) }));
    case "tensors":
      return out.tensors.map((t, i) => {
        if (t.shape[0] !== rows && !(t.shape.length === 0 && rows === 1)) {
          throw new ModelInputError(`Output '${t.name ?? i}' has shape [${t.shape.join(", ")}]; batch scoring needs one entry per input row (${rows}).`);
        }
        const w = t.shape.length === 0 ? 1 : rowWidth(t);
        const name = t.name ?? (out.tensors.length === 1 ? "prediction" : `output_${i}`);
        return { name, values: rowsOf(t.data as ArrayLike<unknown>, rows, w), numeric: w === 1 && isNumeric(t.data) };
      });
    case "rows":
      return [{ name: "prediction", values: out.rows, numeric: isNumeric(out.rows) }];
    case "value":
      throw new ModelInputError("The model returned one value for the whole input, not one per row: batch scoring cannot write it row by row.");
  }
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "" : String(v);
  const s = typeof v === "string" ? v : JSON.stringify(typeof v === "bigint" ? Number(v) : v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(cols: OutputColumnData[]): string {
  return `${cols.map((c) => csvCell(c.name)).join(",")}\n`;
}

/** CSV rows (no header), each ending in "\n". */
export function toCsvLines(cols: OutputColumnData[], rows: number): string {
  const parts = new Array<string>(rows);
  if (cols.length === 1 && cols[0].numeric) {
    const v = cols[0].values as ArrayLike<number>;
    for (let r = 0; r < rows; r++) parts[r] = Number.isNaN(v[r]) ? "" : String(v[r]);
  } else {
    for (let r = 0; r < rows; r++) parts[r] = cols.map((c) => csvCell(scalar(c.values[r]))).join(",");
  }
  return rows === 0 ? "" : `${parts.join("\n")}\n`;
}

/** JSON lines, one object per row. */
export function toJsonLines(cols: OutputColumnData[], rows: number): string {
  const keys = cols.map((c) => JSON.stringify(c.name));
  const parts = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    let line = "{";
    for (let k = 0; k < cols.length; k++) {
      const v = scalar(cols[k].values[r]);
      line += `${k > 0 ? "," : ""}${keys[k]}:${typeof v === "number" && !Number.isFinite(v) ? "null" : JSON.stringify(v)}`;
    }
    parts[r] = `${line}}`;
  }
  return rows === 0 ? "" : `${parts.join("\n")}\n`;
}

/** Columns as Parquet-writable data: numbers stay typed; lists and objects become JSON text. */
export function toParquetColumns(cols: OutputColumnData[]): Array<{ name: string; data: ArrayLike<unknown> }> {
  return cols.map((c) => {
    if (c.numeric) return { name: c.name, data: c.values instanceof Float64Array ? c.values : Float64Array.from(c.values as ArrayLike<number>) };
    const data = Array.from(c.values, (v) => (v === null || v === undefined ? null : typeof v === "string" || typeof v === "boolean" || typeof v === "number" ? v : JSON.stringify(scalar(v))));
    return { name: c.name, data };
  });
}
