/**
 * MLflow's model-registry entities as they travel on the wire (snake_case,
 * proto field names, proto2 presence: unset fields and empty lists omitted),
 * plus ciclo's history and lineage shapes. TypeBox schemas: the server
 * serialises with them and the SDK and UI get their types from them.
 * @module
 */
import Type, { type Static } from "typebox";
import { WireKeyValue, WireMetric, WireRunInfo } from "./tracking-wire.js";

export const WireModelVersion = Type.Object({
  name: Type.String(),
  version: Type.String(),
  creation_timestamp: Type.Number(),
  last_updated_timestamp: Type.Optional(Type.Number()),
  user_id: Type.Optional(Type.String()),
  current_stage: Type.String(),
  description: Type.Optional(Type.String()),
  source: Type.String(),
  run_id: Type.Optional(Type.String()),
  status: Type.String(),
  status_message: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(WireKeyValue)),
  run_link: Type.Optional(Type.String()),
  aliases: Type.Optional(Type.Array(Type.String())),
  /** MLflow 3.x: the logged model the version was registered from. */
  model_id: Type.Optional(Type.String()),
});
export type WireModelVersion = Static<typeof WireModelVersion>;

const WireRegisteredModelAlias = Type.Object({ alias: Type.String(), version: Type.String() });

export const WireRegisteredModel = Type.Object({
  name: Type.String(),
  creation_timestamp: Type.Number(),
  last_updated_timestamp: Type.Optional(Type.Number()),
  description: Type.Optional(Type.String()),
  latest_versions: Type.Optional(Type.Array(WireModelVersion)),
  tags: Type.Optional(Type.Array(WireKeyValue)),
  aliases: Type.Optional(Type.Array(WireRegisteredModelAlias)),
});
export type WireRegisteredModel = Static<typeof WireRegisteredModel>;

/** One audit record of `GET /api/ciclo/v1/registered-models/history`. */
export const WireRegistryEvent = Type.Object({
  event_id: Type.String(),
  timestamp: Type.Number(),
  actor: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  version: Type.Union([Type.String(), Type.Null()]),
  entity: Type.String(),
  action: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
});
export type WireRegistryEvent = Static<typeof WireRegistryEvent>;

const WireFileInfo = Type.Object({ path: Type.String(), is_dir: Type.Boolean(), file_size: Type.Optional(Type.Number()) });

/** `GET /api/ciclo/v1/model-versions/lineage`. */
export const WireModelVersionLineage = Type.Object({
  model_version: WireModelVersion,
  download_uri: Type.String(),
  run: Type.Optional(WireRunInfo),
  experiment: Type.Optional(Type.Object({ experiment_id: Type.String(), name: Type.String(), artifact_location: Type.String() })),
  params: Type.Array(WireKeyValue),
  metrics: Type.Array(WireMetric),
  code: Type.Object({
    git_commit: Type.Optional(Type.String()),
    git_repo_url: Type.Optional(Type.String()),
    git_branch: Type.Optional(Type.String()),
    source_name: Type.Optional(Type.String()),
    source_type: Type.Optional(Type.String()),
    entry_point: Type.Optional(Type.String()),
  }),
  datasets: Type.Array(
    Type.Object({ name: Type.String(), digest: Type.String(), source_type: Type.String(), source: Type.String(), context: Type.Optional(Type.String()) }),
  ),
  artifacts: Type.Array(WireFileInfo),
  artifacts_truncated: Type.Boolean(),
  warnings: Type.Array(Type.String()),
});
export type WireModelVersionLineage = Static<typeof WireModelVersionLineage>;
