/** Request and response schemas of the experiment routes. */
import Type from "typebox";
import { WireExperiment } from "../../shared/wire/tracking-wire.js";
import { ExperimentId, Int64, KeyValueList, Required, ViewTypeIn } from "../../server/http/common.schema.js";

export const CreateExperimentBody = Type.Object({
  // MLflow compat: "" is a missing name and 123 an "Invalid value 123 for parameter 'name'".
  name: Required,
  artifact_location: Type.Optional(Type.String()),
  tags: Type.Optional(KeyValueList),
});
export const CreateExperimentResponse = Type.Object({ experiment_id: Type.String() });

export const ExperimentIdQuery = Type.Object({ experiment_id: Required });
export const ExperimentByNameQuery = Type.Object({ experiment_name: Required });
export const ExperimentResponse = Type.Object({ experiment: WireExperiment });

const searchFields = {
  max_results: Type.Optional(Int64),
  page_token: Type.Optional(Type.String()),
  filter: Type.Optional(Type.String()),
  view_type: Type.Optional(ViewTypeIn),
};
export const SearchExperimentsBody = Type.Object({ ...searchFields, order_by: Type.Optional(Type.Array(Type.String())) });
export const SearchExperimentsQuery = Type.Object({
  ...searchFields,
  order_by: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
});
export const SearchExperimentsResponse = Type.Object({
  experiments: Type.Optional(Type.Array(WireExperiment)),
  next_page_token: Type.Optional(Type.String()),
});

export const UpdateExperimentBody = Type.Object({ experiment_id: ExperimentId, new_name: Type.Optional(Type.String()) });
export const ExperimentIdBody = Type.Object({ experiment_id: ExperimentId });
export const SetExperimentTagBody = Type.Object({ experiment_id: ExperimentId, key: Required, value: Type.String() });
export const DeleteExperimentTagBody = Type.Object({ experiment_id: ExperimentId, key: Required });
export const Empty = Type.Object({});
