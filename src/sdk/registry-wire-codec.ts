/**
 * Wire → domain for the registry: MLflow's snake_case model-registry JSON (the
 * shared wire types) into ciclo's camelCase registry types — the mirror of the
 * server's registry presenter — plus the SDK's shape of ciclo's lineage answer.
 * @module
 */
import type { Stage, ModelVersion, ModelVersionStatus, RegisteredModel, RegistryAction, RegistryEntity, RegistryEvent } from "../shared/registry-types.js";
import type { WireModelVersion, WireModelVersionLineage, WireRegisteredModel, WireRegistryEvent } from "../shared/wire/registry-wire.js";
import type { FileInfo } from "../artifacts/artifact-repository.js";
import type { Metric, Param, RunInfo } from "../shared/tracking-types.js";
import { fromWireMetric, fromWireRunInfo } from "../shared/wire/tracking-codec.js";
import { fromWireModelVersion } from "../shared/wire/registry-codec.js";


/** What produced a model version (`GET /api/ciclo/v1/model-versions/lineage`). */
export interface ModelVersionLineage {
  modelVersion: ModelVersion;
  downloadUri: string;
  run?: RunInfo;
  experiment?: { experimentId: string; name: string; artifactLocation: string };
  params: Param[];
  metrics: Metric[];
  /** From the run's `mlflow.source.*` tags. */
  code: { gitCommit?: string; gitRepoUrl?: string; gitBranch?: string; sourceName?: string; sourceType?: string; entryPoint?: string };
  datasets: Array<{ name: string; digest: string; sourceType: string; source: string; context?: string }>;
  artifacts: FileInfo[];
  artifactsTruncated: boolean;
  warnings: string[];
}

export function fromWireLineage(l: WireModelVersionLineage): ModelVersionLineage {
  const c = l.code;
  const code: ModelVersionLineage["code"] = {};
  if (c.git_commit !== undefined) code.gitCommit = c.git_commit;
  if (c.git_repo_url !== undefined) code.gitRepoUrl = c.git_repo_url;
  if (c.git_branch !== undefined) code.gitBranch = c.git_branch;
  if (c.source_name !== undefined) code.sourceName = c.source_name;
  if (c.source_type !== undefined) code.sourceType = c.source_type;
  if (c.entry_point !== undefined) code.entryPoint = c.entry_point;
  const out: ModelVersionLineage = {
    modelVersion: fromWireModelVersion(l.model_version),
    downloadUri: l.download_uri,
    params: l.params.map((p) => ({ key: p.key, value: p.value ?? "" })),
    metrics: l.metrics.map(fromWireMetric),
    code,
    datasets: l.datasets.map((d) => ({ name: d.name, digest: d.digest, sourceType: d.source_type, source: d.source, ...(d.context !== undefined ? { context: d.context } : {}) })),
    artifacts: l.artifacts.map((f) => (f.is_dir ? { path: f.path, isDir: true } : { path: f.path, isDir: false, fileSize: f.file_size })),
    artifactsTruncated: l.artifacts_truncated,
    warnings: l.warnings,
  };
  if (l.run) out.run = fromWireRunInfo(l.run);
  if (l.experiment) out.experiment = { experimentId: l.experiment.experiment_id, name: l.experiment.name, artifactLocation: l.experiment.artifact_location };
  return out;
}
