/**
 * Turns a scoring request and its response into table cells: one row per
 * input row, its features as named columns and its prediction as
 * `prediction` (a scalar output), `prediction.<name>` (a column of a
 * record output) or `prediction.<name>.<i>` / `prediction.<i>` (one cell of
 * a vector, e.g. class probabilities). A tensor input's rows (`"inputs":
 * [[…], …]`) name their features by position, `0`, `1`, … as
 * `dataframe_split` without `columns` does. Bodies that are not one of MLflow's
 * JSON input formats keep no features (the request still counts for
 * latency, errors and throughput).
 *
 * The cells go to a {@link CellSink} as they are found, so a caller that
 * keeps columns (the segment builder) never builds a row object;
 * {@link requestRows} and {@link predictionRows} collect them into rows.
 * A body is checked whole before its first cell is emitted: one that is not
 * usable emits nothing.
 * @module
 */

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

/** Takes the cells of a body: `row` counts from 0 within the body. */
export interface CellSink {
  cell(row: number, name: string, value: Cell): void;
}

const MAX_VECTOR = 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/**
 * `parent.<key>` (a vector's cell, a record's field), made once per name: a
 * logged request would otherwise build the same strings anew for each cell.
 * Bounded: past `MAX_NAMES` names the cache starts over.
 */
const childNames = new Map<string, Map<string | number, string>>();
const MAX_NAMES = 10_000;
let cachedNames = 0;

function child(parent: string, key: string | number): string {
  let names = childNames.get(parent);
  let name = names?.get(key);
  if (name !== undefined) return name;
  name = `${parent}.${key}`;
  if (cachedNames >= MAX_NAMES) {
    childNames.clear();
    cachedNames = 0;
    names = undefined;
  }
  if (!names) childNames.set(parent, (names = new Map()));
  names.set(key, name);
  cachedNames++;
  return name;
}

/** Emits a value under `name`: vectors as `name.<i>`, records as `name.<key>`. */
function put(out: CellSink, row: number, name: string, v: unknown): void {
  if (Array.isArray(v) && v.length <= MAX_VECTOR && v.every((x) => typeof x !== "object" || x === null)) {
    for (let i = 0; i < v.length; i++) out.cell(row, child(name, i), cell(v[i]));
  } else if (isObject(v)) {
    for (const k in v) put(out, row, child(name, k), v[k]);
  } else out.cell(row, name, cell(v));
}

function parse(text: string): unknown {
  const c = text.charCodeAt(0);
  if (c !== 123 && c !== 91) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Columns of a tensor input kept at most (wider rows, e.g. images, keep no features). */
const MAX_TENSOR_COLUMNS = 1024;
/** `"0"`, `"1"`, …: made once each. */
const positions: string[] = [];
function position(j: number): string {
  return (positions[j] ??= String(j));
}

function isScalar(v: unknown): boolean {
  return v === null || (typeof v !== "object" && v !== undefined);
}

/**
 * Rows given as records (`{"a": 1, "b": 2}`: named cells) or as a 2-D tensor's rows (`[1, 2]`: cells named by
 * position, `0`, `1`, … as `dataframe_split` without `columns` names them), all rows one way.
 */
function recordCells(records: unknown[], out: CellSink): number | undefined {
  if (records.every(isObject)) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as Record<string, unknown>;
      for (const k in r) out.cell(i, k, cell(r[k]));
    }
    return records.length;
  }
  if (records.length === 0 || !records.every((r) => Array.isArray(r) && r.length <= MAX_TENSOR_COLUMNS && r.every(isScalar))) return undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown[];
    for (let j = 0; j < r.length; j++) out.cell(i, position(j), cell(r[j]));
  }
  return records.length;
}


/**
 * Emits the input cells of a JSON scoring request (MLflow's `dataframe_split`,
 * `dataframe_records`, `instances` or `inputs` — records, named columns, or
 * a 2-D tensor's rows, whose cells are named by position); the number of
 * input rows, or undefined for a body with none of those.
 */
export function requestCells(body: string, out: CellSink): number | undefined {
  const b = parse(body);
  if (!isObject(b)) return undefined;
  const split = b.dataframe_split;
  if (isObject(split) && Array.isArray(split.data)) {
    const cols = Array.isArray(split.columns) ? split.columns.map(String) : undefined;
    const data = split.data;
    for (let i = 0; i < data.length; i++) {
      const r: unknown = data[i];
      if (Array.isArray(r)) for (let j = 0; j < r.length; j++) out.cell(i, cols?.[j] ?? String(j), cell(r[j]));
    }
    return data.length;
  }
  if (Array.isArray(b.dataframe_records)) return recordCells(b.dataframe_records, out);
  if (Array.isArray(b.instances)) return recordCells(b.instances, out);
  const inputs = b.inputs;
  if (Array.isArray(inputs)) return recordCells(inputs, out);
  if (isObject(inputs)) {
    // Named columns of equal length: { "a": [..], "b": [..] }.
    const cols = Object.entries(inputs).filter(([, v]) => Array.isArray(v)) as Array<[string, unknown[]]>;
    const n = cols[0]?.[1].length ?? 0;
    if (cols.length === 0 || cols.some(([, v]) => v.length !== n)) return undefined;
    for (let i = 0; i < n; i++) for (const [k, v] of cols) out.cell(i, k, cell(v[i]));
    return n;
  }
  return undefined;
}

/** Emits the prediction cells of a scoring response, one row each; their number, or undefined. */
export function predictionCells(body: string, out: CellSink): number | undefined {
  const b = parse(body);
  const preds = isObject(b) ? (b.predictions ?? b.outputs) : Array.isArray(b) ? b : undefined;
  if (isObject(preds)) {
    // Column-oriented output: { "label": [..], "probabilities": [[..], ..] }.
    const cols = Object.entries(preds).filter(([, v]) => Array.isArray(v)) as Array<[string, unknown[]]>;
    const n = cols[0]?.[1].length ?? 0;
    for (let i = 0; i < n; i++) for (const [k, v] of cols) put(out, i, child("prediction", k), v[i]);
    return n;
  }
  if (!Array.isArray(preds)) return undefined;
  for (let i = 0; i < preds.length; i++) put(out, i, "prediction", preds[i]);
  return preds.length;
}

/** Collects emitted cells into row objects. */
class RowCollector implements CellSink {
  readonly rows: Row[] = [];
  cell(row: number, name: string, value: Cell): void {
    while (this.rows.length <= row) this.rows.push({});
    this.rows[row][name] = value;
  }
}

function collect(n: number | undefined, c: RowCollector): Row[] | undefined {
  if (n === undefined) return undefined;
  while (c.rows.length < n) c.rows.push({});
  return c.rows;
}

/** The input rows of a JSON scoring request, or undefined (see {@link requestCells}). */
export function requestRows(body: string): Row[] | undefined {
  const c = new RowCollector();
  return collect(requestCells(body, c), c);
}

/** The predictions of a scoring response, one row each, or undefined. */
export function predictionRows(body: string): Row[] | undefined {
  const c = new RowCollector();
  return collect(predictionCells(body, c), c);
}
