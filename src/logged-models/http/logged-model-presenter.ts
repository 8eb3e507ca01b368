/**
 * Domain → wire for logged models, in MLflow's field order and presence
 * rules (unset optional fields and empty lists are omitted).
 * @module
 */
import type { LoggedModel, LoggedModelMetric } from "../types.js";
import type { WireLoggedModel } from "../../shared/wire/logged-model-wire.js";
import type { WireMetric } from "../../shared/wire/tracking-wire.js";
import { toWireMetric } from "../../shared/wire/tracking-codec.js";

function presentModelMetric(m: LoggedModelMetric): WireMetric {
  return { ...toWireMetric(m), run_id: m.runId };
}

export function presentLoggedModel(m: LoggedModel): WireLoggedModel {
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
  if (m.data.metrics.length > 0) data.metrics = m.data.metrics.map(presentModelMetric);
  return { info, data };
}
