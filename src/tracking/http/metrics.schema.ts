/** Request and response schemas of the metric-history routes. */
import Type from "typebox";
import { WireMetric, WireMetricWithRunId } from "../../shared/wire/tracking-wire.js";
import { Int64, Required, RunIdFields } from "../../server/http/common.schema.js";

export const GetHistoryQuery = Type.Object({
  ...RunIdFields,
  metric_key: Required,
  max_results: Type.Optional(Int64),
  page_token: Type.Optional(Type.String()),
});
export const GetHistoryResponse = Type.Object({
  metrics: Type.Optional(Type.Array(WireMetric)),
  next_page_token: Type.Optional(Type.String()),
});

export const BulkIntervalQuery = Type.Object({
  run_ids: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  metric_key: Required,
  start_step: Type.Optional(Int64),
  end_step: Type.Optional(Int64),
  max_results: Type.Optional(Int64),
});
export const BulkResponse = Type.Object({ metrics: Type.Optional(Type.Array(WireMetricWithRunId)) });

/** The UI's older `get-history-bulk` (repeated `run_id`); MLflow's own checks and wording, in the service. */
export const HistoryBulkQuery = Type.Object({
  run_id: Type.Optional(Type.Array(Type.String())),
  metric_key: Type.Optional(Type.String()),
  // MLflow compat: int(request.args.get("max_results")) -- a number in any spelling Python's int() takes.
  max_results: Type.Optional(Type.String({ pattern: "^\\s*[-+]?\\d+\\s*$" })),
});
