/**
 * Domain → wire for tracking entities, in MLflow's field order and presence
 * rules (unset optional fields and empty lists are omitted, as proto2 JSON does).
 * @module
 */
import {
  toWireDouble,
  type WireDatasetInput,
  type WireExperiment,
  type WireKeyValue,
  type WireMetric,
  type WireMetricWithRunId,
  type WireRun,
  type WireRunInfo,
} from "../../shared/wire/tracking-wire.js";
import type { DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric } from "../types.js";
import type { Tag } from "../../shared/types.js";

function kvList(items: Tag[]): WireKeyValue[] | undefined {
  return items.length > 0 ? items.map((t) => ({ key: t.key, value: t.value })) : undefined;
}

export function presentExperiment(e: Experiment): WireExperiment {
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

export function presentRunInfo(i: RunInfo): WireRunInfo {
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

export function presentMetric(m: Metric): WireMetric {
  const out: WireMetric = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step };
  if (m.datasetName) out.dataset_name = m.datasetName;
  if (m.datasetDigest) out.dataset_digest = m.datasetDigest;
  if (m.modelId) out.model_id = m.modelId;
  return out;
}

export function presentRunMetric(m: RunMetric): WireMetricWithRunId {
  return { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step, run_id: m.runId };
}

function presentDatasetInput(d: DatasetInput): WireDatasetInput {
  const ds = d.dataset;
  const dataset: WireDatasetInput["dataset"] = { name: ds.name, digest: ds.digest, source_type: ds.sourceType, source: ds.source };
  if (ds.schema) dataset.schema = ds.schema;
  if (ds.profile) dataset.profile = ds.profile;
  const out: WireDatasetInput = { dataset };
  const tags = kvList(d.tags);
  if (tags) out.tags = tags;
  return out;
}

export function presentRun(r: Run): WireRun {
  const data: WireRun["data"] = {};
  if (r.data.metrics.length > 0) data.metrics = r.data.metrics.map(presentMetric);
  const params = kvList(r.data.params);
  if (params) data.params = params;
  const tags = kvList(r.data.tags);
  if (tags) data.tags = tags;
  const inputs: WireRun["inputs"] = {};
  if (r.inputs.datasetInputs.length > 0) inputs.dataset_inputs = r.inputs.datasetInputs.map(presentDatasetInput);
  if (r.inputs.modelInputs && r.inputs.modelInputs.length > 0) {
    inputs.model_inputs = r.inputs.modelInputs.map((m) => ({ model_id: m.modelId }));
  }
  const out: WireRun = { info: presentRunInfo(r.info), data, inputs };
  // MLflow compat: a run read back (get, search) carries `outputs`, `{}` when it has none.
  if (r.outputs) {
    out.outputs = {};
    if (r.outputs.modelOutputs.length > 0) {
      out.outputs.model_outputs = r.outputs.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step }));
    }
  }
  return out;
}
