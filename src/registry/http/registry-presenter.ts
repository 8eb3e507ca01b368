/**
 * Domain → wire for registry entities, in MLflow's field order and presence
 * rules (its entities' `to_proto`: unset optional fields and empty lists are
 * omitted), plus ciclo's history and lineage shapes.
 * @module
 */
import type { ModelVersionLineage } from "../lineage-service.js";
import type { ModelVersion, RegisteredModel, RegistryEvent } from "../types.js";
import type {
  WireModelVersion,
  WireModelVersionLineage,
  WireRegisteredModel,
  WireRegistryEvent,
} from "../../shared/wire/registry-wire.js";
import { toWireMetric, toWireRunInfo } from "../../shared/wire/tracking-codec.js";

export function presentModelVersion(v: ModelVersion): WireModelVersion {
  const out: WireModelVersion = {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    current_stage: v.currentStage,
    source: v.source,
    status: v.status,
  };
  if (v.userId !== null) out.user_id = v.userId;
  if (v.description !== null) out.description = v.description;
  if (v.runId !== null) out.run_id = v.runId;
  if (v.statusMessage) out.status_message = v.statusMessage;
  if (v.tags.length > 0) out.tags = v.tags.map((t) => ({ key: t.key, value: t.value }));
  if (v.runLink !== null) out.run_link = v.runLink;
  if (v.aliases.length > 0) out.aliases = [...v.aliases];
  if (v.modelId !== null) out.model_id = v.modelId;
  return out;
}

export function presentRegisteredModel(m: RegisteredModel): WireRegisteredModel {
  const out: WireRegisteredModel = { name: m.name, creation_timestamp: m.creationTimestamp };
  if (m.lastUpdatedTimestamp) out.last_updated_timestamp = m.lastUpdatedTimestamp;
  if (m.description) out.description = m.description;
  if (m.latestVersions.length > 0) out.latest_versions = m.latestVersions.map(presentModelVersion);
  if (m.tags.length > 0) out.tags = m.tags.map((t) => ({ key: t.key, value: t.value }));
  if (m.aliases.length > 0) out.aliases = m.aliases.map((a) => ({ alias: a.alias, version: a.version }));
  return out;
}

export function presentRegistryEvent(e: RegistryEvent): WireRegistryEvent {
  return {
    event_id: e.eventId,
    timestamp: e.timestamp,
    actor: e.actor,
    name: e.name,
    version: e.version,
    entity: e.entity,
    action: e.action,
    key: e.key,
    from: e.from,
    to: e.to,
  };
}

export function presentLineage(l: ModelVersionLineage): WireModelVersionLineage {
  const out: WireModelVersionLineage = {
    model_version: presentModelVersion(l.modelVersion),
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
