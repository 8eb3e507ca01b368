/**
 * Domain → wire for ciclo's lineage answer (`/api/ciclo/v1/model-versions/lineage`).
 * The registry entities' codec, both directions, is shared/wire/registry-codec.ts.
 * @module
 */
import type { ModelVersionLineage } from "../lineage-service.js";
import type { WireModelVersionLineage } from "../../shared/wire/registry-wire.js";
import { toWireMetric, toWireRunInfo } from "../../shared/wire/tracking-codec.js";
import { toWireModelVersion } from "../../shared/wire/registry-codec.js";


export function presentLineage(l: ModelVersionLineage): WireModelVersionLineage {
  const out: WireModelVersionLineage = {
    model_version: toWireModelVersion(l.modelVersion),
    download_uri: l.downloadUri,
    params: l.params.map((p) => ({ key: p.key, value: p.value })),
    metrics: l.metrics.map(toWireMetric),
    code: {},
    datasets: l.datasets.map((d) => {
      const ds: WireModelVersionLineage["datasets"][number] = { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source };
      if (d.context !== undefined) ds.context = d.context;
      return ds;
    }),
    artifacts: l.artifacts.map((f) => (f.isDir ? { path: f.path, is_dir: true } : { path: f.path, is_dir: false, file_size: f.fileSize })),
    artifacts_truncated: l.artifactsTruncated,
    warnings: l.warnings,
  };
  if (l.run) out.run = toWireRunInfo(l.run);
  if (l.experiment) {
    out.experiment = { experiment_id: l.experiment.experimentId, name: l.experiment.name, artifact_location: l.experiment.artifactLocation };
  }
  const c = l.code;
  if (c.gitCommit !== undefined) out.code.git_commit = c.gitCommit;
  if (c.gitRepoUrl !== undefined) out.code.git_repo_url = c.gitRepoUrl;
  if (c.gitBranch !== undefined) out.code.git_branch = c.gitBranch;
  if (c.sourceName !== undefined) out.code.source_name = c.sourceName;
  if (c.sourceType !== undefined) out.code.source_type = c.sourceType;
  if (c.entryPoint !== undefined) out.code.entry_point = c.entryPoint;
  return out;
}
