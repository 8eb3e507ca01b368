/**
 * `ciclo models predict`: scores a file into a file, streaming both ends —
 * CSV, JSON lines or Parquet in, any of them out — so files larger than
 * memory work: at most `2 × threads` chunks are alive at once.
 *
 * The main thread splits the input into chunks (CSV/JSON lines: ≈ `chunkBytes`
 * of text cut at a record boundary, quotes respected; Parquet: row ranges of
 * at most `parquetRows` within a row group) and writes results in input order;
 * the batch-scoring threads (one per core by default) parse, validate,
 * predict and format each chunk. Output goes to `<output>.partial` and is
 * renamed when complete, so a failed run never leaves a half file that looks done.
 * @module
 */
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import type { Worker } from "node:worker_threads";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { fileWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import { loadLocalModel, readMlmodel } from "../../models/index.js";
import { chooseRuntime, type RuntimeChoice } from "../online/model-runtime.js";
import { loadPythonModel, type PythonModel } from "../python/python-model.js";
import { preparePythonEnvironment } from "../python/python-environment.js";
import { InvalidParameterValueError, MlflowError } from "../../shared/errors.js";
import { scoreChunk } from "./batch-chunk-scorer.js";
import type { BatchLogRecord } from "./batch-monitor-log.js";
import { spawnModuleWorker } from "../worker-spawn.js";

export type FileFormat = "csv" | "jsonl" | "parquet";

type ChunkSource =
  | { kind: "csv"; header: string; text: string }
  | { kind: "jsonl"; text: string }
  | { kind: "parquet"; path: string; rowStart: number; rowEnd: number };

export interface ChunkRequest {
  id: number;
  /** For error messages: where in the input this chunk is. */
  where: string;
  source: ChunkSource;
  out: FileFormat;
  /** Also return the chunk's inputs and outputs as monitoring records. */
  log?: boolean;
}

export interface ChunkResult {
  id: number;
  rows: number;
  text?: string;
  header?: string;
  columns?: Array<{ name: string; data: ArrayLike<unknown> }>;
  log?: BatchLogRecord[];
}

interface PredictProgress {
  rows: number;
  /** Input consumed so far, in `unit`s, out of `total`. */
  done: number;
  total: number;
  unit: "bytes" | "rows";
}

export interface PredictFileOptions {
  modelPath: string;
  input: string;
  output: string;
  inputFormat?: FileFormat;
  outputFormat?: FileFormat;
  /** Scoring threads (default: one per core). */
  workers?: number;
  chunkBytes?: number;
  parquetRows?: number;
  /** `--runtime` and the Python runtime's environment (default: from the MLmodel file). */
  runtime?: RuntimeChoice;
  onProgress?(p: PredictProgress): void;
  /**
   * Receives each chunk's inputs and outputs as monitoring records, in input order, once the chunk is
   * written (`--log-to-monitor`); awaited, so a slow receiver slows the run instead of filling memory.
   */
  onLog?(records: BatchLogRecord[]): Promise<void>;
}

function formatOf(path: string, given?: string): FileFormat {
  const f = (given ?? extname(path).slice(1)).toLowerCase();
  if (f === "csv") return "csv";
  if (f === "jsonl" || f === "ndjson") return "jsonl";
  if (f === "parquet" || f === "pq") return "parquet";
  throw new InvalidParameterValueError(`Cannot tell the format of '${path}': use a .csv, .jsonl or .parquet file (or give the format).`);
}

/** Text chunks cut after a newline that is outside quotes (CSV) or after any newline (JSON lines). */
async function* textChunks(path: string, format: "csv" | "jsonl", chunkBytes: number): AsyncGenerator<{ text: string; header?: string; bytes: number }> {
  let pending = "";
  let scanned = 0; // pending[0, scanned) has been scanned for quotes
  let quoted = false;
  let cut = 0; // pending[0, cut) ends at a record boundary
  let header: string | undefined;
  let seenBytes = 0;
  const scan = () => {
    if (format === "jsonl" || (!quoted && pending.indexOf('"', scanned) < 0)) {
      const nl = pending.lastIndexOf("\n");
      // (a newline before `scanned` was judged when it was scanned: it may sit inside quotes)
      if (nl >= scanned || format === "jsonl") cut = Math.max(cut, nl + 1);
      scanned = pending.length;
      return;
    }
    for (let i = scanned; i < pending.length; i++) {
      const c = pending.charCodeAt(i);
      if (c === 34) quoted = !quoted;
      else if (c === 10 && !quoted) cut = i + 1;
    }
    scanned = pending.length;
  };
  const take = (): string => {
    const text = pending.slice(0, cut);
    pending = pending.slice(cut);
    scanned -= cut;
    cut = 0;
    return text;
  };
  for await (const piece of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    seenBytes += Buffer.byteLength(piece as string);
    pending += piece as string;
    scan();
    if (format === "csv" && header === undefined && cut > 0) {
      // The first record is the header; keep it for every chunk.
      let end = 0;
      for (let q = false; end < pending.length; end++) {
        const c = pending.charCodeAt(end);
        if (c === 34) q = !q;
        else if (c === 10 && !q) break;
      }
      header = pending.slice(0, end).replace(/\r$/, "").replace(/^\uFEFF/, "");
      pending = pending.slice(end + 1);
      scanned = 0;
      quoted = false;
      cut = 0;
      scan();
    }
    if (cut >= chunkBytes) yield { text: take(), header, bytes: seenBytes };
  }
  if (format === "csv" && header === undefined) {
    header = pending.replace(/\r?\n?$/, "").replace(/^\uFEFF/, "");
    pending = "";
  }
  cut = pending.length;
  const rest = take();
  if (rest.trim() !== "") yield { text: rest, header, bytes: seenBytes };
  if (format === "csv" && header === undefined) throw new InvalidParameterValueError(`CSV input '${path}' is empty: a header line is needed.`);
}

async function* chunkRequests(opts: PredictFileOptions, inFmt: FileFormat, outFmt: FileFormat): AsyncGenerator<{ req: ChunkRequest; done: number; total: number; unit: "bytes" | "rows" }> {
  let id = 0;
  if (inFmt === "parquet") {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(opts.input));
    const total = Number(metadata.num_rows);
    const step = opts.parquetRows ?? 65_536;
    let start = 0;
    for (const rg of metadata.row_groups) {
      const end = start + Number(rg.num_rows);
      for (let s = start; s < end; s += step) {
        const e = Math.min(end, s + step);
        yield { req: { id: id++, where: `rows ${s + 1}–${e}`, source: { kind: "parquet", path: opts.input, rowStart: s, rowEnd: e }, out: outFmt, log: opts.onLog !== undefined }, done: e, total, unit: "rows" };
      }
      start = end;
    }
    return;
  }
  const total = (await stat(opts.input)).size;
  let prev = 0;
  for await (const c of textChunks(opts.input, inFmt, opts.chunkBytes ?? 1 << 20)) {
    const source: ChunkSource = inFmt === "csv" ? { kind: "csv", header: c.header!, text: c.text } : { kind: "jsonl", text: c.text };
    yield { req: { id: id++, where: `input bytes ≈${prev}–${c.bytes}`, source, out: outFmt, log: opts.onLog !== undefined }, done: c.bytes, total, unit: "bytes" };
    prev = c.bytes;
  }
}

