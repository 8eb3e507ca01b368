/**
 * Managed deployments as a module: endpoints and deployments (API under
 * `/api/ciclo/v1/endpoints`), the targets that run their model servers
 * (`local`: processes; `container`: the model's image under podman), the router at `/endpoints/{name}/...` with its `/metrics`, and
 * rollouts — stepped by the job runner, started by hand or when a followed
 * alias moves (the `registry.registered_model_alias.set` event).
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { CicloModule, JobScheduler } from "../../server/module.js";
import { SqlDeploymentStore } from "../../store/sql/deployments/sql-deployment-store.js";
import { deploymentsMigration } from "../../store/sql/deployments/deployments-migration.js";
import { replicaOwnerMigration } from "../../store/sql/deployments/replica-owner-migration.js";
import { InvalidStateError } from "../../shared/errors.js";
import type { WireDeploymentHealth, WireRouteTable } from "../../shared/wire/deployments-wire.js";
import type { DeploymentStore } from "../endpoints/deployment-store.js";
import { EndpointService } from "../endpoints/endpoint-service.js";
import type { Deployment } from "../endpoints/endpoint-types.js";
import { EndpointRouter, type RouteEndpoint } from "../router/endpoint-router.js";
import { RouterInferenceFeed } from "../router/inference-feed.js";
import { RolloutService } from "../rollouts/rollout-service.js";
import { AbService } from "../ab/ab-service.js";
import { containerRunner } from "../targets/container-runner.js";
import { LocalTarget, type LocalTargetOptions, type ReplicaStatus } from "../targets/local-target.js";
import type { KubernetesTarget } from "../targets/kubernetes-target.js";
import { TargetSet } from "../targets/target-set.js";
import { newReplicaOwner } from "../targets/replica-owner.js";
import { deploymentRoutes } from "./deployment-routes.js";
import { registerInvocationRoutes } from "./invocation-routes.js";
import { requestActor } from "../../server/http/request-actor.js";
import { loadTracing, type TracingConfig } from "../../telemetry/tracing.js";
import { CICLO_BIN, ownUrl } from "../../server/http/own-url.js";

export interface DeploymentsModuleServices {
  store: DeploymentStore;
  service: EndpointService;
  rollouts: RolloutService;
  router: EndpointRouter;
  target: TargetSet;
  /** The kubernetes target, when the server is configured for one. */
  kubernetes?: KubernetesTarget;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    deployments: DeploymentsModuleServices;
  }
}

export interface DeploymentsModuleOptions {
  /** How to run ciclo for a model server: `[node, entry]` (default: this node and bin/ciclo.js). */
  command?: readonly string[];
  /** The model servers' environment before each deployment's env (default: the server's). */
  childEnv?: NodeJS.ProcessEnv;
  /** Restart backoff of exited replicas (default 500 ms doubling to 30 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** How long a stopped replica may drain, seconds (default 10). */
  drainSeconds?: number;
  /** Inference threads per replica (default 1). */
  workers?: number;
  /** Spans for routed requests; the local target's model servers export to the same place (absent: no tracing). */
  tracing?: TracingConfig;
  /** The `container` target's podman command and environment (default: `podman`, the server's env). */
  podman?: { command?: string; env?: NodeJS.ProcessEnv; runArgs?: string[] };
  /** The kubernetes target (absent: deployments may use only `local`). */
  kubernetes?: KubernetesTargetConfig;
  /** Answer plain scoring requests below Fastify (router/fast-path.ts; default true, off when authentication is on). */
  fastPath?: boolean;
}

export interface KubernetesTargetConfig {
  /** The namespace ciclo's objects go to. */
  namespace: string;
  /** The model-server image of a version, `{model}` and `{version}` replaced (default `{model}:{version}`). */
  imageTemplate?: string;
  /** A kubeconfig's YAML (default: $KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster). */
  kubeconfig?: string;
  /** Server-side apply with force (default true). */
  force?: boolean;
  /** The router's URL of a deployment (default its Service's in-cluster name). */
  serviceUrl?: (endpoint: string, deployment: string, namespace: string) => string;
  cpu?: string;
  memory?: string;
}

