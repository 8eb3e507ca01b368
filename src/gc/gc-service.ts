/**
 * Garbage collection (`ciclo gc`, `POST /api/ciclo/v1/gc`): hard-deletes
 * experiments, runs and logged models in the deleted stage, then their
 * artifact folders. What MLflow's gc got wrong, and what ciclo does instead:
 *
 * - FK violations on PostgreSQL (mlflow#13254): the store deletes every child
 *   table explicitly, children first, in one transaction per chunk.
 * - Logged models and their artifacts left behind (#17240): deleted logged
 *   models are purged, and a purged experiment takes all of its logged models.
 * - Runs with dataset inputs blocking an experiment's purge (#10699): inputs,
 *   input tags and the experiment's datasets go with it.
 * - `--run-ids` also purging every deleted experiment (MLflow's gc does): here
 *   ids name exactly what goes.
 *
 * Model versions are never deleted by gc. Since a version reads its files
 * from its source (the run's or logged model's folder; ciclo does not copy),
 * a run or logged model that a version still points to is kept: reported as
 * skipped, or refused when named explicitly. Delete the version first.
 *
 * Metadata is purged before artifacts: a failure in between leaves orphaned
 * files (reported in `artifactErrors`), never a live run without its files.
 * @module
 */
import type { ArtifactPurger } from "../artifacts/index.js";
import type { ModelVersion, RegistryStore } from "../registry/index.js";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import type { LoggedModelStore } from "../logged-models/index.js";
import type { GcEntities, GcLoggedModel, GcRun, PurgedExperiment, TrackingStore } from "../tracking/index.js";
import type { GcReport, GcRequestOptions, GcSkipped } from "./gc-types.js";

export interface GcServiceDeps {
  tracking: TrackingStore;
  /** Model versions protect the runs and logged models they read from. */
  registry?: RegistryStore;
  /** Tells an unknown logged model from one that is not deleted. */
  loggedModels?: LoggedModelStore;
  artifacts: ArtifactPurger;
  now?: () => number;
}

/** Rows per hard-delete transaction: short enough not to stall SQLite's other writers. */
const CHUNK = 200;
/** Artifact folders deleted at once. */
const ARTIFACT_CONCURRENCY = 8;

type Protector = (runOrModelId: string, artifactUri: string) => string | undefined;

