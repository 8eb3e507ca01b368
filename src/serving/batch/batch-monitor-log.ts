/**
 * Batch scoring's inputs and outputs as monitoring's inference records
 * (`ciclo models predict --log-to-monitor <name>`): a chunk's rows become
 * records of at most {@link ROWS_PER_RECORD} rows each — the request as
 * MLflow's named-columns input (`{"inputs": {"x": [..], ..}}`), the response
 * as `{"predictions": ..}` the way the scoring server answers — so the
 * monitoring server turns them into the same columns (features by name,
 * `prediction` or `prediction.<name>`) as the requests of an endpoint.
 * Built in the scoring threads, next to the rows they describe.
 * @module
 */
import type { ModelInput } from "../../models/index.js";
import type { OutputColumnData } from "./batch-output.js";

/** Rows per record: keeps each record (and each upload) far below the server's body limit. */
export const ROWS_PER_RECORD = 2_000;

export interface BatchLogRecord {
  rows: number;
  /** JSON text of the request and the response. */
  request: string;
  response: string;
}

interface NamedValues {
  name: string;
  /** One value per row (a number, string, boolean or null), or one list per row. */
  at(row: number): unknown;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, plain);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** The input's columns by name: a data frame's columns, or each tensor's rows (a wide single tensor split by `names`). */
function inputColumns(input: ModelInput, names?: readonly string[]): NamedValues[] {
  if (input.kind === "columns") return input.columns.map((c) => ({ name: c.name, at: (r) => plain((c.values as ArrayLike<unknown>)[r]) }));
  const out: NamedValues[] = [];
  input.tensors.forEach((t, i) => {
    const width = t.shape.length <= 1 ? 1 : t.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = t.data as ArrayLike<unknown>;
    const name = t.name ?? (input.tensors.length === 1 ? "input" : `input_${i}`);
    if (width === 1) out.push({ name, at: (r) => plain(data[r]) });
    else if (input.tensors.length === 1 && names?.length === width) {
      // CSV read straight into one [rows, k] tensor: its columns keep the file's header names.
      names.forEach((n, k) => out.push({ name: n, at: (r) => plain(data[r * width + k]) }));
    } else for (let k = 0; k < width; k++) out.push({ name: `${name}.${k}`, at: (r) => plain(data[r * width + k]) });
  });
  return out;
}

function slice(cols: NamedValues[], from: number, to: number): Record<string, unknown[]> {
  const o: Record<string, unknown[]> = {};
  for (const c of cols) {
    const v = new Array<unknown>(to - from);
    for (let r = from; r < to; r++) v[r - from] = c.at(r);
    o[c.name] = v;
  }
  return o;
}

/** The records of one scored chunk. `headerNames` names a CSV's columns when they were read as one tensor. */
export function batchLogRecords(input: ModelInput, output: OutputColumnData[], headerNames?: readonly string[]): BatchLogRecord[] {
  const ins = inputColumns(input, headerNames);
  const outs: NamedValues[] = output.map((c) => ({ name: c.name, at: (r) => plain(c.values[r]) }));
  const single = outs.length === 1 && outs[0].name === "prediction";
  const records: BatchLogRecord[] = [];
  for (let from = 0; from < input.rowCount; from += ROWS_PER_RECORD) {
    const to = Math.min(input.rowCount, from + ROWS_PER_RECORD);
    const predictions = single ? slice(outs, from, to).prediction : slice(outs, from, to);
    records.push({ rows: to - from, request: JSON.stringify({ inputs: slice(ins, from, to) }), response: JSON.stringify({ predictions }) });
  }
  return records;
}
