/**
 * Worker thread: profiles some columns of a Parquet file (a first look for
 * layouts, or counts into given layouts) and posts the result. Each worker
 * reads and decodes only its own columns, so decoding runs in parallel too.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { profileWithLayouts, scanLayouts, type ProfileProgress } from "../profiles/profiler.js";
import type { ColumnLayout } from "../profiles/profile-types.js";
import { ParquetTableSource } from "./parquet-table-source.js";

export interface ProfileWorkerTask {
  path: string;
  mode: "scan" | "count";
  /** scan: the columns to look at. */
  names?: string[];
  /** count: the layouts to count into. */
  layouts?: ColumnLayout[];
  chunks?: number;
}

export type ProfileWorkerMessage = { progress: number } | { result: unknown } | { error: string };

const task = workerData as ProfileWorkerTask;
const port = parentPort!;
let last = 0;
const onProgress = (p: ProfileProgress) => {
  if (p.rowsDone !== last) port.postMessage({ progress: (last = p.rowsDone) } satisfies ProfileWorkerMessage);
};
try {
  const source = new ParquetTableSource(task.path);
  const result =
    task.mode === "scan"
      ? await scanLayouts(source, { columns: task.names, onProgress })
      : await profileWithLayouts(source, task.layouts ?? [], { chunks: task.chunks, onProgress });
  port.postMessage({ result } satisfies ProfileWorkerMessage);
} catch (err) {
  port.postMessage({ error: (err as Error).message } satisfies ProfileWorkerMessage);
}
