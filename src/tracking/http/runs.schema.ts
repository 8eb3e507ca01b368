/** Request and response schemas of the run routes. */
import Type from "typebox";
import { Double, WireRun, WireRunInfo } from "../../shared/wire/tracking-wire.js";
import { ExperimentId, Int64, KeyValueList, Required, RunIdFields, ViewTypeIn } from "../../server/http/common.schema.js";

export const CreateRunBody = Type.Object({
  experiment_id: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  user_id: Type.Optional(Type.String()),
  run_name: Type.Optional(Type.String()),
  start_time: Type.Optional(Int64),
  tags: Type.Optional(KeyValueList),
});
export const RunResponse = Type.Object({ run: WireRun });

export const UpdateRunBody = Type.Object({
  ...RunIdFields,
  status: Type.Optional(Type.Union([Type.Literal("RUNNING"), Type.Literal("SCHEDULED"), Type.Literal("FINISHED"), Type.Literal("FAILED"), Type.Literal("KILLED")])),
  end_time: Type.Optional(Int64),
  run_name: Type.Optional(Type.String()),
});
export const UpdateRunResponse = Type.Object({ run_info: WireRunInfo });

export const RunIdBody = Type.Object({ run_id: Required });
export const GetRunQuery = Type.Object({ ...RunIdFields });

export const SearchRunsBody = Type.Object({
  experiment_ids: Type.Optional(Type.Array(ExperimentId, { maxItems: 1000 })),
  filter: Type.Optional(Type.String()),
  run_view_type: Type.Optional(ViewTypeIn),
  max_results: Type.Optional(Int64),
  order_by: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  page_token: Type.Optional(Type.String()),
});
export const SearchRunsResponse = Type.Object({
  runs: Type.Optional(Type.Array(WireRun)),
  next_page_token: Type.Optional(Type.String()),
});

const metricFields = {
  key: Required,
  value: Double,
  timestamp: Int64,
  step: Type.Optional(Int64),
  model_id: Type.Optional(Type.String()),
  dataset_name: Type.Optional(Type.String()),
  dataset_digest: Type.Optional(Type.String()),
};
export const LogMetricBody = Type.Object({ ...RunIdFields, ...metricFields });
const MetricIn = Type.Object({ ...metricFields, run_id: Type.Optional(Type.String()) });
export const LogParamBody = Type.Object({ ...RunIdFields, key: Required, value: Type.String() });
export const SetTagBody = Type.Object({ ...RunIdFields, key: Required, value: Type.String() });
export const DeleteTagBody = Type.Object({ ...RunIdFields, key: Required });

export const LogBatchBody = Type.Object({
  run_id: Required,
  // Batch limits are checked by the service, with MLflow's wording; the body limit bounds memory.
  metrics: Type.Optional(Type.Array(MetricIn)),
  params: Type.Optional(Type.Array(Type.Object({ key: Required, value: Type.String() }))),
  tags: Type.Optional(Type.Array(Type.Object({ key: Required, value: Type.String() }))),
});

const DatasetIn = Type.Object({
  name: Type.Optional(Type.String()),
  digest: Type.Optional(Type.String()),
  source_type: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  schema: Type.Optional(Type.String()),
  profile: Type.Optional(Type.String()),
});
export const LogInputsBody = Type.Object({
  run_id: Required,
  datasets: Type.Optional(
    Type.Array(Type.Object({ tags: Type.Optional(KeyValueList), dataset: DatasetIn }), { maxItems: 1000 }),
  ),
  /** MLflow 3.x: logged models the run used. */
  models: Type.Optional(Type.Array(Type.Object({ model_id: Type.Optional(Type.String()) }), { maxItems: 1000 })),
});
export const LogModelBody = Type.Object({ run_id: Required, model_json: Required });
export const Empty = Type.Object({});
