/**
 * Scores one chunk of a batch-scoring input: parsing (CSV text, JSON lines,
 * or a Parquet row range read straight from the file), validation against
 * the model's schema, prediction and output formatting. Runs in the
 * batch-scoring threads (and on the main thread for a model that is not
 * worker-safe).
 * @module
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { parseCsvInput, recordsToColumns, validateInput, validateParams, type LoadedModel, type ColumnsInput, type ModelInput, type Schema } from "../../models/index.js";
import { MlflowError } from "../../shared/errors.js";
import { batchLogRecords } from "./batch-monitor-log.js";
import { csvHeader, outputColumns, toCsvLines, toJsonLines, toParquetColumns } from "./batch-output.js";
import type { ChunkRequest, ChunkResult } from "./batch-predict.js";
import { parseNumericCsv, simpleHeader } from "./numeric-csv.js";

const files = new Map<string, Promise<{ file: AsyncBuffer; metadata: FileMetaData }>>();

function openParquet(path: string) {
  let f = files.get(path);
  if (!f) {
    f = asyncBufferFromFile(path).then(async (file) => ({ file, metadata: await parquetMetadataAsync(file) }));
    files.set(path, f);
  }
  return f;
}

async function readParquet(path: string, rowStart: number, rowEnd: number): Promise<ColumnsInput> {
  const { file, metadata } = await openParquet(path);
  const n = rowEnd - rowStart;
  const cols = new Map<string, unknown[]>();
  await parquetRead({
    file,
    metadata,
    rowStart,
    rowEnd,
    compressors,
    onChunk: ({ columnName, columnData, rowStart: s }) => {
      let target = cols.get(columnName);
      if (!target) cols.set(columnName, (target = new Array<unknown>(n)));
      const offset = s - rowStart;
      for (let i = 0; i < columnData.length; i++) if (offset + i >= 0 && offset + i < n) target[offset + i] = columnData[i];
    },
  });
  return { kind: "columns", rowCount: n, columns: [...cols].map(([name, values]) => ({ name, values })) };
}

function parseJsonLines(text: string): ColumnsInput {
  const records: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    if (line !== "") {
      try {
        records.push(JSON.parse(line));
      } catch (err) {
        throw new MlflowError(`JSON lines input, line ${records.length + 1} of this chunk: ${(err as Error).message}`, "BAD_REQUEST");
      }
    }
    start = end + 1;
  }
  return recordsToColumns(records, "jsonl");
}

/**
 * All-numeric CSV straight into typed arrays: one [rows, k] tensor when the
 * model takes a single tensor the columns stack into (as the validator would
 * stack them), else one Float64Array per column.
 */
function fastCsv(headerLine: string, text: string, schema: Schema | undefined): ModelInput | undefined {
  const header = simpleHeader(headerLine);
  if (!header) return undefined;
  const k = header.length;
  const parsed = parseNumericCsv(text, k);
  if (!parsed) return undefined;
  const { rows, data } = parsed;
  if (schema?.kind === "tensors" && schema.tensors.length === 1 && schema.tensors[0].shape.length === 2 && !header.includes(schema.tensors[0].name ?? "")) {
    return { kind: "tensors", rowCount: rows, tensors: [{ name: schema.tensors[0].name, dtype: "float64", shape: [rows, k], data }] };
  }
  const columns = header.map((name, j) => {
    const values = new Float64Array(rows);
    for (let r = 0; r < rows; r++) values[r] = data[r * k + j];
    return { name, values };
  });
  return { kind: "columns", rowCount: rows, columns };
}

/** Scores a chunk; `transfer` lists the buffers to move (not copy) to the main thread. */
export async function scoreChunk(model: LoadedModel, req: ChunkRequest): Promise<ChunkResult & { transfer: ArrayBuffer[] }> {
  const src = req.source;
  const input =
    src.kind === "csv"
      ? (fastCsv(src.header, src.text, model.inputSchema) ?? parseCsvInput(`${src.header}\n${src.text}`, model.inputSchema))
      : src.kind === "jsonl"
        ? parseJsonLines(src.text)
        : await readParquet(src.path, src.rowStart, src.rowEnd);
  const out = await model.predict(validateInput(input, model.inputSchema), validateParams(undefined, model.signature?.params));
  const cols = outputColumns(out, input.rowCount);
  // Built before the output's buffers move to the main thread.
  const log = req.log ? batchLogRecords(input, cols, src.kind === "csv" ? simpleHeader(src.header) : undefined) : undefined;
  if (req.out === "parquet") {
    const columns = toParquetColumns(cols);
    return { id: req.id, rows: input.rowCount, columns, log, transfer: columns.flatMap((c) => (ArrayBuffer.isView(c.data) ? [c.data.buffer as ArrayBuffer] : [])) };
  }
  const text = req.out === "csv" ? toCsvLines(cols, input.rowCount) : toJsonLines(cols, input.rowCount);
  return { id: req.id, rows: input.rowCount, text, header: csvHeader(cols), log, transfer: [] as ArrayBuffer[] };
}

