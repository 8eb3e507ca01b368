/** Request and response schemas of ciclo's tracking views (`/api/ciclo/v1`), snake_case like MLflow's. */
import Type from "typebox";
import { ExperimentId, Int64, ViewTypeIn } from "../../server/http/common.schema.js";

const ExperimentIds = Type.Array(ExperimentId, { maxItems: 1000 });
const StringOrList = Type.Union([Type.Array(Type.String(), { maxItems: 2000 }), Type.String()]);

export const SummaryQuery = Type.Object({ experiment_ids: Type.Union([Type.Array(Type.String(), { maxItems: 1000 }), Type.String()]) });
export const SummaryResponse = Type.Object({
  experiments: Type.Array(
    Type.Object({
      experiment_id: Type.String(),
      active_run_count: Type.Integer(),
      deleted_run_count: Type.Integer(),
      last_activity: Type.Optional(Type.Integer()),
    }),
  ),
});

const scopeFields = {
  experiment_ids: ExperimentIds,
  filter: Type.Optional(Type.String()),
  run_view_type: Type.Optional(ViewTypeIn),
};

export const KeysBody = Type.Object({ ...scopeFields, max_results: Type.Optional(Int64) });
export const KeysResponse = Type.Object({
  params: Type.Array(Type.String()),
  metrics: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  truncated: Type.Boolean(),
});

export const CountBody = Type.Object(scopeFields);
export const CountResponse = Type.Object({ count: Type.Integer() });

export const GroupBody = Type.Object({
  ...scopeFields,
  group_by: Type.String({ minLength: 1 }),
  metric_keys: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  max_groups: Type.Optional(Int64),
});
export const GroupResponse = Type.Object({
  groups: Type.Array(
    Type.Object({
      value: Type.Union([Type.String(), Type.Null()]),
      run_count: Type.Integer(),
      metrics: Type.Array(
        Type.Object({ key: Type.String(), mean: Type.Number(), min: Type.Number(), max: Type.Number(), count: Type.Integer() }),
      ),
    }),
  ),
  truncated: Type.Boolean(),
});

export const RunModelsBody = Type.Object({ run_ids: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1000 }) });
export const RunModelsResponse = Type.Object({
  model_versions: Type.Array(
    Type.Object({
      run_id: Type.String(),
      name: Type.String(),
      version: Type.String(),
      current_stage: Type.String(),
      status: Type.String(),
      aliases: Type.Array(Type.String()),
    }),
  ),
  logged_models: Type.Array(
    Type.Object({ run_id: Type.String(), model_id: Type.String(), name: Type.String(), status: Type.String(), experiment_id: Type.String() }),
  ),
  truncated: Type.Boolean(),
});

export const ExportQuery = Type.Object({
  experiment_ids: Type.Union([Type.Array(Type.String(), { maxItems: 1000 }), Type.String()]),
  filter: Type.Optional(Type.String()),
  run_view_type: Type.Optional(ViewTypeIn),
  order_by: Type.Optional(StringOrList),
  columns: Type.Optional(StringOrList),
});

/** Repeated query keys arrive as arrays, single ones as strings. */
export function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
