/**
 * Domain objects to the wire (snake_case), with each deployment's health
 * (replicas from the target, requests and latency from the router).
 * @module
 */
import type { Deployment, HistoryEntry, Rollout, Strategy } from "../endpoints/endpoint-types.js";
import type { EndpointView } from "../endpoints/endpoint-service.js";
import type { AbResult } from "../ab/ab-service.js";
import type { WireAbReport } from "../../shared/wire/ab-wire.js";
import type { WireDeployment, WireDeploymentHealth, WireEndpoint, WireHistoryEntry, WireRollout, WireStrategy } from "../../shared/wire/deployments-wire.js";

export type HealthOf = (d: Deployment) => WireDeploymentHealth | undefined;

export function strategyToWire(s: Strategy): WireStrategy {
  return {
    kind: s.kind,
    steps: s.steps,
    step_seconds: s.stepSeconds,
    analysis: {
      max_error_rate: s.analysis.maxErrorRate,
      max_p99_ms: s.analysis.maxP99Ms,
      ...(Number.isFinite(s.analysis.maxDivergence) && { max_divergence: s.analysis.maxDivergence }),
      min_requests: s.analysis.minRequests,
    },
  };
}

export function deploymentToWire(d: Deployment, health?: HealthOf): WireDeployment {
  const h = health?.(d);
  return {
    endpoint: d.endpoint,
    name: d.name,
    model_uri: d.modelUri,
    model_name: d.modelName,
    model_version: d.modelVersion,
    ...(d.followAlias !== undefined && { follow_alias: d.followAlias }),
    target: d.target,
    replicas: d.replicas,
    env: d.env,
    creation_timestamp: d.createdAt,
    last_updated_timestamp: d.updatedAt,
    ...(h && { health: h }),
  };
}

export function endpointToWire(v: EndpointView, health?: HealthOf): WireEndpoint {
  const e = v.endpoint;
  return {
    name: e.name,
    description: e.description,
    traffic: e.traffic,
    mirror_traffic: e.mirror,
    strategy: strategyToWire(e.strategy),
    ...(e.stickyHeader !== undefined && { sticky_header: e.stickyHeader }),
    creation_timestamp: e.createdAt,
    last_updated_timestamp: e.updatedAt,
    deployments: v.deployments.map((d) => deploymentToWire(d, health)),
  };
}

export function historyToWire(h: HistoryEntry): WireHistoryEntry {
  return {
    id: h.id,
    endpoint: h.endpoint,
    ...(h.deployment !== undefined && { deployment: h.deployment }),
    action: h.action,
    ...(h.actor !== null && { actor: h.actor }),
    ...(h.reason !== undefined && { reason: h.reason }),
    detail: h.detail ?? null,
    timestamp: h.time,
  };
}

export function rolloutToWire(r: Rollout): WireRollout {
  return {
    rollout_id: r.id,
    endpoint: r.endpoint,
    stable: r.stable,
    candidate: r.candidate,
    strategy: strategyToWire(r.strategy),
    step: r.step,
    state: r.state,
    ...(r.reason !== undefined && { reason: r.reason }),
    ...(r.lastAnalysis !== undefined && { last_analysis: r.lastAnalysis }),
    started_at: r.startedAt,
    updated_at: r.updatedAt,
  };
}

const num = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

export function abToWire(r: AbResult): WireAbReport {
  const t = r.test;
  return {
    endpoint: r.endpoint,
    window_start: r.start,
    window_end: r.end,
    alpha: r.alpha,
    min_samples: r.minSamples,
    loss: r.loss,
    ...(r.task !== undefined && { task: r.task }),
    variants: r.variants.map((v) => ({
      deployment: v.deployment,
      model_version: v.modelVersion,
      traffic: v.traffic,
      requests: v.requests,
      errors: v.errors,
      error_rate: v.errorRate,
      ...(v.p50Ms !== undefined && { p50_ms: v.p50Ms }),
      ...(v.p99Ms !== undefined && { p99_ms: v.p99Ms }),
      ...(v.loggedRows !== undefined && { logged_rows: v.loggedRows }),
      labelled: v.labelled,
      ...(v.accuracy !== undefined && { accuracy: v.accuracy }),
      ...(v.misclassification !== undefined && { misclassification_rate: v.misclassification }),
      ...(v.mae !== undefined && { mean_absolute_error: v.mae }),
      ...(v.rmse !== undefined && { root_mean_squared_error: v.rmse }),
    })),
    ...(t && {
      test: {
        a: t.a,
        b: t.b,
        method: t.method,
        metric: t.metric,
        n_a: t.nA,
        n_b: t.nB,
        ...(t.result && {
          statistic: num(t.result.statistic),
          p_value: num(t.result.pValue),
          ...(t.result.df !== undefined && { df: num(t.result.df) }),
          effect: { estimate: t.result.difference.estimate, ci_low: num(t.result.difference.low), ci_high: num(t.result.difference.high), confidence: t.result.difference.confidence },
        }),
        verdict: t.verdict,
        ...(t.better !== undefined && { better: t.better }),
        reason: t.reason,
      },
    }),
    notes: r.notes,
  };
}
