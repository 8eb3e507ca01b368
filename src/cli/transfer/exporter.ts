/**
 * `ciclo export`: writes experiments with their runs — info, params, tags,
 * full metric histories, dataset inputs — and the runs' artifacts to a
 * folder (format in export-format.ts), reading everything through the SDK,
 * as any client could. The manifest is written last: a folder without one is
 * an interrupted export.
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactClient } from "../../sdk/artifact-client.js";
import type { TrackingClient } from "../../sdk/tracking-client.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import type { Experiment, Run } from "../../shared/tracking-types.js";
import { walkArtifacts } from "./artifact-walk.js";
import {
  encodeValue,
  FILES,
  FORMAT,
  FORMAT_VERSION,
  JsonLinesWriter,
  originsOf,
  POINTS_PER_LINE,
  type ExportCounts,
  type ExportedArtifact,
  type ExportedExperiment,
  type ExportedRun,
  type Manifest,
  type PointTuple,
} from "./export-format.js";

export interface TransferProgress {
  /** A run started: `done` runs of `total` finished so far. */
  onRun?(done: number, total: number, label: string): void;
  /** Artifact bytes expected in all (export: found per run; import: known up front). */
  onBytesExpected?(n: number): void;
  log?(line: string): void;
}

export interface ExportOptions extends TransferProgress {
  tracking: TrackingClient;
  /** Its `onBytes` feeds the progress bar. */
  artifacts: ArtifactClient;
  dir: string;
  /** Experiments to export (any stage); default: every active experiment. */
  experimentIds?: string[];
  /** Also export deleted runs (and, without experimentIds, deleted experiments). */
  includeDeleted?: boolean;
  /** The source server, for the manifest (no credentials). */
  source: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function exportExperiments(opts: ExportOptions): Promise<Manifest> {
  const { tracking, dir } = opts;
  await mkdir(join(dir, FILES.artifacts), { recursive: true });
  const experiments: Experiment[] = [];
  if (opts.experimentIds) for (const id of opts.experimentIds) experiments.push(await tracking.getExperiment(id));
  else for await (const e of tracking.iterateExperiments({ viewType: opts.includeDeleted ? "ALL" : "ACTIVE_ONLY" })) experiments.push(e);

  // Runs first, so the progress bar has its total; oldest first, so parents come before their nested runs.
  const runsOf = new Map<string, Run[]>();
  for (const e of experiments) {
    const viewType = opts.includeDeleted || e.lifecycleStage === "deleted" ? "ALL" : "ACTIVE_ONLY";
    runsOf.set(e.experimentId, await tracking.searchAllRuns({ experimentIds: [e.experimentId], viewType, orderBy: ["start_time ASC", "run_id ASC"] }));
  }
  const total = [...runsOf.values()].reduce((a, r) => a + r.length, 0);
  const counts: ExportCounts = { experiments: 0, runs: 0, params: 0, tags: 0, metrics: 0, metricPoints: 0, datasetInputs: 0, artifactFiles: 0, artifactBytes: 0 };

  const expOut = new JsonLinesWriter(join(dir, FILES.experiments));
  const runOut = new JsonLinesWriter(join(dir, FILES.runs));
  const metricOut = new JsonLinesWriter(join(dir, FILES.metrics));
  try {
    for (const e of experiments) {
      const line: ExportedExperiment = {
        experimentId: e.experimentId,
        name: e.name,
        artifactLocation: e.artifactLocation,
        lifecycleStage: e.lifecycleStage,
        creationTime: e.creationTime,
        lastUpdateTime: e.lastUpdateTime,
        tags: e.tags,
        runIdentities: [...new Set(runsOf.get(e.experimentId)!.flatMap((r) => [r.info.runId, ...originsOf(r.data.tags)]))],
      };
      await expOut.write(line);
      counts.experiments++;
      for (const run of runsOf.get(e.experimentId)!) {
        opts.onRun?.(counts.runs, total, `${e.name} / ${run.info.runName || run.info.runId}`);
        const exported = await exportRun(opts, run, metricOut);
        await runOut.write(exported);
        counts.runs++;
        counts.params += exported.params.length;
        counts.tags += exported.tags.length;
        counts.metrics += exported.metricKeys.length;
        counts.metricPoints += exported.metricPoints;
        counts.datasetInputs += exported.datasetInputs.length;
        counts.artifactFiles += exported.artifacts.length;
        counts.artifactBytes += exported.artifacts.reduce((a, f) => a + f.size, 0);
      }
    }
  } finally {
    await Promise.all([expOut.close(), runOut.close(), metricOut.close()]);
  }
  opts.onRun?.(counts.runs, total, "done");
  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    cicloVersion: CICLO_VERSION,
    exportedAt: new Date().toISOString(),
    source: opts.source,
    includeDeleted: opts.includeDeleted === true,
    counts,
  };
  await writeFile(join(dir, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`, { flag: "wx" });
  return manifest;
}

async function exportRun(opts: ExportOptions, run: Run, metricOut: JsonLinesWriter): Promise<ExportedRun> {
  const runId = run.info.runId;
  const metricKeys = run.data.metrics.map((m) => m.key).sort();
  let metricPoints = 0;
  for (const key of metricKeys) {
    const history = await opts.tracking.getAllMetricHistory(runId, key);
    metricPoints += history.length;
    for (let i = 0; i < history.length; i += POINTS_PER_LINE) {
      const points = history.slice(i, i + POINTS_PER_LINE).map((m): PointTuple => {
        const links = [m.modelId ?? null, m.datasetName ?? null, m.datasetDigest ?? null];
        while (links.length > 0 && links[links.length - 1] === null) links.pop();
        return [m.step, m.timestamp, encodeValue(m.value), ...links];
      });
      await metricOut.write({ runId, key, points });
    }
  }
  const files = await walkArtifacts((d) => opts.artifacts.listArtifacts(runId, d), "");
  const artifacts: ExportedArtifact[] = [];
  if (files.length > 0) {
    opts.onBytesExpected?.(files.reduce((a, f) => a + (f.fileSize ?? 0), 0));
    const local = join(opts.dir, FILES.artifacts, runId);
    await opts.artifacts.downloadArtifacts({ runId, path: "" }, local);
    for (const f of files) {
      const path = join(local, ...f.path.split("/"));
      const { size } = await stat(path);
      artifacts.push({ path: f.path, size, sha256: await sha256File(path) });
    }
  }
  return {
    info: run.info,
    params: run.data.params,
    tags: run.data.tags,
    datasetInputs: run.inputs.datasetInputs,
    metricKeys,
    metricPoints,
    artifacts,
  };
}
