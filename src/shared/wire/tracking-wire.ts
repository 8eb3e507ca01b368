/**
 * MLflow's tracking entities as they travel on the wire (snake_case JSON,
 * proto field names). TypeBox schemas: the server serialises with them and
 * the SDK and UI get their types from them.
 *
 * MLflow compat: ids are strings, timestamps are millisecond numbers, doubles
 * that JSON cannot hold travel as "NaN", "Infinity", "-Infinity", and empty
 * repeated fields are omitted (proto2 JSON).
 * @module
 */
import Type, { type Static } from "typebox";

/** int64 as MLflow accepts it: a JSON number or a numeric string. */
export const Int64 = Type.Union([Type.Integer(), Type.String({ pattern: "^-?[0-9]{1,19}$" })]);
/** double as MLflow accepts it: a number, a numeric string, or "NaN"/"Infinity"/"-Infinity". */
export const Double = Type.Union([
  Type.Number(),
  Type.String({ pattern: "^(NaN|-?Infinity|-?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)$" }),
]);

export const WireKeyValue = Type.Object({ key: Type.String(), value: Type.String() });
export type WireKeyValue = Static<typeof WireKeyValue>;

export const WireExperiment = Type.Object({
  experiment_id: Type.String(),
  name: Type.String(),
  artifact_location: Type.String(),
  lifecycle_stage: Type.String(),
  last_update_time: Type.Optional(Type.Number()),
  creation_time: Type.Optional(Type.Number()),
  tags: Type.Optional(Type.Array(WireKeyValue)),
});
export type WireExperiment = Static<typeof WireExperiment>;

export const WireRunInfo = Type.Object({
  run_id: Type.String(),
  run_uuid: Type.String(),
  run_name: Type.Optional(Type.String()),
  experiment_id: Type.String(),
  user_id: Type.String(),
  status: Type.String(),
  start_time: Type.Optional(Type.Number()),
  end_time: Type.Optional(Type.Number()),
  artifact_uri: Type.Optional(Type.String()),
  lifecycle_stage: Type.String(),
});
export type WireRunInfo = Static<typeof WireRunInfo>;

const MetricFields = {
  key: Type.String(),
  /** A number, or "NaN" / "Infinity" / "-Infinity". */
  value: Type.Union([Type.Number(), Type.String()]),
  timestamp: Type.Number(),
  step: Type.Number(),
};

export const WireMetric = Type.Object({
  ...MetricFields,
  dataset_name: Type.Optional(Type.String()),
  dataset_digest: Type.Optional(Type.String()),
  model_id: Type.Optional(Type.String()),
  run_id: Type.Optional(Type.String()),
});
export type WireMetric = Static<typeof WireMetric>;

export const WireMetricWithRunId = Type.Object({ ...MetricFields, run_id: Type.String() });
export type WireMetricWithRunId = Static<typeof WireMetricWithRunId>;

const WireDataset = Type.Object({
  name: Type.String(),
  digest: Type.String(),
  source_type: Type.String(),
  source: Type.String(),
  schema: Type.Optional(Type.String()),
  profile: Type.Optional(Type.String()),
});
type WireDataset = Static<typeof WireDataset>;

export const WireDatasetInput = Type.Object({
  tags: Type.Optional(Type.Array(WireKeyValue)),
  dataset: WireDataset,
});
export type WireDatasetInput = Static<typeof WireDatasetInput>;

export const WireRun = Type.Object({
  info: WireRunInfo,
  data: Type.Object({
    metrics: Type.Optional(Type.Array(WireMetric)),
    params: Type.Optional(Type.Array(WireKeyValue)),
    tags: Type.Optional(Type.Array(WireKeyValue)),
  }),
  inputs: Type.Object({
    dataset_inputs: Type.Optional(Type.Array(WireDatasetInput)),
    /** MLflow 3.x: logged models the run used. */
    model_inputs: Type.Optional(Type.Array(Type.Object({ model_id: Type.String() }))),
  }),
  /** MLflow 3.x: logged models the run produced (present on runs/get and runs/search). */
  outputs: Type.Optional(
    Type.Object({ model_outputs: Type.Optional(Type.Array(Type.Object({ model_id: Type.String(), step: Type.Number() }))) }),
  ),
});
export type WireRun = Static<typeof WireRun>;

/** Converts a wire double (number or special string) into a JS number. */
export function parseWireDouble(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return Number(v);
}

/** Converts a JS number into MLflow's JSON form of a double. */
export function toWireDouble(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}
