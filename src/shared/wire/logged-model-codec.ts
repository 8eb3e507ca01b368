/**
 * MLflow 3.x logged models on the wire, both directions: the server's routes
 * present with `toWireLoggedModel` (MLflow's field order and presence rules:
 * unset optional fields and empty lists are omitted), the SDK decodes with
 * `fromWireLoggedModel`.
 * @module
 */
import { LOGGED_MODEL_STATUSES, type LoggedModel, type LoggedModelMetric, type LoggedModelStatus } from "../logged-model-types.js";
import type { WireLoggedModel } from "./logged-model-wire.js";
import type { WireMetric } from "./tracking-wire.js";
import { fromWireMetric, fromWireTags, toWireMetric } from "./tracking-codec.js";

function toWireModelMetric(m: LoggedModelMetric): WireMetric {
  return { ...toWireMetric(m), run_id: m.runId };
}

export function toWireLoggedModel(m: LoggedModel): WireLoggedModel {
  const i = m.info;
  const info: WireLoggedModel["info"] = {
    model_id: i.modelId,
    experiment_id: i.experimentId,
    name: i.name,
    creation_timestamp_ms: i.creationTimestampMs,
    last_updated_timestamp_ms: i.lastUpdatedTimestampMs,
    artifact_uri: i.artifactUri,
    status: i.status,
  };
  // MLflow compat: model_type and source_run_id are always set (to "" when the client sent none).
  if (i.modelType !== null) info.model_type = i.modelType;
  if (i.sourceRunId !== null) info.source_run_id = i.sourceRunId;
  if (i.statusMessage) info.status_message = i.statusMessage;
  if (i.tags.length > 0) info.tags = i.tags.map((t) => ({ key: t.key, value: t.value }));
  const data: WireLoggedModel["data"] = {};
  if (m.data.params.length > 0) data.params = m.data.params.map((p) => ({ key: p.key, value: p.value }));
  if (m.data.metrics.length > 0) data.metrics = m.data.metrics.map(toWireModelMetric);
  return { info, data };
}

function fromWireStatus(status: string): LoggedModelStatus {
  return (LOGGED_MODEL_STATUSES as readonly string[]).includes(status) ? (status as LoggedModelStatus) : "LOGGED_MODEL_PENDING";
}

/** The inverse of `toWireLoggedModel`; an empty `source_run_id` (MLflow's "none") reads as null. */
export function fromWireLoggedModel(m: WireLoggedModel): LoggedModel {
  const i = m.info;
  return {
    info: {
      modelId: i.model_id,
      experimentId: i.experiment_id,
      name: i.name,
      creationTimestampMs: Number(i.creation_timestamp_ms),
      lastUpdatedTimestampMs: Number(i.last_updated_timestamp_ms),
      artifactUri: i.artifact_uri,
      status: fromWireStatus(i.status),
      modelType: i.model_type ?? null,
      sourceRunId: i.source_run_id || null,
      statusMessage: i.status_message || null,
      tags: fromWireTags(i.tags),
    },
    data: {
      params: (m.data.params ?? []).map((p) => ({ key: p.key, value: p.value ?? "" })),
      metrics: (m.data.metrics ?? []).map((w) => ({ ...fromWireMetric(w), runId: w.run_id ?? "" })),
    },
  };
}
