/**
 * `ciclo import-mlflow`: moves an MLflow tracking store into ciclo, keeping
 * MLflow's ids, in an order that satisfies ciclo's references —
 * experiments, logged models, runs (a page per transaction, with every
 * metric point), the registry, then the artifacts.
 *
 * Resumable and idempotent: every write records what it imported
 * (import-target.ts); a later import of the same source skips those and goes
 * on from the first entity missing. A page of runs or a registered model is
 * written whole or not at all; an artifact root counts as copied once all
 * its files are.
 * @module
 */
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { ArtifactLocationError, LocationRewriter, modelArtifactPath, runArtifactPath, sourceRepositoryUri, targetUri, type SourceArtifactOptions, type TargetLayout } from "./artifact-locations.js";
import { copyArtifactTree } from "./artifact-copier.js";
import { assignExperimentIds, findConflicts, ImportConflictError } from "./import-plan.js";
import { emptySummary, type ImportSummary } from "./import-summary.js";
import type { ImportMetricPoint, ImportModelVersion, ImportRun, ImportState, ImportTarget } from "./import-target.js";
import type { MlflowSource, SourceExperiment, SourceLoggedModel, SourceModelMetric, SourceRun } from "./mlflow-source.js";

export type PhaseName = "experiments" | "logged models" | "runs" | "registered models" | "artifacts";

export interface ImportProgress {
  /** A phase starts, with this many entities to go through. */
  phase(name: PhaseName, total: number): void;
  advance(n: number): void;
  /** Artifact bytes moved. */
  bytes(n: number): void;
}

export interface ImportMlflowOptions {
  source: MlflowSource;
  target: ImportTarget;
  layout: TargetLayout;
  sourceArtifacts: SourceArtifactOptions;
  openRepository: (uri: string) => Promise<ArtifactRepository>;
  /** Experiment ids or names; all when absent. */
  experiments?: string[];
  dryRun?: boolean;
  progress?: ImportProgress;
  /** Runs per transaction. */
  pageSize?: number;
}

const POINTS_PER_CHUNK = 10_000;
const noProgress: ImportProgress = { phase() {}, advance() {}, bytes() {} };
const pointKey = (runId: string, key: string, step: number, timestamp: number, value: number) => `${runId}\u0000${key}\u0000${step}\u0000${timestamp}\u0000${value}`;

