/**
 * Managed deployments on the wire (`/api/ciclo/v1/endpoints…`, ciclo's own
 * API), snake_case like the MLflow routes. The server validates and
 * serialises with these schemas; the SDK, CLI and UI read their types here.
 * @module
 */
import Type, { type Static } from "typebox";

const Percentages = Type.Record(Type.String({ maxLength: 64 }), Type.Number());
/** An env value, or the name of a server secret (`{secret: "name"}`) read only when a model server starts. */
export const WireSecretRef = Type.Object({ secret: Type.String({ maxLength: 128 }) }, { additionalProperties: false });
export type WireSecretRef = Static<typeof WireSecretRef>;
const EnvVars = Type.Record(Type.String({ maxLength: 128 }), Type.Union([Type.String({ maxLength: 4096 }), WireSecretRef]));

export const WireAnalysis = Type.Object({
  /** Largest share of 5xx/unreachable answers the candidate may give (0.05 = 5 %). */
  max_error_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** Largest p99 latency, ms. */
  max_p99_ms: Type.Optional(Type.Number({ minimum: 0 })),
  /** Largest mean absolute difference of the candidate's predictions from the stable one's (mirrored requests). */
  max_divergence: Type.Optional(Type.Number({ minimum: 0 })),
  /** Requests a step needs before it is judged (fewer: the step waits). */
  min_requests: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
});
export type WireAnalysis = Static<typeof WireAnalysis>;

export const WireStrategy = Type.Object({
  /** `canary` (stepwise, judged at each step) or `blue-green` (all at once after readiness and one judged mirror step). */
  kind: Type.Union([Type.Literal("canary"), Type.Literal("blue-green")]),
  /** Canary traffic percentages, rising, ending at 100 (default 10, 50, 100). */
  steps: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1, maxItems: 20 })),
  /** How long each step runs before it is judged, seconds (default 60). */
  step_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  analysis: Type.Optional(WireAnalysis),
});
export type WireStrategy = Static<typeof WireStrategy>;

export const WireReplica = Type.Object({
  index: Type.Integer(),
  /** The pod's name (kubernetes target). */
  name: Type.Optional(Type.String()),
  /** starting, ready, draining, restarting, failed, stopped. */
  state: Type.String(),
  pid: Type.Optional(Type.Integer()),
  url: Type.Optional(Type.String()),
  restarts: Type.Integer(),
  last_exit: Type.Optional(Type.String()),
  started_at: Type.Optional(Type.Number()),
});

export const WireDeploymentHealth = Type.Object({
  ready_replicas: Type.Integer(),
  desired_replicas: Type.Integer(),
  restarts: Type.Integer(),
  replicas: Type.Array(WireReplica),
  requests: Type.Number(),
  errors: Type.Number(),
  p50_ms: Type.Optional(Type.Number()),
  p99_ms: Type.Optional(Type.Number()),
  recent_errors: Type.Array(Type.String()),
  /** Kubernetes target: a failed apply, then the cluster's recent Warning events about the deployment's pods. */
  events: Type.Optional(Type.Array(Type.String())),
});
export type WireDeploymentHealth = Static<typeof WireDeploymentHealth>;

export const WireDeployment = Type.Object({
  endpoint: Type.String(),
  name: Type.String(),
  /** As given: `models:/name/3` or `models:/name@champion`. */
  model_uri: Type.String(),
  model_name: Type.String(),
  /** The version it serves (an alias is resolved when the deployment is made). */
  model_version: Type.String(),
  /** The alias it follows, when the URI named one. */
  follow_alias: Type.Optional(Type.String()),
  target: Type.String(),
  replicas: Type.Integer(),
  env: EnvVars,
  creation_timestamp: Type.Number(),
  last_updated_timestamp: Type.Number(),
  health: Type.Optional(WireDeploymentHealth),
});
export type WireDeployment = Static<typeof WireDeployment>;

export const WireEndpoint = Type.Object({
  name: Type.String(),
  description: Type.String(),
  /** Live traffic per deployment, percent; sums to 100 once any is set. */
  traffic: Percentages,
  /** Mirrored (shadow) share per deployment, percent of requests; answers discarded. */
  mirror_traffic: Percentages,
  strategy: WireStrategy,
  /** A request header whose value pins a client to one deployment (sticky routing); none: random by weight. */
  sticky_header: Type.Optional(Type.String()),
  creation_timestamp: Type.Number(),
  last_updated_timestamp: Type.Number(),
  deployments: Type.Array(WireDeployment),
});
export type WireEndpoint = Static<typeof WireEndpoint>;

export const WireHistoryEntry = Type.Object({
  id: Type.String(),
  endpoint: Type.String(),
  deployment: Type.Optional(Type.String()),
  /** endpoint.created, deployment.updated, traffic.set, rollout.step, rollout.rolled_back, ... */
  action: Type.String(),
  actor: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  detail: Type.Unknown(),
  timestamp: Type.Number(),
});
export type WireHistoryEntry = Static<typeof WireHistoryEntry>;

