/**
 * TraceInfoV3 between protobuf JSON (what MLflow's client sends and reads)
 * and the domain's TraceInfo: a Timestamp is RFC 3339 text, a Duration
 * seconds with an `s` (`"1.250s"`), the state its enum name.
 * @module
 */
import type { Static } from "typebox";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import { TRACE_STATES, type TraceInfo, type TraceState } from "../types.js";
import type { AssessmentInput } from "../assessment-service.js";
import { fromWireAssessment, toWireAssessment } from "./assessment-presenter.js";
import type { StartTraceV3Body, WireTraceInfo } from "./traces.schema.js";

type TraceInfoIn = Static<typeof StartTraceV3Body>["trace"]["trace_info"];

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** A protobuf Timestamp's JSON text → epoch milliseconds (sub-millisecond digits dropped). */
export function parseTimestamp(text: string, field: string): number {
  const m = TIMESTAMP.exec(text);
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? "0").padEnd(3, "0").slice(0, 3)}${m[8]}`) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidParameterValueError(`Invalid ${field} '${text.slice(0, 64)}': expected an RFC 3339 time such as '2025-01-31T12:00:00.123Z'.`);
  }
  return ms;
}

/** A protobuf Duration's JSON text (`"1.5s"`) → milliseconds. */
export function parseDuration(text: string, field: string): number {
  const m = /^(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new InvalidParameterValueError(`Invalid ${field} '${text.slice(0, 64)}': expected seconds such as '1.5s'.`);
  return Number(m[1]) * 1000 + Math.floor(Number((m[2] ?? "0").padEnd(9, "0")) / 1e6);
}

function parseState(v: string | number | undefined): TraceState {
  if (v === undefined) return "STATE_UNSPECIFIED";
  if (typeof v === "number") {
    const s = TRACE_STATES[v];
    if (s) return s;
  } else if ((TRACE_STATES as readonly string[]).includes(v)) return v as TraceState;
  throw new InvalidParameterValueError(`Invalid trace state '${v}'. Valid values are ${TRACE_STATES.join(", ")}.`);
}

/** The trace info of a StartTraceV3 request, and the assessments logged while the trace was active. */
export function fromWireTraceInfo(w: TraceInfoIn): Omit<TraceInfo, "assessments"> {
  const loc = w.trace_location;
  if (loc?.inference_table || (loc?.type !== undefined && loc.type !== "MLFLOW_EXPERIMENT" && loc.type !== 1)) {
    throw new InvalidParameterValueError("Only traces located in an MLflow experiment (trace_location.type MLFLOW_EXPERIMENT) can be logged to this server.");
  }
  return {
    traceId: w.trace_id ?? "",
    experimentId: loc?.mlflow_experiment?.experiment_id === undefined ? "" : String(loc.mlflow_experiment.experiment_id),
    clientRequestId: w.client_request_id || null,
    requestTime: w.request_time === undefined ? Date.now() : parseTimestamp(w.request_time, "trace_info.request_time"),
    executionDuration: w.execution_duration === undefined ? null : parseDuration(w.execution_duration, "trace_info.execution_duration"),
    state: parseState(w.state),
    // MLflow compat: `request`/`response` are the deprecated spellings of the previews.
    requestPreview: w.request_preview ?? w.request ?? null,
    responsePreview: w.response_preview ?? w.response ?? null,
    metadata: { ...(w.trace_metadata ?? {}) },
    tags: { ...(w.tags ?? {}) },
  };
}

export function assessmentsOfWireTraceInfo(w: TraceInfoIn): AssessmentInput[] {
  return (w.assessments ?? []).map(fromWireAssessment);
}

export function toWireTraceInfo(t: TraceInfo): Static<typeof WireTraceInfo> {
  return {
    trace_id: t.traceId,
    client_request_id: t.clientRequestId ?? undefined,
    trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: t.experimentId } },
    request_preview: t.requestPreview ?? undefined,
    response_preview: t.responsePreview ?? undefined,
    request_time: new Date(t.requestTime).toISOString(),
    execution_duration: t.executionDuration === null ? undefined : `${(t.executionDuration / 1000).toFixed(3)}s`,
    state: t.state,
    trace_metadata: t.metadata,
    assessments: t.assessments.length > 0 ? t.assessments.map(toWireAssessment) : undefined,
    tags: t.tags,
  };
}
