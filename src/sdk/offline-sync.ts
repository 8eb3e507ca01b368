/**
 * Uploads offline spools (see offline-spool.ts) to a tracking server, in
 * order: the run is created (or the recorded server run joined), then every
 * record is replayed as the log-batch / log-inputs call it was meant to be,
 * then the end status is set.
 *
 * Resumable and idempotent: progress (server run id, records done, ended) is
 * written to the manifest after each step. A record re-sent after an
 * interruption is harmless (identical metric points are skipped by the
 * server; params and tags re-set to the same value change nothing), and a run
 * created just before an interruption is found again by its
 * `ciclo.offline.id` tag instead of being created twice. Runs are synced
 * oldest first, so a parent exists before its children, whose local
 * `mlflow.parentRunId` is mapped to the parent's server id.
 * @module
 */
import { MlflowError } from "../shared/errors.js";
import { PARENT_RUN_ID_TAG } from "../shared/system-tags.js";
import type { Tag } from "../shared/types.js";
import { isTransientError } from "./http-client.js";
import { findSpools, isLocalRunId, readSpoolRecords, type RunSpool, type SyncProgress } from "./offline-spool.js";
import { getOrCreateExperiment } from "./run-starter.js";
import { fromWireMetric, fromWireTags } from "../shared/wire/tracking-codec.js";
import type { TrackingClient } from "./tracking-client.js";

/** Tag that ties a run created by `ciclo sync` to its spool, so an interrupted sync never creates it twice. */
export const OFFLINE_ID_TAG = "ciclo.offline.id";

export interface SyncEvent {
  /** The spool's folder name (local or server run id). */
  spoolId: string;
  runName: string;
  runId: string;
  /** 1-based position of this run among those being synced. */
  runIndex: number;
  runCount: number;
  recordsDone: number;
  recordsTotal: number;
}

export interface SyncedRun {
  spoolId: string;
  dir: string;
  runId: string;
  runName: string;
  status: string;
  /** Records uploaded by this call (0 when the spool was already synced). */
  recordsSent: number;
  /** Records the server refused (4xx); their content is in `errors`. */
  recordsFailed: number;
  alreadySynced: boolean;
  errors: string[];
}

export interface SyncOptions {
  client: TrackingClient;
  onProgress?(event: SyncEvent): void;
  /** Stops between records when aborted; a later sync resumes where this one stopped. */
  signal?: AbortSignal;
}

/** Syncs the spool folder `folder` (one run) or every run spool inside it. */
export async function syncOfflineRuns(folder: string, opts: SyncOptions): Promise<SyncedRun[]> {
  const found = findSpools(folder);
  const byId = new Map(found.map((s) => [s.manifest.id, s]));
  // Oldest first, but a parent always before its children (they may share a start millisecond).
  const spools: RunSpool[] = [];
  const visit = (s: RunSpool): void => {
    if (spools.includes(s)) return;
    const parent = byId.get(s.manifest.tags.find((t) => t.key === PARENT_RUN_ID_TAG)?.value ?? "");
    if (parent && parent !== s) visit(parent);
    spools.push(s);
  };
  found.forEach(visit);
  const results: SyncedRun[] = [];
  for (let i = 0; i < spools.length; i++) {
    if (opts.signal?.aborted) break;
    results.push(await syncSpool(spools[i], { ...opts, byId, index: i + 1, count: spools.length }));
  }
  return results;
}

interface SpoolContext extends SyncOptions {
  byId: Map<string, RunSpool>;
  index: number;
  count: number;
}

