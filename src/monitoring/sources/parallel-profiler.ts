/**
 * Column-parallel profiling of a Parquet file: the columns are shared out to
 * worker threads by their estimated cost (from the file's metadata), each
 * reads and profiles its own, and the parts are put back in the file's
 * column order.
 * @module
 */
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { layoutIdOf, layoutsOf, type ColumnLayout, type DatasetProfile } from "../profiles/profile-types.js";
import type { ProfileOptions } from "../profiles/profiler.js";
import { ParquetTableSource } from "./parquet-table-source.js";
import type { ProfileWorkerMessage, ProfileWorkerTask } from "./profile-worker.js";

/**
 * Starts profile-worker beside this file in whatever form the code runs: `.ts`
 * in a source checkout (the thread registers tsx itself: on Node 20 loader
 * hooks do not reach worker threads), `.js` once built.
 */
function spawnProfileWorker(task: ProfileWorkerTask): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./profile-worker${ext}`, import.meta.url);
  if (ext !== ".ts") return new Worker(url, { workerData: task });
  const api = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: task });
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

function runWorkers<T>(tasks: ProfileWorkerTask[], total: number | undefined, opts: ProfileOptions, phase: "scan" | "count"): Promise<T[]> {
  const done = new Array<number>(tasks.length).fill(0);
  return Promise.all(
    tasks.map(
      (task, i) =>
        new Promise<T>((resolve, reject) => {
          const w = spawnProfileWorker(task);
          w.on("message", (m: ProfileWorkerMessage) => {
            if ("progress" in m) {
              done[i] = m.progress;
              opts.onProgress?.({ phase, rowsDone: Math.min(...done), rowsTotal: total });
            } else if ("result" in m) {
              resolve(m.result as T);
              void w.terminate();
            } else {
              reject(new InvalidParameterValueError(m.error));
              void w.terminate();
            }
          });
          w.once("error", reject);
          w.once("exit", (code) => {
            if (code !== 0) reject(new Error(`profile worker exited with code ${code}`));
          });
        }),
    ),
  );
}

/**
 * Shares columns out to n groups of about equal cost: costliest first, each
 * to the group with the least so far (columns without an estimate cost as
 * much as the costliest). Groups keep the file's column order.
 */
function deal<T extends { name: string }>(items: T[], n: number, costs: Map<string, number>): T[][] {
  const most = Math.max(1, ...costs.values());
  const costOf = (it: T) => costs.get(it.name) ?? most;
  const order = items.map((it, i) => ({ it, i, cost: costOf(it) })).sort((a, b) => b.cost - a.cost || a.i - b.i);
  const groups = Array.from({ length: n }, () => ({ load: 0, members: [] as Array<{ it: T; i: number }> }));
  for (const o of order) {
    let g = groups[0];
    for (const h of groups) if (h.load < g.load) g = h;
    g.load += o.cost;
    g.members.push(o);
  }
  return groups.filter((g) => g.members.length > 0).map((g) => g.members.sort((a, b) => a.i - b.i).map((m) => m.it));
}

function combine(layouts: ColumnLayout[], parts: DatasetProfile[]): DatasetProfile {
  const byName = new Map(parts.flatMap((p) => p.columns.map((c) => [c.name, c] as const)));
  return {
    format: parts[0].format,
    version: parts[0].version,
    layoutId: layoutIdOf(layouts),
    rows: parts[0].rows,
    columns: layouts.map((l) => byName.get(l.name)!),
  };
}

/** Counts a Parquet file into layouts with `workers` threads. */
export async function profileParquetWithLayouts(path: string, layouts: ColumnLayout[], opts: ProfileOptions & { workers?: number } = {}): Promise<DatasetProfile> {
  const source = new ParquetTableSource(path);
  const total = await source.rowCount();
  const groups = deal(layouts, opts.workers ?? defaultWorkers(), await source.columnCosts());
  if (groups.length === 0) return combine(layouts, [{ format: "ciclo.monitoring.profile", version: 1, layoutId: "", rows: total, columns: [] }]);
  const parts = await runWorkers<DatasetProfile>(groups.map((g) => ({ path, mode: "count", layouts: g, chunks: opts.chunks })), total, opts, "count");
  const profile = combine(layouts, parts);
  if (parts[0].chunks) profile.chunks = parts[0].chunks.map((_, k) => combine(layouts, parts.map((p) => p.chunks![k])));
  return profile;
}

/** A reference profile of a Parquet file, both passes column-parallel. */
export async function profileParquetReference(path: string, opts: ProfileOptions & { workers?: number } = {}): Promise<DatasetProfile> {
  const source = new ParquetTableSource(path);
  const total = await source.rowCount();
  const cols = (await source.columns()).filter((c) => c.kind !== "skip" && (!opts.columns || opts.columns.includes(c.name)));
  const groups = deal(cols, opts.workers ?? defaultWorkers(), await source.columnCosts());
  const parts = await runWorkers<ColumnLayout[]>(groups.map((g) => ({ path, mode: "scan", names: g.map((c) => c.name) })), total, opts, "scan");
  const byName = new Map(parts.flat().map((l) => [l.name, l]));
  return profileParquetWithLayouts(path, cols.map((c) => byName.get(c.name)!), opts);
}

/** A window's profile of a Parquet file against a reference, column-parallel. */
export async function profileParquetWindow(path: string, reference: DatasetProfile, opts: ProfileOptions & { workers?: number } = {}): Promise<DatasetProfile> {
  const profile = await profileParquetWithLayouts(path, layoutsOf(reference), { ...opts, chunks: 0 });
  profile.layoutId = reference.layoutId;
  return profile;
}