interface Scorer {
  score(req: ChunkRequest): Promise<ChunkResult>;
  readonly parallel: number;
  close(): Promise<void>;
}

/**
 * Python models: `workers` Python processes (at least 1), chunks parsed here and
 * sent to the least loaded one. A process that dies fails the run with its message.
 */
async function startPythonScorer(modelPath: string, workers: number, choice: RuntimeChoice): Promise<Scorer> {
  const env = await preparePythonEnvironment(modelPath, choice.python);
  const loaded = await Promise.allSettled(Array.from({ length: Math.max(1, workers) }, () => loadPythonModel(modelPath, env)));
  const models = loaded.flatMap((l) => (l.status === "fulfilled" ? [l.value] : []));
  const failed = loaded.find((l) => l.status === "rejected");
  if (failed) {
    await Promise.all(models.map((m) => m.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const load = new Array<number>(models.length).fill(0);
  return {
    parallel: models.length,
    async score(req) {
      let k = 0;
      for (let i = 1; i < models.length; i++) if (load[i] < load[k]) k = i;
      load[k]++;
      try {
        return await scoreChunk(models[k] as PythonModel, req);
      } finally {
        load[k]--;
      }
    },
    close: () => Promise.all(models.map((m) => m.close())).then(() => undefined),
  };
}

async function startScorer(modelPath: string, workers: number, choice: RuntimeChoice = {}): Promise<Scorer> {
  if (chooseRuntime(await readMlmodel(modelPath), choice).name === "python") return startPythonScorer(modelPath, workers, choice);
  const inline = async (): Promise<Scorer> => {
    const model = await loadLocalModel(modelPath);
    return { score: (r) => scoreChunk(model, r), parallel: 1, close: () => model.close() };
  };
  if (workers <= 0) return inline();
  const pending = new Map<number, { resolve(r: ChunkResult): void; reject(e: Error): void }>();
  const threads: Worker[] = [];
  const load = await Promise.allSettled(
    Array.from({ length: workers }, () => {
      const w = spawnModuleWorker(import.meta.url, "batch-predict-worker", { path: modelPath, options: {} });
      threads.push(w);
      return new Promise<boolean>((resolve, reject) => {
        w.on("message", (m: { type?: string; workerSafe?: boolean; message?: string; id?: number; error?: string }) => {
          if (m.type === "ready") return resolve(m.workerSafe !== false);
          if (m.type === "failed") return reject(new Error(m.message));
          const p = pending.get(m.id!);
          if (!p) return;
          pending.delete(m.id!);
          if (m.error !== undefined) p.reject(new MlflowError(m.error, "BAD_REQUEST"));
          else p.resolve(m as ChunkResult);
        });
        w.on("error", reject);
        w.on("exit", (code) => {
          for (const p of pending.values()) p.reject(new Error(`a scoring thread exited (${code})`));
          pending.clear();
        });
      });
    }),
  );
  const failed = load.find((l) => l.status === "rejected");
  if (failed || load.some((l) => l.status === "fulfilled" && !l.value)) {
    await Promise.all(threads.map((t) => t.terminate()));
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return inline(); // the module asked not to run in a worker thread
  }
  const load_ = new Array<number>(threads.length).fill(0);
  return {
    parallel: threads.length,
    score(req) {
      let k = 0;
      for (let i = 1; i < threads.length; i++) if (load_[i] < load_[k]) k = i;
      load_[k]++;
      return new Promise<ChunkResult>((resolve, reject) => {
        pending.set(req.id, { resolve, reject });
        threads[k].postMessage(req);
      }).finally(() => load_[k]--);
    },
    close: () => Promise.all(threads.map((t) => t.terminate())).then(() => undefined),
  };
}

interface OutputWriter {
  write(r: ChunkResult): Promise<void>;
  finish(): Promise<void>;
}

function outputWriter(path: string, format: FileFormat): OutputWriter {
  if (format === "parquet") {
    let writer: ParquetWriter | undefined;
    return {
      async write(r) {
        const columnData = r.columns!.map((c) => ({ name: c.name, data: c.data as never }));
        writer ??= new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData }) });
        if (r.rows > 0) await writer.write({ columnData, rowGroupSize: r.rows });
      },
      async finish() {
        if (!writer) throw new InvalidParameterValueError("The input has no rows: nothing to write to Parquet.");
        writer.finish();
      },
    };
  }
  const stream = createWriteStream(path);
  let headerWritten = false;
  const put = (s: string) => (stream.write(s) ? Promise.resolve() : new Promise<void>((r) => stream.once("drain", () => r())));
  return {
    async write(r) {
      if (format === "csv" && !headerWritten) {
        headerWritten = true;
        await put(r.header!);
      }
      if (r.text) await put(r.text);
    },
    finish: () => new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve()))),
  };
}

