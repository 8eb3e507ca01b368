/**
 * Turns a scoring request and its response into table rows: one row per
 * input row, its features as named columns and its prediction as
 * `prediction` (a scalar output), `prediction.<name>` (a column of a
 * record output) or `prediction.<name>.<i>` / `prediction.<i>` (one cell of
 * a vector, e.g. class probabilities). Bodies that are not one of MLflow's
 * JSON input formats keep no features (the request still counts for
 * latency, errors and throughput).
 * @module
 */

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

const MAX_VECTOR = 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/** Flattens a value into `row` under `name`: vectors into `name.<i>`, records into `name.<key>`. */
function put(row: Row, name: string, v: unknown): void {
  if (Array.isArray(v) && v.length <= MAX_VECTOR && v.every((x) => typeof x !== "object" || x === null)) {
    v.forEach((x, i) => (row[`${name}.${i}`] = cell(x)));
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) put(row, `${name}.${k}`, x);
  } else row[name] = cell(v);
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

function recordRows(records: unknown[]): Row[] | undefined {
  if (!records.every(isObject)) return undefined;
  return records.map((r) => {
    const row: Row = {};
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) row[k] = cell(v);
    return row;
  });
}

/** The input rows of a JSON scoring request (MLflow's `dataframe_split`, `dataframe_records`, `instances` or named `inputs`). */
export function requestRows(body: string): Row[] | undefined {
  const b = parse(body);
  if (!isObject(b)) return undefined;
  const split = b.dataframe_split;
  if (isObject(split) && Array.isArray(split.data)) {
    const cols = Array.isArray(split.columns) ? split.columns.map(String) : undefined;
    return split.data.map((r) => {
      const row: Row = {};
      if (Array.isArray(r)) r.forEach((v, i) => (row[cols?.[i] ?? String(i)] = cell(v)));
      return row;
    });
  }
  if (Array.isArray(b.dataframe_records)) return recordRows(b.dataframe_records);
  if (Array.isArray(b.instances)) return recordRows(b.instances);
  const inputs = b.inputs;
  if (Array.isArray(inputs)) return recordRows(inputs);
  if (isObject(inputs)) {
    // Named columns of equal length: { "a": [..], "b": [..] }.
    const cols = Object.entries(inputs).filter(([, v]) => Array.isArray(v)) as Array<[string, unknown[]]>;
    const n = cols[0]?.[1].length ?? 0;
    if (cols.length === 0 || cols.some(([, v]) => v.length !== n)) return undefined;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map(([k, v]) => [k, cell(v[i])])));
  }
  return undefined;
}

/** The predictions of a scoring response, one row each. */
export function predictionRows(body: string): Row[] | undefined {
  const b = parse(body);
  const preds = isObject(b) ? (b.predictions ?? b.outputs) : Array.isArray(b) ? b : undefined;
  if (isObject(preds)) {
    // Column-oriented output: { "label": [..], "probabilities": [[..], ..] }.
    const cols = Object.entries(preds).filter(([, v]) => Array.isArray(v)) as Array<[string, unknown[]]>;
    const n = cols[0]?.[1].length ?? 0;
    return Array.from({ length: n }, (_, i) => {
      const row: Row = {};
      for (const [k, v] of cols) put(row, `prediction.${k}`, v[i]);
      return row;
    });
  }
  if (!Array.isArray(preds)) return undefined;
  return preds.map((p) => {
    const row: Row = {};
    put(row, "prediction", p);
    return row;
  });
}
