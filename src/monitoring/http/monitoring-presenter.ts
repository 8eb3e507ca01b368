/**
 * Wire shapes of the monitoring API from the domain's records, and the
 * ingest records (the scoring server's JSON lines, or `{records: [...]}`)
 * into inference events.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { WireInferenceRecord } from "../../shared/wire/monitoring-wire.js";
import { decodeInferenceBatch, InferenceBatchError } from "../../shared/node/inference-batch.js";
import type { InferenceEvent } from "../inference/inference-event.js";
import type { AlertRecord, MonitorPoint, MonitorRecord, SegmentRecord } from "../core/monitoring-store.js";
import { newRequestId } from "../monitoring-service.js";
import { redactSpec } from "../core/monitor-spec.js";

function body(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function eventOf(r: WireInferenceRecord, i: number, now: number): InferenceEvent {
  const modelName = r.model_name ?? r.model;
  const modelVersion = r.model_version ?? r.version;
  if (!modelName || !modelVersion) throw new InvalidParameterValueError(`Record ${i}: model_name and model_version are required.`);
  return {
    modelName,
    modelVersion,
    endpoint: r.endpoint ?? null,
    deployment: r.deployment ?? null,
    dataset: r.dataset ?? null,
    requestId: r.request_id ?? newRequestId(),
    time: r.time ?? r.ts ?? now,
    status: r.status,
    latencyMs: r.latency_ms,
    request: body(r.request),
    response: body(r.response),
    sampleRate: r.sample_rate,
  };
}

/** The events of a binary inference batch (`shared/node/inference-batch.ts`), all or none: a malformed batch is refused whole. */
export function eventsOfBatch(buf: Buffer): InferenceEvent[] {
  let records;
  try {
    records = decodeInferenceBatch(buf);
  } catch (err) {
    if (err instanceof InferenceBatchError) throw new InvalidParameterValueError(err.message);
    throw err;
  }
  const events: InferenceEvent[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const s = r.source;
    events[i] = {
      modelName: s.modelName,
      modelVersion: s.modelVersion,
      endpoint: s.endpoint,
      deployment: s.deployment,
      dataset: null,
      requestId: r.requestId ?? newRequestId(),
      time: r.time,
      status: r.status,
      latencyMs: r.latencyMs,
      request: r.request,
      response: r.response,
      sampleRate: s.sampleRate === 1 ? undefined : s.sampleRate,
    };
  }
  return events;
}

export function segmentToWire(s: SegmentRecord & { trimmed?: boolean }) {
  return {
    segment_id: s.segmentId,
    model_name: s.modelName,
    model_version: s.modelVersion,
    endpoint: s.endpoint ?? undefined,
    deployment: s.deployment ?? undefined,
    dataset: s.dataset ?? undefined,
    start_time: s.startTime,
    end_time: s.endTime,
    rows: s.rows,
    requests: s.requests,
    errors: s.errors,
    sample_rate: s.sampleRate,
    path: s.path,
    bytes: s.bytes,
    ...(s.trimmed && { trimmed: true }),
  };
}

export function monitorToWire(m: MonitorRecord) {
  return {
    monitor_id: m.monitorId,
    name: m.name,
    spec: redactSpec(m.spec),
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    last_window_end: m.lastWindowEnd ?? undefined,
    next_run_at: m.nextRunAt,
  };
}

export function pointToWire(p: MonitorPoint) {
  return { window_start: p.windowStart, window_end: p.windowEnd, metric: p.metric, value: p.value, flagged: p.flagged, detail: p.detail === null ? undefined : JSON.parse(p.detail) };
}

export function alertToWire(a: AlertRecord) {
  return {
    alert_id: a.alertId,
    rule: a.rule,
    state: a.state,
    opened_at: a.openedAt,
    last_seen_at: a.lastSeenAt,
    closed_at: a.closedAt ?? undefined,
    window_start: a.windowStart,
    window_end: a.windowEnd,
    message: a.message,
    delivery: a.delivery ?? undefined,
    action_job_id: a.actionJobId ?? undefined,
  };
}