export const WireRollout = Type.Object({
  rollout_id: Type.String(),
  endpoint: Type.String(),
  stable: Type.String(),
  candidate: Type.String(),
  strategy: WireStrategy,
  /** Index into the strategy's steps of the step running now. */
  step: Type.Integer(),
  /** running, paused, succeeded, rolled_back, aborted. */
  state: Type.String(),
  reason: Type.Optional(Type.String()),
  last_analysis: Type.Optional(Type.Unknown()),
  started_at: Type.Number(),
  updated_at: Type.Number(),
});
export type WireRollout = Static<typeof WireRollout>;

const Name = Type.String({ minLength: 1, maxLength: 64 });

export const EndpointParams = Type.Object({ name: Name });
export const DeploymentParams = Type.Object({ name: Name, deployment: Name });
export const RolloutParams = Type.Object({ name: Name, rollout_id: Type.String({ minLength: 1, maxLength: 32 }), action: Type.String({ maxLength: 16 }) });

export const CreateEndpointRequest = Type.Object({
  name: Type.String({ maxLength: 1000 }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  strategy: Type.Optional(WireStrategy),
  sticky_header: Type.Optional(Type.String({ maxLength: 128 })),
});
export type CreateEndpointRequest = Static<typeof CreateEndpointRequest>;

export const UpdateEndpointRequest = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  strategy: Type.Optional(WireStrategy),
  sticky_header: Type.Optional(Type.String({ maxLength: 128 })),
});
export type UpdateEndpointRequest = Static<typeof UpdateEndpointRequest>;

export const SetTrafficRequest = Type.Object({
  traffic: Percentages,
  mirror_traffic: Type.Optional(Percentages),
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type SetTrafficRequest = Static<typeof SetTrafficRequest>;

export const CreateDeploymentRequest = Type.Object({
  name: Type.String({ maxLength: 1000 }),
  model_uri: Type.String({ maxLength: 1000 }),
  target: Type.Optional(Type.String({ maxLength: 32 })),
  replicas: Type.Optional(Type.Integer()),
  env: Type.Optional(EnvVars),
});
export type CreateDeploymentRequest = Static<typeof CreateDeploymentRequest>;

export const UpdateDeploymentRequest = Type.Object({
  model_uri: Type.Optional(Type.String({ maxLength: 1000 })),
  replicas: Type.Optional(Type.Integer()),
  env: Type.Optional(EnvVars),
});
export type UpdateDeploymentRequest = Static<typeof UpdateDeploymentRequest>;

export const StartRolloutRequest = Type.Object({
  candidate: Name,
  strategy: Type.Optional(WireStrategy),
});
export type StartRolloutRequest = Static<typeof StartRolloutRequest>;

export const LogsQuery = Type.Object({ tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) });

export const EndpointResponse = Type.Object({ endpoint: WireEndpoint });
export type EndpointResponse = Static<typeof EndpointResponse>;
export const ListEndpointsResponse = Type.Object({ endpoints: Type.Array(WireEndpoint) });
export type ListEndpointsResponse = Static<typeof ListEndpointsResponse>;
export const DeploymentResponse = Type.Object({ deployment: WireDeployment });
export type DeploymentResponse = Static<typeof DeploymentResponse>;
export const HistoryResponse = Type.Object({ history: Type.Array(WireHistoryEntry) });
export type HistoryResponse = Static<typeof HistoryResponse>;
export const RolloutResponse = Type.Object({ rollout: WireRollout });
export type RolloutResponse = Static<typeof RolloutResponse>;
export const ListRolloutsResponse = Type.Object({ rollouts: Type.Array(WireRollout) });
export type ListRolloutsResponse = Static<typeof ListRolloutsResponse>;
export const LogsResponse = Type.Object({ lines: Type.Array(Type.String()) });
export type LogsResponse = Static<typeof LogsResponse>;

/** What a standalone `ciclo gateway` reads to route: each endpoint's weights and its ready replicas. */
export const WireRouteTable = Type.Object({
  endpoints: Type.Array(
    Type.Object({
      name: Type.String(),
      sticky_header: Type.Optional(Type.String()),
      deployments: Type.Array(
        Type.Object({
          name: Type.String(),
          /** The registered model (what a gateway files its inference logs under). */
          model_name: Type.Optional(Type.String()),
          model_version: Type.String(),
          weight: Type.Number(),
          mirror: Type.Number(),
          urls: Type.Array(Type.String()),
        }),
      ),
    }),
  ),
  /**
   * The server keeps inference logs (its monitoring module runs): a router in front logs the scoring requests it
   * routes to `POST /api/ciclo/v1/monitoring/inference` and marks them, so the replicas do not log them again.
   */
  inference_logging: Type.Optional(Type.Boolean()),
});
export type WireRouteTable = Static<typeof WireRouteTable>;
