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
import type { Run } from "../../shared/tracking-types.js";
import type { Tag } from "../../shared/types.js";
import { NotFoundError } from "../output/cli-errors.js";
import { sha256File, type TransferProgress } from "./exporter.js";
import {
  decodeValue,
  FILES,
  FORMAT,
  FORMAT_VERSION,
  IMPORTED_AT_TAG,
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

const IMPORT_TAGS = new Set([SOURCE_RUN_TAG, IMPORTED_AT_TAG, SOURCE_EXPERIMENT_TAG]);

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
  const existing = new Map<string, Run>(); // source run id → target run, over the target experiments
  for await (const e of readJsonLines<ExportedExperiment>(join(opts.dir, FILES.experiments))) {
    sourceExperiments.set(e.experimentId, e);
    const target = await targetExperiment(tracking, e, result);
    result.experimentIds[e.experimentId] = target;
    for await (const r of tracking.iterateRuns({ experimentIds: [target], viewType: "ALL", maxResults: 1000 })) {
      const source = r.data.tags.find((t) => t.key === SOURCE_RUN_TAG)?.value;
      if (source) existing.set(source, r);
    }
  }

  const metrics = new MetricCursor(readJsonLines<MetricLine>(join(opts.dir, FILES.metrics)));
  const parents: Array<{ target: string; sourceParent: string }> = [];
  const toDelete: string[] = [];
  let done = 0;
  for await (const run of readJsonLines<ExportedRun>(join(opts.dir, FILES.runs))) {
    const label = `${sourceExperiments.get(run.info.experimentId)?.name ?? run.info.experimentId} / ${run.info.runName || run.info.runId}`;
    opts.onRun?.(done++, manifest.counts.runs, label);
    const found = existing.get(run.info.runId);
    const complete = found?.data.tags.some((t) => t.key === IMPORTED_AT_TAG);
    let target: string;
    if (found && complete) {
      target = found.info.runId;
      result.runs.skipped++;
      for await (const _ of metrics.of(run.info.runId)); // keep the cursor in step
    } else {
      target = await importRun(opts, run, found, metrics, result);
      if (found) result.runs.resumed++;
      else result.runs.imported++;
    }
    result.runIds[run.info.runId] = target;
    const parent = run.tags.find((t) => t.key === PARENT_RUN_ID_TAG)?.value;
    if (parent && (!found || found.info.lifecycleStage === "active")) parents.push({ target, sourceParent: parent });
    if (run.info.lifecycleStage === "deleted" && found?.info.lifecycleStage !== "deleted") toDelete.push(target);
  }
  opts.onRun?.(done, manifest.counts.runs, "finishing");
  // Nested runs point at their parents' new ids (parents may come later in the file, so this waits until all exist).
  for (const p of parents) {
    const parentTarget = result.runIds[p.sourceParent];
    if (parentTarget) await tracking.setTag(p.target, PARENT_RUN_ID_TAG, parentTarget);
  }
  for (const id of toDelete) await tracking.deleteRun(id);
  for (const [sourceId, e] of sourceExperiments) {
    if (e.lifecycleStage !== "deleted") continue;
    const target = await tracking.getExperiment(result.experimentIds[sourceId]);
    if (target.lifecycleStage === "active") await tracking.deleteExperiment(target.experimentId);
  }
  return result;
}

/** The target experiment for a source one: same name; created when missing; ours restored when deleted. */
async function targetExperiment(tracking: TrackingClient, e: ExportedExperiment, result: ImportResult): Promise<string> {
  const found = await tracking.findExperimentByName(e.name);
  if (!found) {
    result.experiments.created++;
    const tags = [...e.tags.filter((t) => !IMPORT_TAGS.has(t.key)), { key: SOURCE_EXPERIMENT_TAG, value: e.experimentId }];
    return tracking.createExperiment(e.name, { tags });
  }
  result.experiments.reused++;
  if (found.lifecycleStage === "deleted") {
    const ours = found.tags.some((t) => t.key === SOURCE_EXPERIMENT_TAG && t.value === e.experimentId);
    if (!ours) {
      throw new Error(
        `Cannot import experiment '${e.name}': an experiment of that name exists in the deleted stage. Restore it (ciclo experiments restore) or purge it (ciclo gc) first.`,
      );
    }
    await tracking.restoreExperiment(found.experimentId); // deleted again at the end if the source was
  }
  for (const t of e.tags) {
    if (IMPORT_TAGS.has(t.key)) continue;
    if (found.tags.find((x) => x.key === t.key)?.value !== t.value) await tracking.setExperimentTag(found.experimentId, t.key, t.value);
  }
  return found.experimentId;
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
      tags: [{ key: SOURCE_RUN_TAG, value: run.info.runId }],
    });
    target = created.info.runId;
  }
  const tags: Tag[] = run.tags.filter((t) => !IMPORT_TAGS.has(t.key));
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