async function syncSpool(spool: RunSpool, ctx: SpoolContext): Promise<SyncedRun> {
  const { client } = ctx;
  const m = spool.manifest;
  const { records, tornLines } = readSpoolRecords(spool.dir);
  const ended = m.status !== "RUNNING";
  const result: SyncedRun = {
    spoolId: m.id,
    dir: spool.dir,
    runId: m.sync?.runId ?? m.runId ?? "",
    runName: m.runName,
    status: m.status,
    recordsSent: 0,
    recordsFailed: 0,
    alreadySynced: false,
    errors: tornLines > 0 ? [`${tornLines} torn line(s) in records.jsonl skipped (a crash while writing)`] : [],
  };
  const done = m.sync?.recordsDone ?? 0;
  if (m.sync && done >= records.length && (m.sync.ended || !ended)) {
    result.alreadySynced = true;
    return result;
  }
  const progress: SyncProgress = m.sync ?? (await resolveRun(spool, ctx));
  if (!m.sync) spool.saveSyncProgress(progress);
  result.runId = progress.runId;
  const event = (): SyncEvent => ({
    spoolId: m.id, runName: m.runName, runId: progress.runId, runIndex: ctx.index, runCount: ctx.count,
    recordsDone: progress.recordsDone, recordsTotal: records.length,
  });
  ctx.onProgress?.(event());
  for (let i = progress.recordsDone; i < records.length; i++) {
    if (ctx.signal?.aborted) return result;
    const rec = records[i];
    try {
      if (rec.kind === "inputs") {
        await client.logInputs(progress.runId, rec.datasets.map((d) => ({
          tags: fromWireTags(d.tags),
          dataset: { name: d.dataset.name, digest: d.dataset.digest, sourceType: d.dataset.source_type, source: d.dataset.source,
            schema: d.dataset.schema ?? null, profile: d.dataset.profile ?? null },
        })));
      } else {
        await client.logBatch(progress.runId, {
          metrics: (rec.metrics ?? []).map(fromWireMetric),
          params: fromWireTags(rec.params),
          tags: fromWireTags(rec.tags),
        });
      }
      result.recordsSent++;
    } catch (err) {
      // The server is gone, or the request is fine but could not be served: stop here, resume later.
      if (isTransientError(err) || !(err instanceof MlflowError)) throw err;
      result.recordsFailed++;
      result.errors.push(`record ${i + 1}: ${err.message}`);
    }
    progress.recordsDone = i + 1;
    progress.updatedAt = Date.now();
    spool.saveSyncProgress(progress);
    ctx.onProgress?.(event());
  }
  if (ended && !progress.ended) {
    await client.updateRun(progress.runId, { status: m.status, endTime: m.endTime ?? undefined });
    progress.ended = true;
    progress.updatedAt = Date.now();
    spool.saveSyncProgress(progress);
  }
  return result;
}

/** The server run a spool goes into: the recorded one, one an interrupted sync created, or a new one. */
async function resolveRun(spool: RunSpool, ctx: SpoolContext): Promise<SyncProgress> {
  const { client } = ctx;
  const m = spool.manifest;
  const now = Date.now();
  if (m.runId) {
    const run = await client.getRun(m.runId);
    return { runId: run.info.runId, experimentId: run.info.experimentId, recordsDone: 0, ended: false, updatedAt: now };
  }
  const experimentId = m.experimentId || (m.experimentName ? (await getOrCreateExperiment(client, m.experimentName)).experimentId : "0");
  const previous = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${OFFLINE_ID_TAG}\` = '${m.id}'`,
    viewType: "ALL",
    maxResults: 1,
  });
  if (previous.items[0]) {
    return { runId: previous.items[0].info.runId, experimentId, recordsDone: 0, ended: false, updatedAt: now };
  }
  const tags: Tag[] = m.tags.map((t) => (t.key === PARENT_RUN_ID_TAG ? { key: t.key, value: parentServerId(t.value, ctx) } : t));
  tags.push({ key: OFFLINE_ID_TAG, value: m.id });
  const run = await client.createRun({ experimentId, userId: m.userId, runName: m.runName, startTime: m.startTime, tags });
  return { runId: run.info.runId, experimentId, recordsDone: 0, ended: false, updatedAt: now };
}

function parentServerId(parentId: string, ctx: SpoolContext): string {
  if (!isLocalRunId(parentId)) return parentId;
  const parent = ctx.byId.get(parentId);
  const synced = parent?.manifest.sync?.runId;
  if (!synced) {
    throw new Error(`Run ${parentId} (the parent) has not been synced; sync the folder that holds both runs.`);
  }
  return synced;
}
