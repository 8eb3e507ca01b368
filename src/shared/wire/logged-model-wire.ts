/**
 * MLflow 3.x logged models on the wire (`LoggedModel` of service.proto),
 * snake_case, fields in proto order, empty lists omitted (proto2 JSON).
 * @module
 */
import Type, { type Static } from "typebox";
import { WireKeyValue, WireMetric } from "./tracking-wire.js";

const WireLoggedModelInfo = Type.Object({
  model_id: Type.String(),
  experiment_id: Type.String(),
  name: Type.String(),
  creation_timestamp_ms: Type.Number(),
  last_updated_timestamp_ms: Type.Number(),
  artifact_uri: Type.String(),
  /** LOGGED_MODEL_PENDING, LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED. */
  status: Type.String(),
  model_type: Type.Optional(Type.String()),
  source_run_id: Type.Optional(Type.String()),
  status_message: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(WireKeyValue)),
});
type WireLoggedModelInfo = Static<typeof WireLoggedModelInfo>;

export const WireLoggedModel = Type.Object({
  info: WireLoggedModelInfo,
  data: Type.Object({
    params: Type.Optional(Type.Array(WireKeyValue)),
    /** The points logged with the model's id; each carries `model_id` and `run_id`. */
    metrics: Type.Optional(Type.Array(WireMetric)),
  }),
});
export type WireLoggedModel = Static<typeof WireLoggedModel>;
