/** Request and response schemas of the trace routes (MLflow 3 tracing), snake_case as MLflow's client sends them. */
import Type from "typebox";
import { ExperimentId, Int64 } from "../../../server/http/common.schema.js";
import { AssessmentIn, WireAssessment } from "./assessments.schema.js";

const StringMap = Type.Record(Type.String(), Type.String());

const TraceLocation = Type.Object({
  type: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  mlflow_experiment: Type.Optional(Type.Object({ experiment_id: Type.Optional(ExperimentId) })),
  inference_table: Type.Optional(Type.Object({ full_table_name: Type.Optional(Type.String()) })),
});

/** TraceInfoV3 as the client sends it: protobuf JSON (a Timestamp as RFC 3339 text, a Duration as "1.5s"). */
const TraceInfoIn = Type.Object({
  trace_id: Type.Optional(Type.String()),
  client_request_id: Type.Optional(Type.String()),
  trace_location: Type.Optional(TraceLocation),
  request: Type.Optional(Type.String()),
  response: Type.Optional(Type.String()),
  request_preview: Type.Optional(Type.String()),
  response_preview: Type.Optional(Type.String()),
  request_time: Type.Optional(Type.String({ maxLength: 64 })),
  execution_duration: Type.Optional(Type.String({ maxLength: 64 })),
  state: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  trace_metadata: Type.Optional(StringMap),
  tags: Type.Optional(StringMap),
  assessments: Type.Optional(Type.Array(AssessmentIn, { maxItems: 1000 })),
});

export const StartTraceV3Body = Type.Object({
  trace: Type.Object({ trace_info: TraceInfoIn, data: Type.Optional(Type.Unknown()) }),
});

export const WireTraceInfo = Type.Object({
  trace_id: Type.String(),
  client_request_id: Type.Optional(Type.String()),
  trace_location: Type.Object({ type: Type.String(), mlflow_experiment: Type.Object({ experiment_id: Type.String() }) }),
  request_preview: Type.Optional(Type.String()),
  response_preview: Type.Optional(Type.String()),
  request_time: Type.String(),
  execution_duration: Type.Optional(Type.String()),
  state: Type.String(),
  trace_metadata: StringMap,
  assessments: Type.Optional(Type.Array(WireAssessment)),
  tags: StringMap,
});

export const TraceResponse = Type.Object({ trace: Type.Object({ trace_info: WireTraceInfo }) });
export const TraceIdParams = Type.Object({ trace_id: Type.String() });
/** MLflow's V2 paths name the trace `request_id`. */
export const RequestIdParams = Type.Object({ request_id: Type.String() });

export const SearchTracesV3Body = Type.Object({
  locations: Type.Optional(Type.Array(TraceLocation, { maxItems: 1000 })),
  filter: Type.Optional(Type.String()),
  max_results: Type.Optional(Int64),
  order_by: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })),
  page_token: Type.Optional(Type.String()),
});
export const SearchTracesV3Response = Type.Object({
  traces: Type.Optional(Type.Array(WireTraceInfo)),
  next_page_token: Type.Optional(Type.String()),
});

export const SetTraceTagBody = Type.Object({ key: Type.Optional(Type.String()), value: Type.Optional(Type.String()) });
export const DeleteTraceTagBody = Type.Object({ key: Type.Optional(Type.String()) });
export const DeleteTraceTagQuery = Type.Object({ key: Type.Optional(Type.String()) });

export const DeleteTracesBody = Type.Object({
  experiment_id: Type.Optional(ExperimentId),
  max_timestamp_millis: Type.Optional(Int64),
  max_traces: Type.Optional(Int64),
  request_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 10_000 })),
});
export const DeleteTracesResponse = Type.Object({ traces_deleted: Type.Integer() });
export const Empty = Type.Object({});