export function deploymentsModule(opts: DeploymentsModuleOptions = {}): CicloModule {
  return {
    id: "deployments",
    migrations: [deploymentsMigration, replicaOwnerMigration],
    async init(ctx) {
      // The OpenTelemetry SDK is imported only when tracing is configured.
      const tracing = await loadTracing(opts.tracing);
      // The Kubernetes client is imported only when the target is configured.
      const k8s = opts.kubernetes ? await startKubernetesTarget(opts.kubernetes, opts.tracing, () => void refresh(), (msg, f) => ctx.logger.info(f ?? {}, msg)) : undefined;
      const store = new SqlDeploymentStore(ctx.db);
      const registry = ctx.get("registry").store;
      const service = new EndpointService(store, {
        checkVersion: async (name, version) => void (await registry.getModelVersion(name, version)),
        aliasVersion: async (name, alias) => (await registry.getModelVersionByAlias(name, alias)).version,
      });
      if (k8s) service.availableTargets = ["local", "container", "kubernetes"];
      // Env entries may name the auth module's secrets (it is always listed first and always provides the store).
      const secrets = ctx.find("secrets");
      service.secrets = secrets;
      k8s?.useSecrets(secrets);
      const scheduler: JobScheduler | undefined = ctx.find("scheduler");
      // Scoring requests reach monitoring's inference store when that module runs (no wiring by the user).
      const monitoring = ctx.find("monitoring");
      const log = (msg: string, fields: Record<string, unknown> = {}) => ctx.logger.info(fields, msg);
      let app: FastifyInstance | undefined;

      // The routing table follows the database and the target's ready replicas; rebuilds coalesce.
      let rebuilding: Promise<void> | undefined;
      let again = false;
      const refresh = (): Promise<void> => {
        if (rebuilding) {
          again = true;
          return rebuilding;
        }
        rebuilding = (async () => {
          do {
            again = false;
            router.setTable(await routeEndpoints());
          } while (again);
        })()
          .catch((err: Error) => ctx.logger.error({ err }, "deployments: could not rebuild the routing table"))
          .finally(() => (rebuilding = undefined));
        return rebuilding;
      };

      const targetOptions: LocalTargetOptions = {
        command: opts.command ?? [process.execPath, CICLO_BIN],
        baseEnv: { ...(opts.childEnv ?? process.env), ...(opts.tracing && { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: opts.tracing.tracesUrl }) },
        trackingUri: () => (app ? ownUrl(app) : Promise.reject(new Error("the server has no HTTP listener"))),
        store,
        // One identity for both targets: what this server runs, whichever target started it.
        owner: newReplicaOwner(),
        scheduleRestart: async (endpoint, deployment, index, delayMs) => {
          // The replica is this server's own child: only this server's worker can restart it (another server's
          // worker would find its own replica running, and this one would stay `restarting`). A server that runs
          // no worker (`--no-jobs`) restarts it itself, after the same backoff.
          if (scheduler?.self === undefined) return void setTimeout(() => void target.restart(endpoint, deployment, index), delayMs).unref();
          await scheduler.enqueue({ type: "deployments.restart", payload: { endpoint, deployment, index }, runAfter: Date.now() + delayMs, maxAttempts: 3, pinnedTo: scheduler.self });
        },
        onChange: () => void refresh(),
        log,
        backoff: opts.backoff,
        // Model servers log what they answer directly to the server's monitoring API (the router logs what it sends them).
        logRequests: monitoring !== undefined,
        drainSeconds: opts.drainSeconds,
        workers: opts.workers,
        secrets,
      };
      const target = new TargetSet({
        local: new LocalTarget(targetOptions),
        container: new LocalTarget({
          ...targetOptions,
          runner: containerRunner({ podman: opts.podman?.command, env: opts.podman?.env ?? opts.childEnv, runArgs: opts.podman?.runArgs, stopSeconds: opts.drainSeconds }),
        }),
      });

      /** Ready, desired, restarts and replicas of a deployment, from whichever target runs it. */
      const replicaView = (d: Deployment): { ready: number; desired: number; restarts: number; replicas: ReplicaStatus[]; events?: string[] } => {
        if (d.target === "kubernetes" && k8s) {
          const s = k8s.summary(d.endpoint, d.name, d.replicas);
          return { ...s, events: s.applyError ? [s.applyError, ...s.events] : s.events };
        }
        const replicas = target.status(d.endpoint, d.name);
        return { ready: replicas.filter((r) => r.state === "ready").length, desired: d.replicas, restarts: replicas.reduce((a, r) => a + r.restarts, 0), replicas };
      };
      const readyUrls = (d: Deployment): string[] => (d.target === "kubernetes" ? (k8s?.readyUrls(d.endpoint, d.name) ?? []) : target.readyUrls(d.endpoint, d.name));

      const health = (d: Deployment): WireDeploymentHealth => {
        const view = replicaView(d);
        const replicas = view.replicas;
        const w = router.statsOf(d.endpoint, d.name);
        const win = w.window(0);
        return {
          ready_replicas: view.ready,
          desired_replicas: view.desired,
          restarts: view.restarts,
          replicas: replicas.map((r) => ({
            index: r.index,
            ...(r.name !== undefined && { name: r.name }),
            state: r.state,
            ...(r.pid !== undefined && { pid: r.pid }),
            ...(r.url !== undefined && { url: r.url }),
            restarts: r.restarts,
            ...(r.lastExit !== undefined && { last_exit: r.lastExit }),
            ...(r.startedAt !== undefined && { started_at: r.startedAt }),
          })),
          requests: w.requests,
          errors: w.errors,
          ...(win.p50Ms !== undefined && { p50_ms: win.p50Ms }),
          ...(win.p99Ms !== undefined && { p99_ms: win.p99Ms }),
          recent_errors: [...w.recentErrors],
          ...(view.events && { events: view.events }),
        };
      };

      let healthCache: Array<{ endpoint: string; deployment: string; ready: number; desired: number; restarts: number; weight: number; mirror: number }> = [];
      const feed = monitoring ? new RouterInferenceFeed(monitoring.sink, { onError: (err) => ctx.logger.warn({ err }, "deployments: an inference record was dropped") }) : undefined;
      const router = new EndpointRouter({ health: () => healthCache, tracing, feed });

      async function routeEndpoints(): Promise<RouteEndpoint[]> {
        const [endpoints, deployments] = await Promise.all([store.listEndpoints(), store.listDeployments()]);
        const samples: typeof healthCache = [];
        const out = endpoints.map((e) => ({
          name: e.name,
          stickyHeader: e.stickyHeader,
          deployments: deployments
            .filter((d) => d.endpoint === e.name)
            .map((d) => {
              const view = replicaView(d);
              samples.push({
                endpoint: e.name,
                deployment: d.name,
                ready: view.ready,
                desired: view.desired,
                restarts: view.restarts,
                weight: e.traffic[d.name] ?? 0,
                mirror: e.mirror[d.name] ?? 0,
              });
              return { name: d.name, modelName: d.modelName, modelVersion: d.modelVersion, weight: e.traffic[d.name] ?? 0, mirror: e.mirror[d.name] ?? 0, urls: readyUrls(d) };
            }),
        }));
        healthCache = samples;
        return out;
      }

      const reconcile = async (): Promise<void> => {
        const wanted = await store.listDeployments();
        const onMachine = new Set(wanted.filter((d) => d.target !== "kubernetes").map((d) => `${d.endpoint}/${d.name}`));
        for (const d of target.deployments()) if (!onMachine.has(`${d.endpoint}/${d.name}`)) await target.remove(d.endpoint, d.name);
        // Objects of deployments that no longer exist (deleted while this server was down) are deleted from the cluster.
        await k8s?.started;
        for (const d of k8s?.deployments() ?? []) if (!wanted.some((w) => w.endpoint === d.endpoint && w.name === d.name && w.target === "kubernetes")) await k8s!.remove(d.endpoint, d.name);
        for (const d of wanted) {
          if (d.target !== "kubernetes") await target.apply(d);
          else if (d.target === "kubernetes" && k8s) await k8s.apply(d).catch(() => undefined); // kept in its health
        }
        await refresh();
      };

      service.onChange((ev) => {
        const work = async () => {
          if (ev.kind === "deleted" || ev.kind === "deployment") {
            if (ev.deployment === undefined) {
              for (const d of target.deployments()) if (d.endpoint === ev.endpoint) await target.remove(d.endpoint, d.name);
              for (const d of k8s?.deployments() ?? []) if (d.endpoint === ev.endpoint) await k8s!.remove(d.endpoint, d.name);
            } else {
              const d = await store.getDeployment(ev.endpoint, ev.deployment);
              if (d?.target === "kubernetes" && k8s) await k8s.apply(d);
              else if (d) await target.apply(d);
              else {
                await target.remove(ev.endpoint, ev.deployment);
                await k8s?.remove(ev.endpoint, ev.deployment);
              }
            }
          }
          await refresh();
        };
        work().catch((err: Error) => ctx.logger.error({ err, endpoint: ev.endpoint }, "deployments: could not apply a change"));
      });

      const rollouts = new RolloutService({
        service,
        store,
        readyReplicas: (endpoint, deployment) => (k8s?.deployments().some((d) => d.endpoint === endpoint && d.name === deployment) ? k8s.summary(endpoint, deployment, 0).ready : target.readyUrls(endpoint, deployment).length),
        window: (endpoint, deployment, since) => router.statsOf(endpoint, deployment).window(since),
        schedule: async (rolloutId, step, delayMs) => {
          if (!scheduler) throw new InvalidStateError("Rollouts need the job runner (the jobs module), which this server does not run.");
          await scheduler.enqueue({ type: "deployments.rollout", payload: { rolloutId, step }, runAfter: Date.now() + delayMs });
        },
        log,
      });

      const routeTable = async (): Promise<WireRouteTable> => ({
        endpoints: (await routeEndpoints()).map((e) => ({
          name: e.name,
          ...(e.stickyHeader !== undefined && { sticky_header: e.stickyHeader }),
          deployments: e.deployments.map((d) => ({ name: d.name, model_name: d.modelName, model_version: d.modelVersion, weight: d.weight, mirror: d.mirror, urls: d.urls })),
        })),
        inference_logging: monitoring !== undefined,
      });

      const ab = new AbService({
        endpoint: (name) => service.getEndpoint(name),
        ops: (endpoint, deployment, since) => router.statsOf(endpoint, deployment).window(since),
        // Quality needs the inference log and its labels (the monitoring module).
        labelled: monitoring ? (q) => monitoring.service.labelledRows(q) : undefined,
      });

      ctx.provide("deployments", { store, service, rollouts, router, target, ...(k8s && { kubernetes: k8s }) });
      ctx.http.register("ciclo", deploymentRoutes, {
        service,
        rollouts,
        ab,
        health,
        logs: (e, d, tail) => (k8s?.deployments().some((x) => x.endpoint === e && x.name === d) ? k8s.logs(e, d) : target.logs(e, d, tail)),
        routeTable,
        actorOf: requestActor,
      });
      ctx.http.raw((a) => {
        app = a;
        // With authentication on, every request goes through its hook: no fast path.
        registerInvocationRoutes(a, router, { fastPath: opts.fastPath !== false && ctx.find("auth") === undefined });
      });
      ctx.jobs(
        {
          type: "deployments.restart",
          maxAttempts: 3,
          handle: async (p) => {
            const { endpoint, deployment, index } = p as { endpoint: string; deployment: string; index: number };
            await target.restart(endpoint, deployment, index);
            return { restarted: `${endpoint}/${deployment}#${index}` };
          },
        },
        {
          type: "deployments.rollout",
          handle: async (p) => {
            const { rolloutId, step } = p as { rolloutId: string; step: number };
            await rollouts.advance(rolloutId, step);
            return { rolloutId, step };
          },
        },
        { type: "deployments.reconcile", maxAttempts: 5, handle: async () => void (await reconcile()) },
      );
      ctx.subscribe({
        name: "deployments.follow-alias",
        types: ["registry.registered_model_alias.set"],
        handle: async (event) => {
          const p = event.payload as { name?: string; key?: string; to?: string };
          if (p.name && p.key && p.to) await rollouts.onAliasMoved(p.name, p.key, p.to);
        },
      });
      ctx.onStart(async () => {
        await target.cleanupStale();
        // Deployments start once the server listens (their model servers resolve models:/ URIs through it).
        // Pinned: it starts this server's own model servers (another server's worker would reconcile its own, and
        // this server's deployments would never start).
        // A server without a worker (`--no-jobs`) reconciles itself: a job pinned to no one would run elsewhere.
        if (scheduler?.self !== undefined) await scheduler.enqueue({ type: "deployments.reconcile", payload: {}, pinnedTo: scheduler.self });
        else void reconcile().catch((err: Error) => ctx.logger.error({ err }, "deployments: reconcile failed"));
      });
      ctx.onStop(async () => {
        await target.stopAll();
        await k8s?.stop();
        await router.close();
        await tracing?.shutdown().catch(() => undefined);
      });
    },
  };
}

/** Loads the Kubernetes client and starts the target's watches (in the background: a cluster that does not answer yet is retried). */
async function startKubernetesTarget(
  cfg: KubernetesTargetConfig,
  tracing: TracingConfig | undefined,
  onChange: () => void,
  log: (msg: string, fields?: Record<string, unknown>) => void,
): Promise<KubernetesTarget> {
  const [{ KubeConfig }, { KubernetesTarget }] = await Promise.all([import("@kubernetes/client-node"), import("../targets/kubernetes-target.js")]);
  const kubeConfig = new KubeConfig();
  if (cfg.kubeconfig !== undefined) kubeConfig.loadFromString(cfg.kubeconfig);
  else kubeConfig.loadFromDefault();
  const k8s = new KubernetesTarget({
    kubeConfig,
    namespace: cfg.namespace,
    imageTemplate: cfg.imageTemplate ?? "{model}:{version}",
    force: cfg.force,
    serviceUrl: cfg.serviceUrl,
    cpu: cfg.cpu,
    memory: cfg.memory,
    ...(tracing && { extraEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracing.tracesUrl } }),
    onChange,
    log,
  });
  void k8s.start().catch((err: Error) => log("deployments: the Kubernetes watches did not start", { error: err.message }));
  return k8s;
}