/** Scores `input` into `output`; resolves with the rows written. */
export async function predictFile(opts: PredictFileOptions): Promise<{ rows: number; ms: number }> {
  const t0 = performance.now();
  const inFmt = formatOf(opts.input, opts.inputFormat);
  const outFmt = formatOf(opts.output, opts.outputFormat);
  const scorer = await startScorer(opts.modelPath, opts.workers ?? availableParallelism(), opts.runtime);
  const partial = `${opts.output}.partial`;
  const writer = outputWriter(partial, outFmt);
  const limit = Math.max(2, scorer.parallel * 2);
  const inFlight: Array<{ result: Promise<ChunkResult>; done: number; total: number; unit: "bytes" | "rows" }> = [];
  let rows = 0;
  const writeOldest = async () => {
    const c = inFlight.shift()!;
    const r = await c.result;
    await writer.write(r);
    if (opts.onLog && r.log) await opts.onLog(r.log);
    rows += r.rows;
    opts.onProgress?.({ rows, done: c.done, total: c.total, unit: c.unit });
  };
  try {
    for await (const c of chunkRequests(opts, inFmt, outFmt)) {
      const result = scorer.score(c.req);
      result.catch(() => undefined); // awaited in order below
      inFlight.push({ result, done: c.done, total: c.total, unit: c.unit });
      if (inFlight.length >= limit) await writeOldest();
    }
    while (inFlight.length > 0) await writeOldest();
    await writer.finish();
    await rename(partial, opts.output);
    return { rows, ms: performance.now() - t0 };
  } catch (err) {
    await writer.finish().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  } finally {
    await scorer.close();
  }
}
