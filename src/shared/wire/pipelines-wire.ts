/**
 * The pipelines API on the wire (`/api/ciclo/v1/pipelines/…`, ciclo's own),
 * snake_case like the MLflow routes. The server validates and serialises
 * with these schemas; the SDK reads its types from them.
 * @module
 */
import Type, { type Static } from "typebox";

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" });
const RunId = Type.String({ minLength: 1, maxLength: 32, pattern: "^[A-Za-z0-9]+$" });
const Scalar = Type.Union([Type.String({ maxLength: 6000 }), Type.Number(), Type.Boolean()]);

export const WireTrigger = Type.Object({
  /** manual, cron, registry, git or monitor. */
  kind: Type.String(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  actor: Type.Optional(Type.String()),
});

export const WireStep = Type.Object({
  step_id: Type.String(),
  uses: Type.String(),
  needs: Type.Array(Type.String()),
  /** pending, queued, running, waiting, succeeded, cached, failed, skipped or cancelled. */
  status: Type.String(),
  child_run_id: Type.Optional(Type.String()),
  attempt: Type.Integer(),
  outputs: Type.Record(Type.String(), Type.Unknown()),
  cache_key: Type.Optional(Type.String()),
  cached_from: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  started_at: Type.Optional(Type.Number()),
  finished_at: Type.Optional(Type.Number()),
});
export type WireStep = Static<typeof WireStep>;

export const WireApproval = Type.Object({
  run_id: Type.String(),
  step_id: Type.String(),
  pipeline: Type.String(),
  /** pending, approved or rejected. */
  state: Type.String(),
  approvers: Type.Array(Type.String()),
  message: Type.Optional(Type.String()),
  requested_at: Type.Number(),
  answered_by: Type.Optional(Type.String()),
  answered_at: Type.Optional(Type.Number()),
  comment: Type.Optional(Type.String()),
});
export type WireApproval = Static<typeof WireApproval>;

export const WirePipelineRun = Type.Object({
  run_id: Type.String(),
  pipeline: Type.String(),
  project: Type.String(),
  experiment_id: Type.String(),
  /** running, waiting (an approval), succeeded, failed or cancelled. */
  status: Type.String(),
  inputs: Type.Record(Type.String(), Type.Unknown()),
  trigger: WireTrigger,
  no_cache: Type.Boolean(),
  error: Type.Optional(Type.String()),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  finished_at: Type.Optional(Type.Number()),
  /** When the last resume started the run again (absent: never resumed). */
  resumed_at: Type.Optional(Type.Number()),
  /** With resumed_at: ms spent running before the last resume (the time it sat failed or cancelled left out). */
  earlier_run_ms: Type.Optional(Type.Number()),
  steps: Type.Array(WireStep),
  approvals: Type.Array(WireApproval),
});
export type WirePipelineRun = Static<typeof WirePipelineRun>;

export const WirePipelineDefinition = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  experiment: Type.String(),
  inputs: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), default: Type.Optional(Scalar), description: Type.Optional(Type.String()) })),
  steps: Type.Array(Type.Object({ step_id: Type.String(), uses: Type.String(), needs: Type.Array(Type.String()), if: Type.Optional(Type.String()) })),
});
export type WirePipelineDefinition = Static<typeof WirePipelineDefinition>;

export const WireProject = Type.Object({ name: Type.String(), source: Type.String(), created_at: Type.Number() });

export const RegisterProjectRequest = Type.Object(
  { name: Name, source: Type.String({ minLength: 1, maxLength: 1000, description: "an absolute folder on the server, or a git URI (https://…/repo.git#branch)" }) },
  { additionalProperties: false },
);
/** A trigger a project's pipelines declare under `on:`, as its registration left it. */
export const WireDeclaredTrigger = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  pipeline: Type.String(),
  /** created, kept (unchanged), replaced (its settings changed), deleted (no longer declared). */
  change: Type.String(),
  /** A new webhook trigger's secret, shown this once: paste it into the provider's webhook settings. */
  secret: Type.Optional(Type.String()),
  webhook_path: Type.Optional(Type.String()),
});
export const ProjectResponse = Type.Object({ project: WireProject, pipelines: Type.Array(Type.String()), triggers: Type.Optional(Type.Array(WireDeclaredTrigger)) });
export const ListProjectsResponse = Type.Object({ projects: Type.Array(WireProject) });
export const ProjectParams = Type.Object({ name: Name });
export const DefinitionsResponse = Type.Object({ pipelines: Type.Array(WirePipelineDefinition) });

export const StartRunRequest = Type.Object(
  {
    /** A registered project's name, an absolute folder on the server, or a git URI. */
    project: Type.String({ minLength: 1, maxLength: 1000 }),
    pipeline: Name,
    inputs: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Scalar, { maxProperties: 200 })),
    no_cache: Type.Optional(Type.Boolean()),
    /** Who started it, when the server runs without authentication (with it, the signed-in user). */
    actor: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type StartRunRequest = Static<typeof StartRunRequest>;

export const RunResponse = Type.Object({ pipeline_run: WirePipelineRun });
export const ListRunsQuery = Type.Object({
  pipeline: Type.Optional(Name),
  status: Type.Optional(Type.Union(["running", "waiting", "succeeded", "failed", "cancelled"].map((s) => Type.Literal(s)))),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export const ListRunsResponse = Type.Object({ pipeline_runs: Type.Array(WirePipelineRun) });
export const RunParams = Type.Object({ run_id: RunId });
export const ResumeRequest = Type.Object({ no_cache: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const WireLogLine = Type.Object({ seq: Type.Integer(), step_id: Type.String(), attempt: Type.Integer(), time: Type.Number(), stream: Type.String(), line: Type.String() });
export type WireLogLine = Static<typeof WireLogLine>;
export const LogsQuery = Type.Object({
  step: Type.Optional(Type.String({ maxLength: 64 })),
  after_seq: Type.Optional(Type.Integer({ minimum: 0 })),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  /** Wait up to this long for new lines while the run is not finished (long poll). */
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
});
export const LogsResponse = Type.Object({ lines: Type.Array(WireLogLine), next_seq: Type.Integer(), run_status: Type.String() });

export const ListApprovalsQuery = Type.Object({ state: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("approved"), Type.Literal("rejected")])), max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) });
export const ListApprovalsResponse = Type.Object({ approvals: Type.Array(WireApproval) });
export const ApprovalParams = Type.Object({ run_id: RunId, step_id: Type.String({ minLength: 1, maxLength: 64 }) });
export const AnswerApprovalRequest = Type.Object(
  {
    approved: Type.Boolean(),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
    /** Who answers, when the server runs without authentication (with it, the signed-in user). */
    by: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export const ApprovalResponse = Type.Object({ approval: WireApproval });
