/**
 * `ciclo import`: writes an export (export-format.ts) into a server through
 * its REST API — experiments by name, runs with `runs/create` + `log-batch`
 * (+ `log-inputs`, artifact uploads, `runs/update`), so any ciclo or MLflow
 * server works as the target.
 *
 * Idempotent: every run created carries its source id (SOURCE_RUN_TAG) and,
 * once complete, IMPORTED_AT_TAG. A second import skips complete runs and
 * resumes an interrupted one — its writes are idempotent (identical metric
 * points are deduplicated by the server, params logged again with the same
 * value are no-ops, tags and files are overwritten with the same content).
 *
 * A run is also already there when the target holds the run itself: a run
 * of that id (an export of this very server, or of one that shares its ids
 * through `ciclo import-mlflow`), or any run on its line of origin
 * (ORIGIN_RUNS_TAG on either side: a round trip back, or a chain A → B → C
 * followed by A's backup into C). Such a run is not written at all —
 * the target's copy may be newer than the export — nor is the experiment
 * of the same name and id it lives in (no tags, no restore, no delete).
 *
 * Run ids, artifact URIs and experiment creation times are the target's;
 * start/end times, statuses, users, names, tags, params, metric points
 * (step, timestamp, value, links) and dataset inputs are the source's.
 * Nested runs point at their imported parents. Deleted runs and experiments
 * are deleted again once imported.
 * @module
 */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactClient } from "../../sdk/artifact-client.js";
import type { MetricInput, TrackingClient } from "../../sdk/tracking-client.js";
import { PARENT_RUN_ID_TAG } from "../../shared/system-tags.js";
import type { Experiment, Run } from "../../shared/tracking-types.js";
import type { Tag } from "../../shared/types.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import { NotFoundError } from "../output/cli-errors.js";
import { sha256File, type TransferProgress } from "./exporter.js";
import {
  decodeValue,
  FILES,
  FORMAT,
  FORMAT_VERSION,
  IMPORTED_AT_TAG,
  ORIGIN_RUNS_TAG,
  originsOf,
  originsValue,
  readJsonLines,
  SOURCE_EXPERIMENT_TAG,
  SOURCE_RUN_TAG,
  type ExportedExperiment,
  type ExportedRun,
  type Manifest,
  type MetricLine,
} from "./export-format.js";

export interface ImportOptions extends TransferProgress {
  tracking: TrackingClient;
  artifacts: ArtifactClient;
  dir: string;
}

export interface ImportResult {
  /** Nothing was written: every run (and experiment) of the export is already there. */
  unchanged: boolean;
  manifest: Manifest;
  experiments: { created: number; reused: number };
  runs: { imported: number; resumed: number; skipped: number };
  metricPoints: number;
  artifactFiles: number;
  /** Source run id → target run id, for every run of the export. */
  runIds: Record<string, string>;
  /** Source experiment id → target experiment id. */
  experimentIds: Record<string, string>;
}

const IMPORT_TAGS = new Set([SOURCE_RUN_TAG, IMPORTED_AT_TAG, SOURCE_EXPERIMENT_TAG, ORIGIN_RUNS_TAG]);

/** Every id a run is known by: its own, and each run it was imported from. */
const identitiesOf = (runId: string, tags: readonly Tag[]): string[] => [runId, ...originsOf(tags)];

async function readManifest(dir: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, FILES.manifest), "utf8")) as Manifest;
  } catch (err) {
    if (!existsSync(dir)) throw new NotFoundError(`No such folder: '${dir}'.`);
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no manifest.json (not an export, or an interrupted one)" : (err as Error).message;
    throw new Error(`Cannot import '${dir}': ${why}.`);
  }
  if (manifest.format !== FORMAT) throw new Error(`Cannot import '${dir}': manifest.json is not a ciclo export (format '${String(manifest.format)}').`);
  if (!(manifest.formatVersion <= FORMAT_VERSION)) {
    throw new Error(`Cannot import '${dir}': export format ${manifest.formatVersion} is newer than this ciclo reads (${FORMAT_VERSION}); upgrade ciclo.`);
  }
  return manifest;
}

