/**
 * ciclo's lineage view of a model version (beyond MLflow): the version, the
 * run that produced it with its experiment, params, metrics, code version
 * (`mlflow.source.*` tags) and dataset inputs, and the files of the version.
 * What the UI shows on a version page, in one call.
 * @module
 */
import type { ArtifactLocator, FileInfo } from "../artifacts/index.js";
import { MlflowError } from "../shared/errors.js";
import type { RegistryStore } from "./registry-store.js";
import type { TrackingStore, Experiment, Metric, Param, Run } from "../tracking/index.js";
import { canonicalVersion, validateModelName } from "./registry-validation.js";
import type { ModelVersion } from "../shared/registry-types.js";


interface CodeVersion {
  gitCommit?: string;
  gitRepoUrl?: string;
  gitBranch?: string;
  sourceName?: string;
  sourceType?: string;
  entryPoint?: string;
}

interface LineageDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  context?: string;
}

export interface ModelVersionLineage {
  modelVersion: ModelVersion;
  downloadUri: string;
  run?: Run["info"];
  experiment?: Pick<Experiment, "experimentId" | "name" | "artifactLocation">;
  params: Param[];
  metrics: Metric[];
  code: CodeVersion;
  datasets: LineageDataset[];
  artifacts: FileInfo[];
  /** True when the listing stopped at the limit. */
  artifactsTruncated: boolean;
  /** Why a part could not be read (the run was deleted for good, the artifact store is unreachable...). */
  warnings: string[];
}

const CODE_TAGS: Record<string, keyof CodeVersion> = {
  "mlflow.source.git.commit": "gitCommit",
  "mlflow.source.git.repoURL": "gitRepoUrl",
  "mlflow.source.git.branch": "gitBranch",
  "mlflow.source.name": "sourceName",
  "mlflow.source.type": "sourceType",
  "mlflow.project.entryPoint": "entryPoint",
};

/** Files listed at most, and folder depth walked at most, per lineage call. */
const MAX_FILES = 1000;
const MAX_DEPTH = 16;

export class LineageService {
  constructor(
    private readonly registry: RegistryStore,
    private readonly tracking: TrackingStore,
    private readonly locate?: ArtifactLocator,
    /** Where the server may read a version's files (inside its artifact store); the download URI when absent. */
    private readonly readable?: (name: string, version: string) => Promise<string>,
  ) {}

  async get(name: string, version: string | number): Promise<ModelVersionLineage> {
    validateModelName(name);
    const v = canonicalVersion(version);
    const [modelVersion, downloadUri] = await Promise.all([this.registry.getModelVersion(name, v), this.registry.getModelVersionDownloadUri(name, v)]);
    const out: ModelVersionLineage = {
      modelVersion,
      downloadUri,
      params: [],
      metrics: [],
      code: {},
      datasets: [],
      artifacts: [],
      artifactsTruncated: false,
      warnings: [],
    };
    if (modelVersion.runId) await this.addRun(out, modelVersion.runId);
    let location = downloadUri;
    if (this.readable) {
      try {
        location = await this.readable(name, v);
      } catch (err) {
        if (!(err instanceof MlflowError)) throw err;
        out.warnings.push(err.message);
        return out;
      }
    }
    await this.addArtifacts(out, location);
    return out;
  }

  private async addRun(out: ModelVersionLineage, runId: string): Promise<void> {
    let run: Run;
    try {
      run = await this.tracking.getRun(runId);
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") {
        out.warnings.push(`Run with id=${runId} not found`);
        return;
      }
      throw err;
    }
    out.run = run.info;
    out.params = run.data.params;
    out.metrics = run.data.metrics;
    for (const t of run.data.tags) {
      const field = Object.hasOwn(CODE_TAGS, t.key) ? CODE_TAGS[t.key] : undefined;
      if (field) out.code[field] = t.value;
    }
    out.datasets = run.inputs.datasetInputs.map((d) => {
      const context = d.tags.find((t) => t.key === "mlflow.data.context")?.value;
      const ds: LineageDataset = { name: d.dataset.name, digest: d.dataset.digest, sourceType: d.dataset.sourceType, source: d.dataset.source };
      if (context !== undefined) ds.context = context;
      return ds;
    });
    const e = await this.tracking.getExperiment(run.info.experimentId);
    out.experiment = { experimentId: e.experimentId, name: e.name, artifactLocation: e.artifactLocation };
  }

  /** Lists the version's files breadth-first, paths relative to the version's root. */
  private async addArtifacts(out: ModelVersionLineage, uri: string): Promise<void> {
    if (!this.locate) {
      out.warnings.push("This server has no artifact store configured; the artifact list is empty.");
      return;
    }
    try {
      const { repo, base } = await this.locate(uri);
      const strip = base === "" ? 0 : base.length + 1;
      let level = [base];
      for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
        const next: string[] = [];
        for (const dir of level) {
          for (const f of await repo.list(dir)) {
            if (out.artifacts.length >= MAX_FILES) {
              out.artifactsTruncated = true;
              return;
            }
            out.artifacts.push({ ...f, path: f.path.slice(strip) });
            if (f.isDir) next.push(f.path);
          }
        }
        level = next;
      }
      if (level.length > 0) out.artifactsTruncated = true;
    } catch (err) {
      out.warnings.push(`Could not list the artifacts at '${uri}': ${(err as Error).message}`);
    }
  }
}
