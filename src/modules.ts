/**
 * The capabilities `ciclo server` runs, in dependency order: a module may use
 * the services of the modules above it. Adding a capability is its folder
 * plus one line here (see ARCHITECTURE.md).
 * @module
 */
import { authModule } from "./auth/http/auth-module.js";
import { artifactsModule } from "./artifacts/http/artifacts-module.js";
import { deploymentsModule } from "./deployments/http/deployments-module.js";
import { jobsModule } from "./jobs/http/jobs-module.js";
import { resolveJobsConfig, type ServerConfig } from "./server/config.js";
import { gcModule } from "./gc/http/gc-module.js";
import { monitoringModule } from "./monitoring/http/monitoring-module.js";
import { pipelinesModule } from "./pipelines/http/pipelines-module.js";
import { pipelineTriggersModule } from "./pipelines/triggers/http/pipeline-triggers-module.js";
import { loggedModelsModule } from "./logged-models/http/logged-models-module.js";
import { registryModule } from "./registry/http/registry-module.js";
import type { CicloModule } from "./server/module.js";
import { uiModule } from "./server/ui-module.js";
import { trackingModule } from "./tracking/http/tracking-module.js";
import { tracesModule } from "./tracking/traces/http/traces-module.js";

/**
 * `config` (the server's flags and environment) sets authentication, the job
 * runner, the gc schedule, tracing, the kubernetes target and the outbound policy; defaults otherwise
 * (auth off, no traces, local deployments only, webhooks to public addresses only).
 * auth is first: its permission check must cover every route mounted after it.
 */
export function serverModules(config?: Pick<ServerConfig, "jobs" | "auth" | "tracing" | "kubernetes" | "outbound" | "monitoring">): CicloModule[] {
  const jobs = config?.jobs ?? resolveJobsConfig({});
  // One outbound policy for every call to a URL a user gave (webhooks, pipeline notifications).
  const outbound = config?.outbound;
  const mon = config?.monitoring;
  return [
    authModule(config?.auth),
    jobsModule(jobs),
    trackingModule(),
    uiModule(),
    artifactsModule(),
    loggedModelsModule(),
    tracesModule(),
    registryModule(),
    monitoringModule({
      ...(mon && {
        sampleRate: mon.sampleRate,
        recorder: { maxBuffered: mon.maxBuffered, flushIntervalMs: mon.flushIntervalMs, flushEvents: mon.segmentRequests },
        retentionMs: mon.retentionMs,
        tickCron: mon.tickCron,
        retentionCron: mon.retentionCron,
        webhookTimeoutMs: mon.webhookTimeoutMs,
      }),
      // --monitor-webhook-allow and the server-wide CICLO_OUTBOUND_PRIVATE_HOSTS both name internal receivers.
      webhookAllow: [...(mon?.webhookAllow ?? []), ...(outbound?.privateHosts ?? [])],
      webhookAllowHosts: outbound?.allowHosts,
    }),
    gcModule({ schedule: jobs.gcSchedule, olderThanMs: jobs.gcOlderThanMs }),
    deploymentsModule({ tracing: config?.tracing, kubernetes: config?.kubernetes }),
    pipelinesModule({
      notifyPolicy: outbound && { allowHosts: outbound.allowHosts, privateHosts: outbound.privateHosts },
      // runs-on: kubernetes steps: Jobs in the deployments' namespace, reaching the server at --k8s-tracking-uri.
      kubernetes: config?.kubernetes && { namespace: config.kubernetes.namespace, trackingUri: config.kubernetes.trackingUri },
    }),
    pipelineTriggersModule(),
  ];
}