/** A cursor over metrics.jsonl, which holds each run's lines together, in runs.jsonl's order. */
class MetricCursor {
  private next?: IteratorResult<MetricLine>;
  constructor(private readonly lines: AsyncGenerator<MetricLine>) {}

  /** The lines of `runId` (the run must be the next one in the file). */
  async *of(runId: string): AsyncGenerator<MetricLine> {
    for (;;) {
      this.next ??= await this.lines.next();
      if (this.next.done || this.next.value.runId !== runId) return;
      const line = this.next.value;
      this.next = undefined;
      yield line;
    }
  }
}

export async function importExport(opts: ImportOptions): Promise<ImportResult> {
  const manifest = await readManifest(opts.dir);
  const { tracking } = opts;
  const result: ImportResult = {
    unchanged: true,
    manifest,
    experiments: { created: 0, reused: 0 },
    runs: { imported: 0, resumed: 0, skipped: 0 },
    metricPoints: 0,
    artifactFiles: 0,
    runIds: {},
    experimentIds: {},
  };
  opts.onBytesExpected?.(manifest.counts.artifactBytes);

  const sourceExperiments = new Map<string, ExportedExperiment>();
  const targets = new Map<string, TargetExperiment>(); // by target experiment id
  const existing = new Map<string, Run>(); // source run id → target run an earlier import wrote
  const present = new Map<string, Run>(); // any id a target run is known by (its own, its origins) → that run
  let identities: Map<string, string[]> | undefined; // only for an export without runIdentities (an older ciclo's)
  for await (const e of readJsonLines<ExportedExperiment>(join(opts.dir, FILES.experiments))) {
    sourceExperiments.set(e.experimentId, e);
    const own = e.runIdentities ?? (identities ??= await exportedRunIdentities(opts.dir)).get(e.experimentId) ?? [];
    /** Reads the experiment's runs into the maps; true when it holds one of the export's runs itself. */
    const holdsOwnRuns = async (x: Experiment): Promise<boolean> => {
      const ids = new Set<string>();
      for await (const r of tracking.iterateRuns({ experimentIds: [x.experimentId], viewType: "ALL", maxResults: 1000 })) {
        for (const id of identitiesOf(r.info.runId, r.data.tags)) {
          if (!present.has(id)) present.set(id, r);
          ids.add(id);
        }
        const source = r.data.tags.find((t) => t.key === SOURCE_RUN_TAG)?.value;
        if (source) existing.set(source, r);
      }
      return own.some((id) => ids.has(id));
    };
    let found = await tracking.findExperimentByName(e.name);
    let same = false;
    if (found) {
      // The same experiment: it holds one of the export's runs itself (an empty one: it has the same id).
      same = (await holdsOwnRuns(found)) || (own.length === 0 && found.experimentId === e.experimentId);
    } else if (own.length > 0) {
      // Renamed since the export? The experiment of the same id is the same one if it holds the export's runs.
      const byId = await tracking.getExperiment(e.experimentId).catch((err: unknown) => {
        if (err instanceof ResourceDoesNotExistError) return undefined;
        throw err;
      });
      if (byId && (await holdsOwnRuns(byId))) [found, same] = [byId, true];
    }
    const target = await targetExperiment(tracking, e, found, same, result);
    targets.set(target.id, target);
    result.experimentIds[e.experimentId] = target.id;
  }

  const metrics = new MetricCursor(readJsonLines<MetricLine>(join(opts.dir, FILES.metrics)));
  const parents: Array<{ target: string; sourceParent: string; now?: string }> = [];
  const toDelete: string[] = [];
  let done = 0;
  for await (const run of readJsonLines<ExportedRun>(join(opts.dir, FILES.runs))) {
    const label = `${sourceExperiments.get(run.info.experimentId)?.name ?? run.info.experimentId} / ${run.info.runName || run.info.runId}`;
    opts.onRun?.(done++, manifest.counts.runs, label);
    const found = existing.get(run.info.runId);
    const complete = found?.data.tags.some((t) => t.key === IMPORTED_AT_TAG);
    // Not resumable, but held: the target has a run on this one's line of origin (either way along it).
    const itself = found ? undefined : identitiesOf(run.info.runId, run.tags).map((id) => present.get(id)).find((r) => r !== undefined);
    let target: string;
    if (itself) {
      // The target holds this very run: it is there, and the target's copy is the one to keep.
      result.runs.skipped++;
      result.runIds[run.info.runId] = itself.info.runId;
      for await (const _ of metrics.of(run.info.runId));
      continue;
    } else if (found && complete) {
      target = found.info.runId;
      result.runs.skipped++;
      for await (const _ of metrics.of(run.info.runId)); // keep the cursor in step
    } else {
      await targets.get(result.experimentIds[run.info.experimentId] ?? "")?.ensureActive();
      target = await importRun(opts, run, found, metrics, result);
      result.unchanged = false;
      if (found) result.runs.resumed++;
      else result.runs.imported++;
    }
    result.runIds[run.info.runId] = target;
    const parent = run.tags.find((t) => t.key === PARENT_RUN_ID_TAG)?.value;
    const parentNow = found?.data.tags.find((t) => t.key === PARENT_RUN_ID_TAG)?.value;
    if (parent && (!found || found.info.lifecycleStage === "active")) parents.push({ target, sourceParent: parent, now: parentNow });
    if (run.info.lifecycleStage === "deleted" && found?.info.lifecycleStage !== "deleted") toDelete.push(target);
  }
  opts.onRun?.(done, manifest.counts.runs, "finishing");
  // Nested runs point at their parents' new ids (parents may come later in the file, so this waits until all exist).
  for (const p of parents) {
    const parentTarget = result.runIds[p.sourceParent];
    if (parentTarget && parentTarget !== p.now) {
      await tracking.setTag(p.target, PARENT_RUN_ID_TAG, parentTarget);
      result.unchanged = false;
    }
  }
  for (const id of toDelete) await tracking.deleteRun(id);
  if (toDelete.length > 0) result.unchanged = false;
  for (const [sourceId, e] of sourceExperiments) {
    if (e.lifecycleStage !== "deleted") continue;
    // Only an experiment this import writes into follows the source's stage; the same experiment, restored since, stays so.
    const t = targets.get(result.experimentIds[sourceId]);
    if (!t?.ownedByImport && !t?.restored) continue;
    const target = await tracking.getExperiment(t.id);
    if (target.lifecycleStage === "active") {
      await tracking.deleteExperiment(target.experimentId);
      result.unchanged = false;
    }
  }
  return result;
}

