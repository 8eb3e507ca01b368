/** Request and response schemas of the model-registry routes (MLflow's model_registry.proto, snake_case). */
import Type from "typebox";
import { WireModelVersion, WireModelVersionLineage, WireRegisteredModel, WireRegistryEvent } from "../../shared/wire/registry-wire.js";
import { Int64, KeyValueList, Required } from "../../server/http/common.schema.js";

/** MLflow sends versions as strings; ciclo also takes the integers some clients send (the 3.0 modelVersions tag has both). */
const VersionIn = Type.Union([Type.String({ minLength: 1 }), Type.Integer()]);
const StringOrList = Type.Union([Type.Array(Type.String()), Type.String()]);

export const Empty = Type.Object({});
export const NameBody = Type.Object({ name: Required });
export const NameQuery = Type.Object({ name: Required });
export const RegisteredModelResponse = Type.Object({ registered_model: WireRegisteredModel });
export const ModelVersionResponse = Type.Object({ model_version: WireModelVersion });
export const ModelVersionsResponse = Type.Object({ model_versions: Type.Optional(Type.Array(WireModelVersion)) });

export const CreateRegisteredModelBody = Type.Object({
  name: Required,
  tags: Type.Optional(KeyValueList),
  description: Type.Optional(Type.String()),
});
export const RenameRegisteredModelBody = Type.Object({ name: Required, new_name: Type.Optional(Type.String()) });
export const UpdateRegisteredModelBody = Type.Object({ name: Required, description: Type.Optional(Type.String()) });

const searchFields = {
  filter: Type.Optional(Type.String()),
  max_results: Type.Optional(Int64),
  page_token: Type.Optional(Type.String()),
  order_by: Type.Optional(StringOrList),
};
export const SearchQuery = Type.Object(searchFields);
export const SearchRegisteredModelsResponse = Type.Object({
  registered_models: Type.Optional(Type.Array(WireRegisteredModel)),
  next_page_token: Type.Optional(Type.String()),
});
export const SearchModelVersionsResponse = Type.Object({
  model_versions: Type.Optional(Type.Array(WireModelVersion)),
  next_page_token: Type.Optional(Type.String()),
});

export const LatestVersionsBody = Type.Object({ name: Required, stages: Type.Optional(Type.Array(Type.String())) });
export const LatestVersionsQuery = Type.Object({ name: Required, stages: Type.Optional(StringOrList) });

export const SetTagBody = Type.Object({ name: Required, key: Required, value: Type.Optional(Type.String()) });
export const DeleteTagBody = Type.Object({ name: Required, key: Required });
export const SetAliasBody = Type.Object({ name: Required, alias: Required, version: VersionIn });
export const AliasBody = Type.Object({ name: Required, alias: Required });
export const AliasQuery = Type.Object({ name: Required, alias: Required });

export const CreateModelVersionBody = Type.Object({
  name: Required,
  source: Required,
  run_id: Type.Optional(Type.String()),
  tags: Type.Optional(KeyValueList),
  run_link: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  model_id: Type.Optional(Type.String()),
});
export const VersionBody = Type.Object({ name: Required, version: VersionIn });
export const VersionQuery = Type.Object({ name: Required, version: VersionIn });
export const UpdateModelVersionBody = Type.Object({ name: Required, version: VersionIn, description: Type.Optional(Type.String()) });
export const TransitionStageBody = Type.Object({
  name: Required,
  version: VersionIn,
  stage: Required,
  archive_existing_versions: Type.Optional(Type.Boolean()),
});
export const SetVersionTagBody = Type.Object({ name: Required, version: VersionIn, key: Required, value: Type.Optional(Type.String()) });
export const DeleteVersionTagBody = Type.Object({ name: Required, version: VersionIn, key: Required });
export const DownloadUriResponse = Type.Object({ artifact_uri: Type.String() });

export const ModelVersionArtifactQuery = Type.Object({ name: Required, version: VersionIn, path: Required });

export const HistoryQuery = Type.Object({ name: Required, max_results: Type.Optional(Int64), page_token: Type.Optional(Type.String()) });
export const HistoryResponse = Type.Object({ events: Type.Array(WireRegistryEvent), next_page_token: Type.Optional(Type.String()) });
export const LineageResponse = WireModelVersionLineage;
