/** Request and response schemas of the logged-model routes (MLflow 3.x). */
import Type from "typebox";
import { WireLoggedModel } from "../../shared/wire/logged-model-wire.js";
import { ExperimentId, Int64, KeyValueIn, Required } from "../../server/http/common.schema.js";

const KeyValues = Type.Array(KeyValueIn, { maxItems: 10_000 });

export const ModelIdParams = Type.Object({ model_id: Type.String() });
export const ModelTagParams = Type.Object({ model_id: Type.String(), tag_key: Type.String() });
export const ModelResponse = Type.Object({ model: WireLoggedModel });
export const Empty = Type.Object({});

export const CreateLoggedModelBody = Type.Object({
  experiment_id: ExperimentId,
  name: Type.Optional(Type.String()),
  model_type: Type.Optional(Type.String()),
  source_run_id: Type.Optional(Type.String()),
  params: Type.Optional(KeyValues),
  tags: Type.Optional(KeyValues),
});

export const GetLoggedModelQuery = Type.Object({ allow_deleted: Type.Optional(Type.String()) });

/** The status by name (`LOGGED_MODEL_READY`) or proto number. */
export const FinalizeLoggedModelBody = Type.Object({
  model_id: Type.Optional(Type.String()),
  status: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]),
});

export const SetLoggedModelTagsBody = Type.Object({ model_id: Type.Optional(Type.String()), tags: Type.Optional(KeyValues) });
export const LogLoggedModelParamsBody = Type.Object({ model_id: Type.Optional(Type.String()), params: Type.Optional(KeyValues) });

export const SearchLoggedModelsBody = Type.Object({
  experiment_ids: Type.Optional(Type.Array(ExperimentId, { maxItems: 1000 })),
  filter: Type.Optional(Type.String()),
  datasets: Type.Optional(
    Type.Array(Type.Object({ dataset_name: Type.Optional(Type.String()), dataset_digest: Type.Optional(Type.String()) }), {
      maxItems: 100,
    }),
  ),
  max_results: Type.Optional(Int64),
  order_by: Type.Optional(
    Type.Array(
      Type.Object({
        field_name: Required,
        ascending: Type.Optional(Type.Boolean()),
        dataset_name: Type.Optional(Type.String()),
        dataset_digest: Type.Optional(Type.String()),
      }),
      { maxItems: 20 },
    ),
  ),
  page_token: Type.Optional(Type.String()),
});
export const SearchLoggedModelsResponse = Type.Object({
  models: Type.Optional(Type.Array(WireLoggedModel)),
  next_page_token: Type.Optional(Type.String()),
});

export const LogOutputsBody = Type.Object({
  run_id: Required,
  models: Type.Optional(
    Type.Array(Type.Object({ model_id: Type.Optional(Type.String()), step: Type.Optional(Int64) }), { maxItems: 10_000 }),
  ),
});