export async function importMlflow(o: ImportMlflowOptions): Promise<ImportSummary> {
  const t0 = performance.now();
  const { source, target, layout } = o;
  const summary = emptySummary(source.description, source.kind, source.revision, o.dryRun === true, layout.inPlace);
  const progress = timed(o.progress ?? noProgress, summary);
  const key = `${source.kind}:${source.description}`;

  const experiments = selectExperiments(await source.experiments(), o.experiments);
  const expIds = experiments.map((e) => e.experimentId);
  const state = await target.loadState(key, o.dryRun);
  const contents = await target.contents({ experimentIds: [], experimentNames: [], runIds: [], modelNames: [], loggedModelIds: [] });
  const idOf = assignExperimentIds(experiments, state, contents.maxExperimentId);
  for (const e of experiments) if (String(idOf.get(e.experimentId)) !== e.experimentId) summary.renumberedExperiments[e.experimentId] = idOf.get(e.experimentId)!;

  const runIds = await source.runIds(expIds);
  const loggedModels = await source.loggedModels(expIds);
  const models = await source.registeredModels();
  const conflicts = await findConflicts(target, {
    experiments: experiments.filter((e) => !state.experiment.has(e.experimentId)).map((e) => ({ source: e, targetId: idOf.get(e.experimentId)! })),
    runIds: runIds.filter((id) => !state.run.has(id)),
    modelNames: models.filter((m) => !state.registered_model.has(m.name)).map((m) => m.name),
    loggedModelIds: loggedModels.filter((m) => !state.logged_model.has(m.modelId)).map((m) => m.modelId),
  });
  if (conflicts.length > 0) throw new ImportConflictError(conflicts);

  const rewriter = new LocationRewriter();
  const expLocation = (e: SourceExperiment) =>
    layout.inPlace ? (e.artifactLocation ?? "") : targetUri(layout, String(idOf.get(e.experimentId)));
  for (const e of experiments) rewriter.add(e.artifactLocation, expLocation(e));

  // Experiments.
  progress.phase("experiments", experiments.length);
  const newExperiments = experiments.filter((e) => !state.experiment.has(e.experimentId));
  summary.experiments = { imported: newExperiments.length, alreadyThere: experiments.length - newExperiments.length };
  if (!o.dryRun) {
    await target.writeExperiments(
      key,
      newExperiments.map((e) => {
        const created = e.creationTime ?? e.lastUpdateTime ?? 0;
        const updated = e.lastUpdateTime ?? created;
        return {
          sourceId: e.experimentId,
          experimentId: idOf.get(e.experimentId)!,
          name: e.name,
          artifactLocation: expLocation(e),
          lifecycleStage: e.lifecycleStage,
          creationTime: created,
          lastUpdateTime: updated,
          // MLflow keeps no deletion time for experiments; the last update is when it was deleted.
          deletedTime: e.lifecycleStage === "deleted" ? updated : null,
          tags: e.tags,
        };
      }),
    );
  }
  progress.advance(experiments.length);

  // Logged models (before runs: runs name them as inputs and outputs).
  progress.phase("logged models", loggedModels.length);
  const modelRoots: Array<{ id: string; from: string; rel: string }> = [];
  const modelMetrics = new Map<string, SourceModelMetric>();
  for (const m of loggedModels) {
    const rel = modelArtifactPath(idOf.get(m.experimentId)!, m.modelId);
    const uri = layout.inPlace ? m.artifactLocation : targetUri(layout, rel);
    rewriter.add(m.artifactLocation, uri);
    modelRoots.push({ id: m.modelId, from: m.artifactLocation, rel });
    for (const p of m.metrics) modelMetrics.set(pointKey(p.runId, p.key, p.step, p.timestamp, p.value), p);
  }
  const newModels = loggedModels.filter((m) => !state.logged_model.has(m.modelId));
  summary.loggedModels = { imported: newModels.length, alreadyThere: loggedModels.length - newModels.length };
  if (!o.dryRun) await target.writeLoggedModels(key, newModels.map((m) => loggedModelRow(m, idOf, layout, rewriter)));
  progress.advance(loggedModels.length);

  // Runs, a page per transaction.
  progress.phase("runs", runIds.length);
  const runRoots: Array<{ id: string; from: string | null; rel: string }> = [];
  const deletedExperiments = new Set(experiments.filter((e) => e.lifecycleStage === "deleted").map((e) => e.experimentId));
  for await (const page of source.runPages(expIds, o.pageSize ?? 200)) {
    const fresh: ImportRun[] = [];
    for (const r of page) {
      const expId = idOf.get(r.experimentId)!;
      const rel = runArtifactPath(expId, r.runId);
      const uri = layout.inPlace ? (r.artifactUri ?? "") : targetUri(layout, rel);
      rewriter.add(r.artifactUri, uri);
      runRoots.push({ id: r.runId, from: r.artifactUri, rel });
      if (state.run.has(r.runId)) summary.runs.alreadyThere++;
      else fresh.push(runRow(r, expId, uri, deletedExperiments.has(r.experimentId)));
    }
    if (fresh.length > 0) {
      summary.runs.imported += fresh.length;
      if (o.dryRun) {
        for await (const chunk of source.metricPoints(fresh.map((r) => r.runId), POINTS_PER_CHUNK)) summary.metricPoints += chunk.length;
      } else {
        summary.metricPoints += await target.writeRuns(key, fresh, linkedPoints(source, fresh, modelMetrics));
      }
    }
    progress.advance(page.length);
  }

  // The registry.
  progress.phase("registered models", models.length);
  for (const m of models) {
    summary.modelVersions.deletedLeftOut += m.deletedVersions;
    if (state.registered_model.has(m.name)) {
      summary.registeredModels.alreadyThere++;
      progress.advance(1);
      continue;
    }
    summary.registeredModels.imported++;
    summary.modelVersions.imported += m.versions.length;
    const versions: ImportModelVersion[] = m.versions.map((v) => {
      const modelId = /^models:\/(m-[0-9a-f]{32})$/.exec(v.source)?.[1] ?? null;
      return { ...v, source: rewriter.rewrite(v.source)!, storageLocation: rewriter.rewrite(v.storageLocation), modelId };
    });
    if (!o.dryRun) {
      await target.writeRegisteredModel(key, {
        name: m.name,
        creationTime: m.creationTime,
        lastUpdatedTime: m.lastUpdatedTime,
        description: m.description,
        tags: m.tags,
        aliases: m.aliases,
        versions,
        nextVersion: m.maxVersion + 1,
      });
    }
    progress.advance(1);
  }

  // Artifacts.
  if (!layout.inPlace) await copyArtifacts(o, progress, key, state, summary, [...runRoots.map((r) => ({ ...r, kind: "run_artifacts" as const })), ...modelRoots.map((r) => ({ ...r, kind: "logged_model_artifacts" as const }))]);
  if (!o.dryRun) await target.finish(key);
  progress.phase("done" as PhaseName, 0);
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/** Passes progress on, and notes how long each phase took in the summary. */
function timed(inner: ImportProgress, summary: ImportSummary): ImportProgress {
  let current: { name: string; t: number } | undefined;
  return {
    phase(name, total) {
      const now = performance.now();
      if (current) summary.phaseSeconds[current.name] = (summary.phaseSeconds[current.name] ?? 0) + (now - current.t) / 1000;
      current = { name, t: now };
      if ((name as string) !== "done") inner.phase(name, total);
    },
    advance: (n) => inner.advance(n),
    bytes: (n) => inner.bytes(n),
  };
}

function selectExperiments(all: SourceExperiment[], wanted?: string[]): SourceExperiment[] {
  if (!wanted || wanted.length === 0) return all;
  return wanted.map((w) => {
    const e = all.find((x) => x.experimentId === w) ?? all.find((x) => x.name === w);
    if (!e) throw new Error(`No experiment '${w}' in the source (give an id or a name).`);
    return e;
  });
}

function runRow(r: SourceRun, experimentId: number, artifactUri: string, inDeletedExperiment: boolean): ImportRun {
  return {
    runId: r.runId,
    experimentId,
    name: r.name ?? r.tags.find((t) => t.key === "mlflow.runName")?.value ?? "",
    userId: r.userId ?? "",
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    artifactUri,
    lifecycleStage: r.lifecycleStage,
    deletedTime: r.lifecycleStage === "deleted" ? r.deletedTime : null,
    // MLflow restores every run of a restored experiment; ciclo restores those deleted with it.
    deletedWithExperiment: inDeletedExperiment && r.lifecycleStage === "deleted",
    params: r.params,
    tags: r.tags,
    datasetInputs: r.datasetInputs,
    modelInputs: r.modelInputs,
    modelOutputs: r.modelOutputs,
  };
}

function loggedModelRow(m: SourceLoggedModel, idOf: Map<string, number>, layout: TargetLayout, rewriter: LocationRewriter) {
  return {
    modelId: m.modelId,
    experimentId: idOf.get(m.experimentId)!,
    name: m.name,
    artifactUri: layout.inPlace ? m.artifactLocation : rewriter.rewrite(m.artifactLocation)!,
    creationTimestampMs: m.creationTimestampMs,
    lastUpdatedTimestampMs: m.lastUpdatedTimestampMs,
    status: m.status,
    statusMessage: m.statusMessage,
    modelType: m.modelType,
    sourceRunId: m.sourceRunId,
    lifecycleStage: m.lifecycleStage,
    params: m.params,
    tags: m.tags,
  };
}

/**
 * The runs' points with their logged-model links. MLflow 3.x keeps a point
 * logged with a model id twice — in the run's history and in the model's
 * table; ciclo keeps it once, with the link. A model's point whose run point
 * is missing is added to the run's history.
 */
async function* linkedPoints(source: MlflowSource, runs: ImportRun[], modelMetrics: Map<string, SourceModelMetric>): AsyncIterable<ImportMetricPoint[]> {
  const ids = new Set(runs.map((r) => r.runId));
  const used = new Set<string>();
  for await (const chunk of source.metricPoints([...ids], POINTS_PER_CHUNK)) {
    yield chunk.map((p) => {
      const k = pointKey(p.runId, p.key, p.step, p.timestamp, p.value);
      const m = modelMetrics.get(k);
      if (!m) return p;
      used.add(k);
      return { ...p, modelId: m.modelId, datasetName: p.datasetName ?? m.datasetName ?? null, datasetDigest: p.datasetDigest ?? m.datasetDigest ?? null };
    });
  }
  const missing: ImportMetricPoint[] = [];
  for (const [k, m] of modelMetrics) if (ids.has(m.runId) && !used.has(k)) missing.push(m);
  if (missing.length > 0) yield missing;
}

/** Artifact roots copied at once (each copies up to 4 files at once): small files are bound by latency and fsync, not bandwidth. */
const PARALLEL_ROOTS = 8;
/** Copied roots recorded per write: an interruption copies at most these again (files of the right size are skipped). */
const MARKS_PER_WRITE = 200;

async function copyArtifacts(
  o: ImportMlflowOptions,
  progress: ImportProgress,
  key: string,
  state: ImportState,
  summary: ImportSummary,
  roots: Array<{ id: string; from: string | null; rel: string; kind: "run_artifacts" | "logged_model_artifacts" }>,
): Promise<void> {
  progress.phase("artifacts", roots.length);
  summary.artifacts.roots = roots.length;
  const destination = o.dryRun ? undefined : await o.openRepository(o.layout.destination!);
  const todo = roots.filter((root) => {
    const done = (root.kind === "run_artifacts" ? state.run_artifacts : state.logged_model_artifacts).has(root.id);
    if (done) summary.artifacts.alreadyThere++;
    return !done && root.from;
  });
  progress.advance(roots.length - todo.length);
  let marks: Array<{ kind: "run_artifacts" | "logged_model_artifacts"; id: string }> = [];
  const flush = async () => {
    const batch = marks;
    marks = [];
    if (batch.length > 0) await o.target.markArtifactsCopied(key, batch);
  };
  const copyRoot = async (root: (typeof todo)[number]) => {
    let uri: string;
    try {
      uri = await sourceRepositoryUri(root.from!, o.sourceArtifacts);
    } catch (err) {
      if (!(err instanceof ArtifactLocationError)) throw err;
      throw new ArtifactLocationError(`${root.kind === "run_artifacts" ? "Run" : "Logged model"} ${root.id}: ${err.message}`);
    }
    if (destination) {
      const copied = await copyArtifactTree(await o.openRepository(uri), destination, root.rel, (n) => progress.bytes(n));
      summary.artifacts.files += copied.files;
      summary.artifacts.bytes += copied.bytes;
      summary.artifacts.filesAlreadyThere += copied.skipped;
      marks.push({ kind: root.kind, id: root.id });
      if (marks.length >= MARKS_PER_WRITE) await flush();
    }
    progress.advance(1);
  };
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < todo.length) {
      const root = todo[next++];
      await copyRoot(root).catch((err: unknown) => {
        failure ??= err;
      });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_ROOTS }, worker));
  // What was copied before a failure counts: the next import does not copy it again.
  await flush();
  if (failure !== undefined) throw failure;
}
