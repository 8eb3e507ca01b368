/**
 * The offline spool: one folder per run, `<root>/<run-id>/`, holding
 *
 * - `manifest.json` — experiment, run name, user, start/end, status, the
 *   run's creation tags, counts of what was logged, and (once `ciclo sync`
 *   ran) the sync progress. Rewritten atomically (temp file + rename).
 * - `records.jsonl` — append-only JSON lines in logging order: `batch` lines
 *   (metrics, params, tags: each one a valid log-batch) and `inputs` lines
 *   (dataset inputs). Doubles use MLflow's wire form, so NaN/±Infinity survive.
 *
 * A crash can at worst cut the last line short; readers skip a torn last line.
 * @module
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { WireDatasetInput, WireKeyValue, WireMetric } from "../shared/wire/tracking-wire.js";
import type { DatasetInput, Metric, Param, RunStatus } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";
import { toWireDatasetInput, toWireMetric } from "../shared/wire/tracking-codec.js";

const MANIFEST_FILE = "manifest.json";
const RECORDS_FILE = "records.jsonl";
export const DEFAULT_OFFLINE_DIR = "./ciclo-data/offline";
/** Local run ids: never a valid server id (32 hex), so a mix-up is impossible. */
const LOCAL_ID_PREFIX = "local-";

export interface SyncProgress {
  /** The server run the spool is uploaded into. */
  runId: string;
  experimentId: string;
  /** Records (lines of records.jsonl) already uploaded. */
  recordsDone: number;
  /** True once the run's end status was sent. */
  ended: boolean;
  updatedAt: number;
}

export interface SpoolManifest {
  format: "ciclo-offline-run";
  version: 1;
  /** The folder name: a server run id, or `local-<hex>` for runs created offline. */
  id: string;
  /** The server run, when it existed before the spool started (a fallback, or a joined run). */
  runId: string | null;
  experimentId: string | null;
  experimentName: string | null;
  runName: string;
  userId: string;
  startTime: number;
  endTime: number | null;
  status: RunStatus;
  /** Tags the run was created with (system tags included; `mlflow.parentRunId` may name a local id). */
  tags: Tag[];
  counts: { records: number; metrics: number; params: number; tags: number; inputs: number };
  /** Why the run was spooled: "offline mode", or the error that made the server unreachable. */
  reason: string;
  sync?: SyncProgress;
}

export type SpoolRecord =
  | { kind: "batch"; metrics?: WireMetric[]; params?: WireKeyValue[]; tags?: WireKeyValue[] }
  | { kind: "inputs"; datasets: WireDatasetInput[] };

export type SpoolInit = Omit<SpoolManifest, "format" | "version" | "id" | "counts" | "endTime" | "status" | "sync"> & {
  /** Folder name; default the server run id, else a new local id. */
  id?: string;
};

function newLocalRunId(): string {
  return `${LOCAL_ID_PREFIX}${randomBytes(16).toString("hex")}`;
}

export function isLocalRunId(id: string): boolean {
  return id.startsWith(LOCAL_ID_PREFIX);
}