interface TargetExperiment {
  id: string;
  created: boolean;
  /** Created by an import of this source experiment (tagged SOURCE_EXPERIMENT_TAG). */
  ownedByImport: boolean;
  /** Restored by this import to write runs into it (deleted again at the end when the source's is deleted). */
  restored: boolean;
  /** Restores the experiment if it is deleted, before a run is written into it. */
  ensureActive(): Promise<void>;
}

/**
 * Each exported experiment's run identities, read from runs.jsonl: only for an export written before
 * experiments.jsonl carried them (the one case that reads runs.jsonl twice).
 */
async function exportedRunIdentities(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const run of readJsonLines<ExportedRun>(join(dir, FILES.runs))) {
    const list = out.get(run.info.experimentId) ?? [];
    list.push(...identitiesOf(run.info.runId, run.tags));
    out.set(run.info.experimentId, list);
  }
  return out;
}

/**
 * The target experiment for a source one: same name; created when missing. A deleted one is restored only
 * when a run must be written into it, and only if it is ours: an earlier import's, or `same` (it holds the
 * export's runs themselves: an export of this server) — whose tags are then left as they are, as newer than the export's.
 */
async function targetExperiment(tracking: TrackingClient, e: ExportedExperiment, found: Experiment | undefined, same: boolean, result: ImportResult): Promise<TargetExperiment> {
  if (!found) {
    result.experiments.created++;
    result.unchanged = false;
    const tags = [...e.tags.filter((t) => !IMPORT_TAGS.has(t.key)), { key: SOURCE_EXPERIMENT_TAG, value: e.experimentId }];
    const id = await tracking.createExperiment(e.name, { tags });
    return { id, created: true, ownedByImport: true, restored: false, ensureActive: async () => {} };
  }
  result.experiments.reused++;
  const ownedByImport = found.tags.some((t) => t.key === SOURCE_EXPERIMENT_TAG && t.value === e.experimentId);
  if (found.lifecycleStage === "deleted" && !ownedByImport && !same) {
    throw new Error(
      `Cannot import experiment '${e.name}': an experiment of that name exists in the deleted stage. Restore it (ciclo experiments restore) or purge it (ciclo gc) first.`,
    );
  }
  const t: TargetExperiment = {
    id: found.experimentId,
    created: false,
    ownedByImport,
    restored: false,
    ensureActive: async () => {
      if (found.lifecycleStage !== "deleted" || t.restored) return;
      await tracking.restoreExperiment(found.experimentId); // deleted again at the end if the source's is
      t.restored = true;
      result.unchanged = false;
    },
  };
  if (same && !ownedByImport) return t;
  for (const tag of e.tags) {
    if (IMPORT_TAGS.has(tag.key)) continue;
    if (found.tags.find((x) => x.key === tag.key)?.value !== tag.value) {
      await tracking.setExperimentTag(found.experimentId, tag.key, tag.value);
      result.unchanged = false;
    }
  }
  return t;
}

