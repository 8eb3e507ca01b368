/**
 * MLflow 3 traces for the UI: trace infos from SearchTracesV3 / GetTraceInfoV3
 * (`/ajax-api/3.0/mlflow/traces`), and the spans from `traces.json` at the
 * trace's `mlflow.artifactLocation`, read through the artifact proxy.
 */
import { ApiError, getJson, MLFLOW, postJson, request } from "./http";

const MLFLOW_V3 = "/ajax-api/3.0/mlflow";

/** An assessment (feedback or expectation) as GetTraceInfoV3 answers it. */
export interface WireAssessment {
  assessment_id: string;
  assessment_name: string;
  trace_id: string;
  span_id?: string;
  source: { source_type: string; source_id?: string };
  create_time: string;
  last_update_time: string;
  feedback?: { value?: unknown; error?: { error_code?: string; error_message?: string; stack_trace?: string } };
  expectation?: { value?: unknown; serialized_value?: { serialization_format: string; value: string } };
  rationale?: string;
  metadata?: Record<string, string>;
  overrides?: string;
  valid: boolean;
}

export interface WireTraceInfo {
  trace_id: string;
  trace_location?: { type?: string; mlflow_experiment?: { experiment_id: string } };
  client_request_id?: string;
  request_preview?: string;
  response_preview?: string;
  /** RFC 3339 text. */
  request_time: string;
  /** Seconds with an `s`, e.g. "1.250s". */
  execution_duration?: string;
  state: string;
  trace_metadata?: Record<string, string>;
  tags?: Record<string, string>;
  assessments?: WireAssessment[];
}

export interface SearchTracesRequest {
  experimentId: string;
  filter?: string;
  maxResults?: number;
  pageToken?: string;
}

export function searchTraces(req: SearchTracesRequest, signal?: AbortSignal) {
  return postJson<{ traces?: WireTraceInfo[]; next_page_token?: string }>(
    `${MLFLOW_V3}/traces/search`,
    {
      locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: req.experimentId } }],
      filter: req.filter || undefined,
      max_results: req.maxResults,
      order_by: ["timestamp_ms DESC"],
      page_token: req.pageToken,
    },
    signal,
  );
}

export async function getTraceInfo(traceId: string, signal?: AbortSignal): Promise<WireTraceInfo> {
  return (await getJson<{ trace: { trace_info: WireTraceInfo } }>(`${MLFLOW_V3}/traces/${encodeURIComponent(traceId)}`, {}, signal)).trace.trace_info;
}

async function sendJson(method: "PATCH" | "DELETE", url: string, body: unknown): Promise<void> {
  await request(url, { method, headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
}

/** The client's own paths for trace tags: `/2.0/mlflow/traces/{id}/tags`. */
export function setTraceTag(traceId: string, key: string, value: string): Promise<void> {
  return sendJson("PATCH", `${MLFLOW}/traces/${encodeURIComponent(traceId)}/tags`, { key, value });
}

export function deleteTraceTag(traceId: string, key: string): Promise<void> {
  return sendJson("DELETE", `${MLFLOW}/traces/${encodeURIComponent(traceId)}/tags`, { key });
}

/** Deletes one trace of an experiment (MANAGE on it when authentication is on). */
export async function deleteTrace(experimentId: string, traceId: string): Promise<number> {
  const r = await postJson<{ traces_deleted: number }>(`${MLFLOW}/traces/delete-traces`, { experiment_id: experimentId, request_ids: [traceId] });
  return r.traces_deleted;
}

/** A span as MLflow 3 writes it in traces.json (OpenTelemetry's shape; attribute values are JSON text). */
export interface WireSpan {
  span_id: string;
  parent_span_id?: string | null;
  name: string;
  start_time_unix_nano: number | string;
  end_time_unix_nano?: number | string | null;
  status?: { code?: string | number; message?: string };
  attributes?: Record<string, unknown>;
  events?: Array<{ name: string; time_unix_nano?: number | string; attributes?: Record<string, unknown> }>;
}

/** The spans of a trace; throws with what to do when they cannot be read from here. */
export async function readTraceSpans(artifactLocation: string | undefined, signal?: AbortSignal): Promise<WireSpan[]> {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(artifactLocation ?? "");
  if (!proxied) {
    throw new ApiError(
      artifactLocation
        ? `The spans are stored at ${artifactLocation}, outside the server's artifact proxy; read them with mlflow.get_trace().`
        : "This trace has no mlflow.artifactLocation tag, so its spans cannot be found.",
      0,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const path = proxied[1]!.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  const res = await request(`/ajax-api/2.0/mlflow-artifacts/artifacts/${path}/traces.json`, { signal }).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) {
      throw new ApiError("No spans were uploaded for this trace yet (traces.json is missing).", 404, "RESOURCE_DOES_NOT_EXIST");
    }
    throw err;
  });
  const body = (await res.json()) as { spans?: WireSpan[] };
  return Array.isArray(body.spans) ? body.spans : [];
}
