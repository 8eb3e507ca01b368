/**
 * Traces for browser tests, logged as MLflow 3's client logs them: the trace
 * info through StartTraceV3 and the spans as traces.json at the location the
 * server answers, through the artifact proxy.
 * @module
 */
import assert from "node:assert/strict";

export const T0 = Date.parse("2026-03-02T10:00:00.000Z");
export const nano = (ms: number) => String(BigInt(T0 + ms) * 1_000_000n);
export const hex = (n: number) => n.toString(16).padStart(32, "0");
export const b64 = (s: string) => Buffer.from(s).toString("base64");

export interface SeedTrace {
  id: string;
  name: string;
  atMs: number;
  state: "OK" | "ERROR";
  durationMs: number;
  request?: string;
  response?: string;
  run?: string;
  tags?: Record<string, string>;
  spans?: unknown[];
}

/** Logs a trace's info (StartTraceV3) and, when given, its spans (traces.json at the location the server answers). */
export async function logTrace(url: string, experimentId: string, t: SeedTrace): Promise<void> {
  const res = await fetch(`${url}/api/3.0/mlflow/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      trace: {
        trace_info: {
          trace_id: t.id,
          trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
          request_preview: t.request,
          response_preview: t.response,
          request_time: new Date(T0 + t.atMs).toISOString(),
          execution_duration: `${(t.durationMs / 1000).toFixed(3)}s`,
          state: t.state,
          trace_metadata: t.run ? { "mlflow.sourceRun": t.run } : {},
          tags: { "mlflow.traceName": t.name, ...t.tags },
        },
      },
    }),
  });
  const body = (await res.json()) as { trace: { trace_info: { tags: Record<string, string> } } };
  assert.equal(res.status, 200, JSON.stringify(body));
  if (!t.spans) return;
  const loc: string = body.trace.trace_info.tags["mlflow.artifactLocation"];
  assert.match(loc, /^mlflow-artifacts:\//);
  const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${loc.replace(/^mlflow-artifacts:\/+/, "")}/traces.json`, {
    method: "PUT",
    body: JSON.stringify({ spans: t.spans }),
  });
  assert.ok(put.ok, `upload traces.json: ${put.status}`);
}

export function span(id: string, parent: string | null, name: string, type: string, fromMs: number, toMs: number, extra: Record<string, unknown> = {}, events: unknown[] = [], error = false) {
  const attributes: Record<string, string> = { "mlflow.spanType": JSON.stringify(type) };
  for (const [k, v] of Object.entries(extra)) attributes[k] = JSON.stringify(v);
  return {
    trace_id: b64("trace"),
    span_id: b64(id),
    parent_span_id: parent ? b64(parent) : null,
    name,
    start_time_unix_nano: nano(fromMs),
    end_time_unix_nano: nano(toMs),
    status: error ? { code: "STATUS_CODE_ERROR", message: "ValueError: bad input 7" } : { code: "STATUS_CODE_OK", message: "" },
    attributes,
    events,
  };
}