async function importRun(opts: ImportOptions, run: ExportedRun, found: Run | undefined, metrics: MetricCursor, result: ImportResult): Promise<string> {
  const { tracking } = opts;
  const experimentId = result.experimentIds[run.info.experimentId];
  if (!experimentId) throw new Error(`Run ${run.info.runId} belongs to experiment ${run.info.experimentId}, which is not in the export.`);
  let target: string;
  if (found) {
    target = found.info.runId;
    if (found.info.lifecycleStage === "deleted") await tracking.restoreRun(target);
  } else {
    const created = await tracking.createRun({
      experimentId,
      userId: run.info.userId,
      runName: run.info.runName,
      startTime: run.info.startTime ?? undefined,
      tags: [
        { key: SOURCE_RUN_TAG, value: run.info.runId },
        { key: ORIGIN_RUNS_TAG, value: originsValue(run.info.runId, run.tags) },
      ],
    });
    target = created.info.runId;
  }
  // A resumed run an older ciclo created has no origins tag yet: written with the others (the same value again otherwise).
  const tags: Tag[] = [...run.tags.filter((t) => !IMPORT_TAGS.has(t.key)), { key: ORIGIN_RUNS_TAG, value: originsValue(run.info.runId, run.tags) }];
  for (let i = 0; i < run.params.length; i += 100) await tracking.logBatch(target, { params: run.params.slice(i, i + 100) });
  for (let i = 0; i < tags.length; i += 100) await tracking.logBatch(target, { tags: tags.slice(i, i + 100) });
  for (let i = 0; i < run.datasetInputs.length; i += 500) await tracking.logInputs(target, run.datasetInputs.slice(i, i + 500));
  let batch: MetricInput[] = [];
  for await (const line of metrics.of(run.info.runId)) {
    for (const [step, timestamp, value, modelId, datasetName, datasetDigest] of line.points) {
      const m: MetricInput = { key: line.key, value: decodeValue(value), step, timestamp };
      if (modelId) m.modelId = modelId;
      if (datasetName) m.datasetName = datasetName;
      if (datasetDigest) m.datasetDigest = datasetDigest;
      batch.push(m);
      if (batch.length === 1000) {
        await tracking.logBatch(target, { metrics: batch });
        result.metricPoints += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length > 0) {
    await tracking.logBatch(target, { metrics: batch });
    result.metricPoints += batch.length;
  }
  if (run.artifacts.length > 0) {
    const local = join(opts.dir, FILES.artifacts, run.info.runId);
    for (const f of run.artifacts) {
      const path = join(local, ...f.path.split("/"));
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size !== f.size || (await sha256File(path)) !== f.sha256) {
        throw new Error(`Artifact '${f.path}' of run ${run.info.runId} in the export is missing or damaged (size or SHA-256 differs from runs.jsonl).`);
      }
    }
    await opts.artifacts.logArtifacts(target, local);
    result.artifactFiles += run.artifacts.length;
  }
  if (run.info.status !== "RUNNING") await tracking.updateRun(target, { status: run.info.status, endTime: run.info.endTime ?? undefined });
  await tracking.setTag(target, IMPORTED_AT_TAG, new Date().toISOString());
  return target;
}
