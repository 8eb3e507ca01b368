/**
 * The one codec of the tracking entities: domain (camelCase) ↔ wire (MLflow's
 * snake_case JSON), used by the server's routes for responses, by the SDK for
 * responses and request bodies, and by the UI. Presence rules are MLflow's
 * (proto2 JSON: unset optional fields and empty lists are omitted; a
 * dataset's schema and profile only when non-empty, as its `Dataset.to_proto`),
 * and NaN and ±Infinity survive a round trip both ways.
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
} from "./tracking-wire.js";
import type { DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric, RunStatus } from "../tracking-types.js";
import type { LifecycleStage, Tag } from "../types.js";

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

export function toWireTags(tags: Tag[]): WireKeyValue[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

function kvList(items: Tag[]): WireKeyValue[] | undefined {
  return items.length > 0 ? items.map((t) => ({ key: t.key, value: t.value })) : undefined;
}

export function toWireExperiment(e: Experiment): WireExperiment {
  const out: WireExperiment = {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
  };
  if (e.lastUpdateTime) out.last_update_time = e.lastUpdateTime;
  if (e.creationTime) out.creation_time = e.creationTime;
  const tags = kvList(e.tags);
  if (tags) out.tags = tags;
  return out;
}

export function toWireRunInfo(i: RunInfo): WireRunInfo {
  const out: WireRunInfo = {
    run_uuid: i.runId,
    experiment_id: i.experimentId,
    run_name: i.runName,
    user_id: i.userId,
    status: i.status,
    lifecycle_stage: i.lifecycleStage,
    run_id: i.runId,
  };
  if (i.startTime !== null) out.start_time = i.startTime;
  if (i.endTime) out.end_time = i.endTime;
  if (i.artifactUri) out.artifact_uri = i.artifactUri;
  return out;
}

/** A metric as responses carry it and log-metric / log-batch take it; the MLflow 3.x links only when set. */
export function toWireMetric(m: Metric): WireMetric {
  const out: WireMetric = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.datasetName) out.dataset_name = m.datasetName;
  if (m.datasetDigest) out.dataset_digest = m.datasetDigest;
  if (m.modelId) out.model_id = m.modelId;
  return out;
}

export function toWireRunMetric(m: RunMetric): WireMetricWithRunId {
  return { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step, run_id: m.runId };
}

export function toWireDatasetInput(d: DatasetInput): WireDatasetInput {
  const ds = d.dataset;
  const dataset: WireDatasetInput["dataset"] = { name: ds.name, digest: ds.digest, source_type: ds.sourceType, source: ds.source };
  // MLflow compat: Dataset.to_proto sets schema and profile only when truthy.
  if (ds.schema) dataset.schema = ds.schema;
  if (ds.profile) dataset.profile = ds.profile;
  const out: WireDatasetInput = { dataset };
  const tags = kvList(d.tags);
  if (tags) out.tags = tags;
  return out;
}

export function toWireRun(r: Run): WireRun {
  const data: WireRun["data"] = {};
  if (r.data.metrics.length > 0) data.metrics = r.data.metrics.map(toWireMetric);
  const params = kvList(r.data.params);
  if (params) data.params = params;
  const tags = kvList(r.data.tags);
  if (tags) data.tags = tags;
  const inputs: WireRun["inputs"] = {};
  if (r.inputs.datasetInputs.length > 0) inputs.dataset_inputs = r.inputs.datasetInputs.map(toWireDatasetInput);
  if (r.inputs.modelInputs && r.inputs.modelInputs.length > 0) {
    inputs.model_inputs = r.inputs.modelInputs.map((m) => ({ model_id: m.modelId }));
  }
  const out: WireRun = { info: toWireRunInfo(r.info), data, inputs };
  // MLflow compat: a run read back (get, search) carries `outputs`, `{}` when it has none.
  if (r.outputs) {
    out.outputs = {};
    if (r.outputs.modelOutputs.length > 0) {
      out.outputs.model_outputs = r.outputs.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step }));
    }
  }
  return out;
}
