/**
 * Ground truth in bulk: a CSV or Parquet file with a `request_id` column, an
 * optional `row` column (the row within the request, default 0) and a
 * `label` column. Every row is checked before any is written, so a bad file
 * changes nothing.
 * @module
 */
import { CsvParser } from "../../models/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { LabelRecord } from "../core/monitoring-store.js";

export const MAX_LABELS_PER_UPLOAD = 1_000_000;
const MAX_REQUEST_ID = 256;

export interface LabelInput {
  request_id: string;
  row?: number;
  value: unknown;
}

/** Checks labels from any source and turns them into records. */
export function toLabelRecords(items: LabelInput[], now: number): LabelRecord[] {
  if (items.length > MAX_LABELS_PER_UPLOAD) throw new InvalidParameterValueError(`At most ${MAX_LABELS_PER_UPLOAD} labels per request; got ${items.length}. Split the file.`);
  return items.map((l, i) => {
    if (typeof l.request_id !== "string" || l.request_id === "" || l.request_id.length > MAX_REQUEST_ID) {
      throw new InvalidParameterValueError(`Label ${i}: request_id must be a string of 1-${MAX_REQUEST_ID} characters.`);
    }
    const row = l.row ?? 0;
    if (!Number.isInteger(row) || row < 0 || row > 1_000_000_000) throw new InvalidParameterValueError(`Label ${i} (request ${l.request_id}): row must be a non-negative integer.`);
    const v = l.value;
    if (v === undefined || (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") || (typeof v === "number" && !Number.isFinite(v))) {
      throw new InvalidParameterValueError(`Label ${i} (request ${l.request_id}): the label is a finite number, a string or a boolean.`);
    }
    return { requestId: l.request_id, row, value: JSON.stringify(v), time: now };
  });
}

function csvValue(s: string): unknown {
  if (s !== "" && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s.trim())) return Number(s);
  return s;
}

function columnsOf(header: string[]): { id: number; row: number; label: number } {
  const id = header.indexOf("request_id");
  const label = header.indexOf("label");
  if (id < 0 || label < 0) throw new InvalidParameterValueError(`A label file needs 'request_id' and 'label' columns (and optionally 'row'); found ${JSON.stringify(header)}.`);
  return { id, row: header.indexOf("row"), label };
}

export function parseLabelCsv(text: string): LabelInput[] {
  const parser = new CsvParser();
  const records = [...parser.push(text), ...parser.end()].filter((r) => !(r.length === 1 && r[0] === ""));
  if (records.length === 0) throw new InvalidParameterValueError("The label file is empty.");
  const cols = columnsOf(records[0].map((h) => h.trim()));
  return records.slice(1).map((r) => ({
    request_id: r[cols.id] ?? "",
    row: cols.row >= 0 && r[cols.row] !== "" ? Number(r[cols.row]) : undefined,
    value: csvValue(r[cols.label] ?? ""),
  }));
}

export async function parseLabelParquet(bytes: Uint8Array): Promise<LabelInput[]> {
  let rows: Record<string, unknown>[];
  const { parquetReadObjects } = await import("hyparquet");
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    rows = (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
  } catch (err) {
    throw new InvalidParameterValueError(`Cannot read the label file as Parquet: ${(err as Error).message}`);
  }
  if (rows.length > 0) columnsOf(Object.keys(rows[0]));
  return rows.map((r) => ({
    request_id: typeof r.request_id === "bigint" ? r.request_id.toString() : (r.request_id as string),
    row: r.row === undefined || r.row === null ? undefined : Number(r.row),
    value: typeof r.label === "bigint" ? Number(r.label) : r.label,
  }));
}