function readManifest(path: string): SpoolManifest {
  const manifest = JSON.parse(readFileSync(path, "utf8")) as SpoolManifest;
  if (manifest?.format !== "ciclo-offline-run") throw new Error(`${path} is not a ciclo offline run manifest.`);
  return manifest;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export class RunSpool {
  private constructor(
    readonly dir: string,
    readonly manifest: SpoolManifest,
  ) {}

  /** Starts a new spool folder under `root`. */
  static create(root: string, init: SpoolInit): RunSpool {
    const id = init.id ?? init.runId ?? newLocalRunId();
    const dir = resolve(root, id);
    mkdirSync(dir, { recursive: true });
    if (existsSync(join(dir, MANIFEST_FILE))) {
      // The same server run fell back to offline twice (or a joined run): keep appending to its spool,
      // after a newline if a crash left the last line torn.
      const records = join(dir, RECORDS_FILE);
      if (existsSync(records) && statSync(records).size > 0 && !readFileSync(records, "utf8").endsWith("\n")) {
        appendFileSync(records, "\n");
      }
      return RunSpool.open(dir);
    }
    const { id: _id, ...rest } = init;
    const manifest: SpoolManifest = {
      format: "ciclo-offline-run",
      version: 1,
      id,
      ...rest,
      endTime: null,
      status: "RUNNING",
      counts: { records: 0, metrics: 0, params: 0, tags: 0, inputs: 0 },
    };
    writeFileSync(join(dir, RECORDS_FILE), "", { flag: "a" });
    const spool = new RunSpool(dir, manifest);
    spool.saveManifest();
    return spool;
  }

  static open(dir: string): RunSpool {
    return new RunSpool(resolve(dir), readManifest(join(dir, MANIFEST_FILE)));
  }

  appendBatch(batch: { metrics: Metric[]; params: Param[]; tags: Tag[] }): void {
    const rec: SpoolRecord = { kind: "batch" };
    if (batch.metrics.length > 0) rec.metrics = batch.metrics.map(toWireMetric);
    if (batch.params.length > 0) rec.params = batch.params.map((p) => ({ key: p.key, value: p.value }));
    if (batch.tags.length > 0) rec.tags = batch.tags.map((t) => ({ key: t.key, value: t.value }));
    this.append(rec);
    const c = this.manifest.counts;
    c.metrics += batch.metrics.length;
    c.params += batch.params.length;
    c.tags += batch.tags.length;
    this.saveManifest();
  }

  appendInputs(inputs: DatasetInput[]): void {
    this.append({ kind: "inputs", datasets: inputs.map(toWireDatasetInput) });
    this.manifest.counts.inputs += inputs.length;
    this.saveManifest();
  }

  end(status: RunStatus, endTime: number): void {
    this.manifest.status = status;
    this.manifest.endTime = endTime;
    this.saveManifest();
  }

  /**
   * Writes the manifest for the logging process. A `ciclo sync` may run at the
   * same time and owns the `sync` field: the one on disk is kept.
   */
  saveManifest(): void {
    const path = join(this.dir, MANIFEST_FILE);
    if (existsSync(path)) {
      const onDisk = readManifest(path);
      if (onDisk.sync) this.manifest.sync = onDisk.sync;
    }
    writeJsonAtomic(path, this.manifest);
  }

  /** Records sync progress for the syncing process; the rest comes fresh from disk (the run may still be logging). */
  saveSyncProgress(progress: SyncProgress): void {
    const path = join(this.dir, MANIFEST_FILE);
    Object.assign(this.manifest, readManifest(path), { sync: progress });
    writeJsonAtomic(path, this.manifest);
  }

  private append(rec: SpoolRecord): void {
    // The line goes first, the count after: a crash in between leaves an uncounted line, which readers still find.
    appendFileSync(join(this.dir, RECORDS_FILE), `${JSON.stringify(rec)}\n`);
    this.manifest.counts.records += 1;
  }
}

/**
 * The records of a spool in order. Unparsable lines (a line torn by a crash,
 * possibly followed by lines of a later session) are left out and counted.
 */
export function readSpoolRecords(dir: string): { records: SpoolRecord[]; tornLines: number } {
  const path = join(dir, RECORDS_FILE);
  if (!existsSync(path)) return { records: [], tornLines: 0 };
  const records: SpoolRecord[] = [];
  let tornLines = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      records.push(JSON.parse(line) as SpoolRecord);
    } catch {
      tornLines++;
    }
  }
  return { records, tornLines };
}

/**
 * The spool folders in `folder`: the folder itself when it holds a manifest,
 * else its sub-folders that do, oldest run first.
 */
export function findSpools(folder: string): RunSpool[] {
  const dir = resolve(folder);
  if (existsSync(join(dir, MANIFEST_FILE))) return [RunSpool.open(dir)];
  if (!existsSync(dir)) return [];
  const spools = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, MANIFEST_FILE)))
    .map((e) => RunSpool.open(join(dir, e.name)));
  return spools.sort((a, b) => a.manifest.startTime - b.manifest.startTime || a.manifest.id.localeCompare(b.manifest.id));
}