export class GcService {
  private readonly now: () => number;
  constructor(private readonly deps: GcServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async collect(opts: GcRequestOptions): Promise<GcReport> {
    const deletedBefore = opts.olderThanMs === undefined ? undefined : this.now() - opts.olderThanMs;
    const all = await this.deps.tracking.findGcCandidates({ deletedBefore });
    const explicit = [opts.experimentIds, opts.runIds, opts.loggedModelIds].some((ids) => ids && ids.length > 0);
    const selected = explicit ? await this.pick(all, opts, deletedBefore) : all;
    const skipped: GcSkipped[] = [];
    const protector = await this.protector();
    const keep = <T>(kind: GcSkipped["kind"], items: T[], why: (t: T) => string | undefined, id: (t: T) => string): T[] =>
      items.filter((t) => {
        const reason = why(t);
        if (reason === undefined) return true;
        if (explicit) throw new InvalidParameterValueError(`Cannot purge ${kind.replace("_", " ")} ${id(t)}: ${reason}.`);
        skipped.push({ kind, id: id(t), reason });
        return false;
      });
    const runWhy = (r: GcRun) => protector(r.runId, r.artifactUri);
    const modelWhy = (m: GcLoggedModel) => protector(m.modelId, m.artifactUri);
    const report: GcReport = {
      dryRun: opts.dryRun === true,
      experiments: keep(
        "experiment",
        selected.experiments,
        (e) => {
          const r = e.runs.find((x) => runWhy(x) !== undefined);
          if (r) return `its run ${r.runId} ${runWhy(r)!}`;
          const m = e.loggedModels.find((x) => modelWhy(x) !== undefined);
          return m && `its logged model ${m.modelId} ${modelWhy(m)!}`;
        },
        (e) => e.experimentId,
      ),
      runs: keep("run", selected.runs, runWhy, (r) => r.runId),
      loggedModels: keep("logged_model", selected.loggedModels, modelWhy, (m) => m.modelId),
      skipped,
      artifactErrors: [],
    };
    if (report.dryRun) return report;
    return this.purge(report);
  }

  /** The explicitly named entities, each checked: exists, deleted, old enough. */
  private async pick(all: GcEntities, opts: GcRequestOptions, deletedBefore: number | undefined): Promise<GcEntities> {
    const age = deletedBefore === undefined ? "" : ` (only those deleted before ${new Date(deletedBefore).toISOString()} can be purged)`;
    const experiments = new Map(all.experiments.map((e) => [e.experimentId, e]));
    const runs = new Map([...all.runs, ...all.experiments.flatMap((e) => e.runs)].map((r) => [r.runId, r]));
    const models = new Map([...all.loggedModels, ...all.experiments.flatMap((e) => e.loggedModels)].map((m) => [m.modelId, m]));
    const out: GcEntities = { experiments: [], runs: [], loggedModels: [] };
    for (const id of new Set(opts.experimentIds ?? [])) {
      const e = experiments.get(id);
      if (e) out.experiments.push(e);
      else throw notPurgeable("Experiment", id, (await this.deps.tracking.getExperiment(id)).lifecycleStage, age);
    }
    for (const id of new Set(opts.runIds ?? [])) {
      const r = runs.get(id);
      if (r) out.runs.push(r);
      else throw notPurgeable("Run", id, (await this.deps.tracking.getRun(id)).info.lifecycleStage, age);
    }
    for (const id of new Set(opts.loggedModelIds ?? [])) {
      const m = models.get(id);
      if (m) out.loggedModels.push(m);
      else {
        const stage = this.deps.loggedModels
          ? (await this.deps.loggedModels.getLoggedModel(id, { allowDeleted: true })).info.lifecycleStage
          : "unknown";
        throw notPurgeable("Logged model", id, stage, age);
      }
    }
    // A run or model named on its own but whose experiment is named too goes with the experiment.
    const named = new Set(out.experiments.map((e) => e.experimentId));
    out.runs = out.runs.filter((r) => !named.has(r.experimentId));
    out.loggedModels = out.loggedModels.filter((m) => !named.has(m.experimentId));
    return out;
  }

  /** Why a run or logged model must stay: the first model version that reads its files. */
  private async protector(): Promise<Protector> {
    const versions: ModelVersion[] = [];
    if (this.deps.registry) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.registry.searchModelVersions({ excludePrompts: false, orderBy: [], maxResults: 1000, pageToken });
        versions.push(...page.items);
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    // Indexed once: gc may weigh 100,000 runs against thousands of versions.
    const byEntity = new Map<string, ModelVersion>();
    const bySourcePrefix = new Map<string, ModelVersion>();
    for (const mv of versions) {
      if (mv.runId) byEntity.set(mv.runId, mv);
      if (mv.modelId) byEntity.set(mv.modelId, mv);
      const source = mv.source.replace(/\/+$/, "");
      for (let at = source.indexOf("/"); at >= 0; at = source.indexOf("/", at + 1)) bySourcePrefix.set(source.slice(0, at), mv);
      bySourcePrefix.set(source, mv);
    }
    return (id, artifactUri) => {
      const uri = artifactUri.replace(/\/+$/, "");
      const folder = uri.endsWith(`/${id}/artifacts`) ? uri.slice(0, -"/artifacts".length) : uri;
      const v = byEntity.get(id) ?? bySourcePrefix.get(folder) ?? bySourcePrefix.get(uri);
      return v && `is the source of model version '${v.name}' version ${v.version}`;
    };
  }

  private async purge(report: GcReport): Promise<GcReport> {
    const { tracking, artifacts } = this.deps;
    const errors = report.artifactErrors;
    const drop = async (items: Array<{ uri: string; id: string }>) => {
      for (let i = 0; i < items.length; i += ARTIFACT_CONCURRENCY) {
        await Promise.all(
          items.slice(i, i + ARTIFACT_CONCURRENCY).map(({ uri, id }) =>
            artifacts.deleteEntityFolder(uri, id).catch((err: unknown) => errors.push({ uri, message: (err as Error).message })),
          ),
        );
      }
    };
    const experiments: PurgedExperiment[] = [];
    for (const e of report.experiments) {
      const done = await this.attempt(report, "experiment", [e.experimentId], (ids) => tracking.hardDeleteExperiments(ids));
      for (const p of done) {
        experiments.push(p);
        await drop([
          ...p.runs.map((r) => ({ uri: r.artifactUri, id: r.runId })),
          ...p.loggedModels.map((m) => ({ uri: m.artifactUri, id: m.modelId })),
          // MLflow 3 traces' spans (traces.json); a trace without a location has nothing to drop.
          ...(p.traces ?? []).filter((t) => t.artifactUri !== "").map((t) => ({ uri: t.artifactUri, id: t.traceId })),
        ]);
        await artifacts
          .deleteEmptyExperimentFolder(p.artifactLocation, p.experimentId)
          .catch((err: unknown) => errors.push({ uri: p.artifactLocation, message: (err as Error).message }));
      }
    }
    const runs: GcRun[] = [];
    for (let i = 0; i < report.runs.length; i += CHUNK) {
      const done = await this.attempt(report, "run", report.runs.slice(i, i + CHUNK).map((r) => r.runId), (ids) => tracking.hardDeleteRuns(ids));
      runs.push(...done);
      await drop(done.map((r) => ({ uri: r.artifactUri, id: r.runId })));
    }
    const models: GcLoggedModel[] = [];
    for (let i = 0; i < report.loggedModels.length; i += CHUNK) {
      const chunk = report.loggedModels.slice(i, i + CHUNK).map((m) => m.modelId);
      const done = await this.attempt(report, "logged_model", chunk, (ids) => tracking.hardDeleteLoggedModels(ids));
      models.push(...done);
      await drop(done.map((m) => ({ uri: m.artifactUri, id: m.modelId })));
    }
    return { ...report, experiments, runs, loggedModels: models };
  }

  /**
   * Hard-deletes a chunk; if something in it changed since it was listed (a run
   * restored meanwhile), deletes the chunk one by one and reports what it left.
   */
  private async attempt<T>(report: GcReport, kind: GcSkipped["kind"], ids: string[], del: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    try {
      return await del(ids);
    } catch (err) {
      if (!(err instanceof MlflowError) || ids.length === 0) throw err;
      if (ids.length === 1) {
        report.skipped.push({ kind, id: ids[0], reason: `changed while gc ran: ${err.message}` });
        return [];
      }
      const out: T[] = [];
      for (const id of ids) out.push(...(await this.attempt(report, kind, [id], del)));
      return out;
    }
  }
}

function notPurgeable(kind: string, id: string, stage: string, age: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    stage === "deleted"
      ? `${kind} ${id} was deleted too recently to be purged${age}.`
      : `${kind} ${id} is not in the 'deleted' lifecycle stage (it is '${stage}'); only deleted entities can be purged.`,
  );
}
