/** MLflow 2's trace routes (StartTrace, EndTrace, GetTraceInfo, SearchTraces): TraceInfo with key-value lists. */
import Type from "typebox";
import { ExperimentId, Int64, KeyValueList } from "../../../server/http/common.schema.js";

const KeyValueOut = Type.Array(Type.Object({ key: Type.String(), value: Type.String() }));

export const WireTraceInfoV2 = Type.Object({
  request_id: Type.String(),
  experiment_id: Type.String(),
  timestamp_ms: Type.Integer(),
  execution_time_ms: Type.Integer(),
  status: Type.String(),
  request_metadata: KeyValueOut,
  tags: KeyValueOut,
});

/** The status as TraceStatus's name or number. */
const StatusIn = Type.Union([Type.String(), Type.Integer()]);

export const StartTraceV2Body = Type.Object({
  experiment_id: Type.Optional(ExperimentId),
  timestamp_ms: Type.Optional(Int64),
  request_metadata: Type.Optional(KeyValueList),
  tags: Type.Optional(KeyValueList),
});

export const EndTraceV2Body = Type.Object({
  timestamp_ms: Type.Optional(Int64),
  status: Type.Optional(StatusIn),
  request_metadata: Type.Optional(KeyValueList),
  tags: Type.Optional(KeyValueList),
});

export const TraceInfoV2Response = Type.Object({ trace_info: WireTraceInfoV2 });

/** GET with a query: repeated `experiment_ids` / `order_by` arrive as one value or a list. */
const OneOrMany = Type.Union([Type.Array(Type.String(), { maxItems: 1000 }), Type.String()]);
export const SearchTracesV2Query = Type.Object({
  experiment_ids: Type.Optional(OneOrMany),
  filter: Type.Optional(Type.String()),
  max_results: Type.Optional(Int64),
  order_by: Type.Optional(OneOrMany),
  page_token: Type.Optional(Type.String()),
});
export const SearchTracesV2Response = Type.Object({
  traces: Type.Optional(Type.Array(WireTraceInfoV2)),
  next_page_token: Type.Optional(Type.String()),
});
