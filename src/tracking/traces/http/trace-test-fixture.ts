/**
 * What the trace routes' HTTP tests share: MLflow 3's API prefix, the tables
 * a refused request must leave as they were, and a StartTraceV3 body as the
 * MLflow 3.3 client sends it.
 * @module
 */

export const V3 = "/api/3.0/mlflow";
export const TRACE_TABLES = ["trace_info", "trace_tags", "trace_request_metadata"] as const;

/** A StartTraceV3 body as the 3.3 client sends it (protobuf JSON); `extra` replaces trace_info's fields. */
export function startBody(experimentId: string, traceId: string, extra: Record<string, unknown> = {}) {
  return {
    trace: {
      trace_info: {
        trace_id: traceId,
        trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
        request_preview: '{"x": 1}',
        response_preview: "2",
        request_time: "2025-01-31T12:00:00.123456Z",
        execution_duration: "1.5s",
        state: "OK",
        trace_metadata: { "mlflow.trace_schema.version": "3" },
        tags: { "mlflow.traceName": "predict" },
        ...extra,
      },
    },
  };
}
