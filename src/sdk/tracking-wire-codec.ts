/**
 * Wire ↔ domain for the SDK: MLflow's snake_case JSON (the shared wire types)
 * into ciclo's camelCase domain types, and back for request bodies. The
 * server's presenters do the domain → wire half for responses; this is its
 * mirror, so NaN and ±Infinity survive a round trip both ways.
 * @module
 */
import {
  parseWireDouble,
  toWireDouble,
  type WireDatasetInput,
  type WireExperiment,
  type WireKeyValue,
  type WireMetric,
  type WireMetricWithRunId,
  type WireRun,
  type WireRunInfo,
} from "../shared/wire/tracking-wire.js";
import type { DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric, RunStatus } from "../tracking/types.js";
import type { LifecycleStage, Tag } from "../shared/types.js";

export function fromWireTags(list: WireKeyValue[] | undefined): Tag[] {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

export function fromWireExperiment(e: WireExperiment): Experiment {
  return {
    experimentId: e.experiment_id,
    name: e.name,
    artifactLocation: e.artifact_location ?? "",
    lifecycleStage: e.lifecycle_stage as LifecycleStage,
    creationTime: e.creation_time ?? 0,
    lastUpdateTime: e.last_update_time ?? 0,
    tags: fromWireTags(e.tags),
  };
}

export function fromWireRunInfo(i: WireRunInfo): RunInfo {
  return {
    runId: i.run_id || i.run_uuid,
    runName: i.run_name ?? "",
    experimentId: i.experiment_id,
    userId: i.user_id ?? "",
    status: i.status as RunStatus,
    startTime: i.start_time ?? null,
    endTime: i.end_time ?? null,
    artifactUri: i.artifact_uri ?? "",
    lifecycleStage: i.lifecycle_stage as LifecycleStage,
  };
}

/** A wire metric; the MLflow 3.x links (model, dataset) only when present, as the stores return them. */
export function fromWireMetric(m: WireMetric): Metric {
  const out: Metric = { key: m.key, value: parseWireDouble(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) };
  if (m.model_id) out.modelId = m.model_id;
  if (m.dataset_name) out.datasetName = m.dataset_name;
  if (m.dataset_digest) out.datasetDigest = m.dataset_digest;
  return out;
}

export function fromWireRunMetric(m: WireMetricWithRunId): RunMetric {
  return { ...fromWireMetric(m), runId: m.run_id };
}

function fromWireDatasetInput(d: WireDatasetInput): DatasetInput {
  const ds = d.dataset;
  const dataset: DatasetInput["dataset"] = { name: ds.name, digest: ds.digest, sourceType: ds.source_type, source: ds.source };
  if (ds.schema !== undefined) dataset.schema = ds.schema;
  if (ds.profile !== undefined) dataset.profile = ds.profile;
  return { tags: fromWireTags(d.tags), dataset };
}

export function fromWireRun(r: WireRun): Run {
  return {
    info: fromWireRunInfo(r.info),
    data: {
      metrics: (r.data?.metrics ?? []).map(fromWireMetric),
      params: fromWireTags(r.data?.params),
      tags: fromWireTags(r.data?.tags),
    },
    inputs: { datasetInputs: (r.inputs?.dataset_inputs ?? []).map(fromWireDatasetInput) },
  };
}

/** A metric as log-metric / log-batch take it. */
export function toWireMetric(m: Metric): WireMetric {
  const out: WireMetric = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.modelId) out.model_id = m.modelId;
  if (m.datasetName) out.dataset_name = m.datasetName;
  if (m.datasetDigest) out.dataset_digest = m.datasetDigest;
  return out;
}

export function toWireDatasetInput(d: DatasetInput): WireDatasetInput {
  const ds = d.dataset;
  const dataset: WireDatasetInput["dataset"] = { name: ds.name, digest: ds.digest, source_type: ds.sourceType, source: ds.source };
  if (ds.schema != null) dataset.schema = ds.schema;
  if (ds.profile != null) dataset.profile = ds.profile;
  const out: WireDatasetInput = { dataset };
  if (d.tags.length > 0) out.tags = d.tags.map((t) => ({ key: t.key, value: t.value }));
  return out;
}

export function toWireTags(tags: Tag[]): WireKeyValue[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}
