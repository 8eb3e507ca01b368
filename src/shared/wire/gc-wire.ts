/**
 * `POST /api/ciclo/v1/gc` on the wire (ciclo's own route; MLflow's gc is a
 * CLI that opens the database itself). snake_case like the MLflow routes.
 * The server validates and serialises with these schemas; the SDK reads its
 * types from them.
 * @module
 */
import Type, { type Static } from "typebox";

const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 10_000 });

export const GcRequest = Type.Object({
  /** Only entities deleted at least this long ago (ms), measured on the server's clock. */
  older_than_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Deleted experiments to purge (each must exist and be deleted). */
  experiment_ids: Type.Optional(Ids),
  /** Deleted runs to purge (each must exist and be deleted). */
  run_ids: Type.Optional(Ids),
  /** Deleted logged models to purge (MLflow 3.x). */
  logged_model_ids: Type.Optional(Ids),
  /** List what would be purged; change nothing. */
  dry_run: Type.Optional(Type.Boolean()),
});
export type GcRequest = Static<typeof GcRequest>;

export const WireGcRun = Type.Object({
  run_id: Type.String(),
  experiment_id: Type.String(),
  run_name: Type.String(),
  artifact_uri: Type.String(),
  deleted_time: Type.Optional(Type.Number()),
});
export type WireGcRun = Static<typeof WireGcRun>;

export const WireGcLoggedModel = Type.Object({
  model_id: Type.String(),
  experiment_id: Type.String(),
  name: Type.String(),
  artifact_uri: Type.String(),
  source_run_id: Type.Optional(Type.String()),
});
export type WireGcLoggedModel = Static<typeof WireGcLoggedModel>;

const WireGcExperiment = Type.Object({
  experiment_id: Type.String(),
  name: Type.String(),
  artifact_location: Type.String(),
  deleted_time: Type.Optional(Type.Number()),
  /** The runs and logged models that go with the experiment. */
  runs: Type.Array(WireGcRun),
  logged_models: Type.Array(WireGcLoggedModel),
});
type WireGcExperiment = Static<typeof WireGcExperiment>;

const WireGcSkipped = Type.Object({
  kind: Type.Union([Type.Literal("experiment"), Type.Literal("run"), Type.Literal("logged_model")]),
  id: Type.String(),
  reason: Type.String(),
});
type WireGcSkipped = Static<typeof WireGcSkipped>;

const WireGcArtifactError = Type.Object({ uri: Type.String(), message: Type.String() });

export const GcResponse = Type.Object({
  dry_run: Type.Boolean(),
  experiments: Type.Array(WireGcExperiment),
  runs: Type.Array(WireGcRun),
  logged_models: Type.Array(WireGcLoggedModel),
  /** Candidates left alone (a registered model version still reads their artifacts). */
  skipped: Type.Array(WireGcSkipped),
  /** Artifact folders that could not be deleted after their metadata was (delete them by hand). */
  artifact_errors: Type.Array(WireGcArtifactError),
});
export type GcResponse = Static<typeof GcResponse>;
