/**
 * The pipelines capability: definitions in ciclo.yaml, pipeline runs as
 * tracked runs with a child run per step, steps as jobs of the job runner,
 * the API under `/api/ciclo/v1/pipelines`, and the {@link PipelineLauncher}
 * triggers start runs through (`ModuleServices.pipelines.launcher`).
 *
 * It runs after tracking (the runs), the job runner (the steps) and, when
 * present, deployments (the deploy step). `pipelines.run` is also the job
 * monitoring's retraining action enqueues.
 * @module
 */
import { createHmac } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Readable } from "node:stream";
import { joinArtifactPath } from "../../artifacts/index.js";
import { safeFetch, type OutboundPolicy } from "../../auth/index.js";
import type { CicloModule } from "../../server/module.js";
import { InvalidParameterValueError, InvalidStateError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { pipelineResumeMigration } from "../../store/sql/pipelines/pipeline-resume-migration.js";
import { pipelinesMigration } from "../../store/sql/pipelines/pipelines-migration.js";
import { SqlPipelineStore } from "../../store/sql/pipelines/sql-pipeline-store.js";
import { JOB_TYPES, type DeployRequest } from "../runs/engine-deps.js";
import type { PipelineLauncher } from "../runs/pipeline-launcher.js";
import { PipelineEngine } from "../runs/pipeline-engine.js";
import type { RemoteSteps, StepExecutor } from "../runs/step-executor.js";
import { StepRunner } from "../runs/step-runner.js";
import { pipelineRoutes } from "./pipeline-routes.js";
import { CICLO_BIN, ownUrl } from "../../server/http/own-url.js";

export interface PipelinesModuleServices {
  /** Starts pipeline runs: what cron, registry, git and monitor triggers call. */
  launcher: PipelineLauncher;
  engine: PipelineEngine;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    pipelines: PipelinesModuleServices;
  }
}

export interface PipelinesModuleOptions {
  /** How to run ciclo for CLI-backed steps: `[node, entry]` (default: this node and bin/ciclo.js). */
  command?: readonly string[];
  /** The step processes' environment before each step's env (default: the server's). */
  childEnv?: NodeJS.ProcessEnv;
  /** Git checkouts and step scratch files (default: a folder in the OS temp dir). */
  workDir?: string;
  /** Where `notify` steps may post (default: public hosts only). */
  notifyPolicy?: OutboundPolicy;
  /** How often a running step checks for a cancel, ms (default 500). */
  cancelPollMs?: number;
  /** `runs-on: kubernetes` steps: Jobs in this namespace (absent: such steps fail, saying so). */
  kubernetes?: PipelinesKubernetesOptions;
}

export interface PipelinesKubernetesOptions {
  namespace: string;
  /** A kubeconfig's YAML (default: $KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster). */
  kubeconfig?: string;
  /** The server's URL as pods reach it (`--k8s-tracking-uri`; default: the server's own listening URL). */
  trackingUri?: string;
  /** How to run ciclo in the runner image (default `ciclo`). */
  cli?: readonly string[];
  serviceAccountName?: string;
  ttlSecondsAfterFinished?: number;
  /** How long a finished Job's log may take to arrive (default 10 s). */
  logDrainMs?: number;
}

function userOf(req: FastifyRequest): { name: string; isAdmin: boolean } | undefined {
  const p = (req as unknown as { principal?: { user: { username: string; isAdmin: boolean } } | null }).principal;
  return p ? { name: p.user.username, isAdmin: p.user.isAdmin } : undefined;
}

export function pipelinesModule(opts: PipelinesModuleOptions = {}): CicloModule {
  return {
    id: "pipelines",
    migrations: [pipelinesMigration, pipelineResumeMigration],
    init(ctx) {
      const store = new SqlPipelineStore(ctx.db);
      const tracking = ctx.get("tracking").store;
      // Without the job runner (tests that leave it out) pipelines cannot start; the API says so.
      const scheduler = ctx.find("scheduler");
      const deployments = ctx.find("deployments");
      const artifacts = ctx.find("artifacts");
      let app: FastifyInstance | undefined;
      ctx.http.raw((a) => void (app = a));

      const deploy = deployments
        ? async (req: DeployRequest, actor: string | null): Promise<Record<string, unknown>> => {
            const { service, rollouts } = deployments;
            try {
              await service.getEndpoint(req.endpoint);
            } catch (err) {
              if (!(err instanceof ResourceDoesNotExistError)) throw err;
              await service.createEndpoint({ name: req.endpoint }, actor);
            }
            const existing = (await service.getEndpoint(req.endpoint)).deployments.find((d) => d.name === req.deployment);
            if (existing) await service.updateDeployment(req.endpoint, req.deployment, { modelUri: req.model, ...(req.replicas && { replicas: req.replicas }), ...(req.env && { env: req.env }) }, actor);
            else await service.createDeployment(req.endpoint, { name: req.deployment, modelUri: req.model, ...(req.replicas && { replicas: req.replicas }), ...(req.env && { env: req.env }) }, actor, { reason: "pipeline deploy step" });
            const view = await service.getEndpoint(req.endpoint);
            const live = Object.entries(view.endpoint.traffic).filter(([d, w]) => w > 0 && d !== req.deployment);
            const strategy = req.strategy ?? (live.length > 0 ? "rollout" : "direct");
            if (strategy === "direct" || live.length === 0) {
              await service.setTraffic(req.endpoint, { [req.deployment]: 100 }, undefined, actor, "pipeline deploy step");
              return { endpoint: req.endpoint, deployment: req.deployment, strategy: "direct", traffic: { [req.deployment]: 100 } };
            }
            // canary / blue-green: a rollout of that kind (the endpoint's steps and analysis otherwise); rollout: the endpoint's own.
            const kind = strategy === "canary" || strategy === "blue-green" ? strategy : undefined;
            const r = await rollouts.start(req.endpoint, req.deployment, kind && { kind }, actor, "pipeline deploy step");
            return { endpoint: req.endpoint, deployment: req.deployment, strategy: "rollout", rollout_id: r.id, rollout_state: r.state, rollout_kind: r.strategy.kind };
          }
        : undefined;

      const k8s = opts.kubernetes ? lazyKubernetesExecutor(opts.kubernetes, (msg, fields) => ctx.logger.warn(fields ?? {}, msg)) : undefined;
      const remote: RemoteSteps | undefined =
        opts.kubernetes && k8s
          ? {
              executor: k8s.executor,
              trackingUri: () => (opts.kubernetes!.trackingUri ? Promise.resolve(opts.kubernetes!.trackingUri) : app ? ownUrl(app) : Promise.reject(new Error("the server has no HTTP listener"))),
              cli: opts.kubernetes.cli ?? ["ciclo"],
            }
          : undefined;
      if (k8s) ctx.onStop(() => k8s.stop());

      const engine = new PipelineEngine({
        store,
        tracking,
        enqueue: async (input) => {
          if (!scheduler) throw new InvalidStateError("Pipelines need the job runner (the jobs module), which this server does not run.");
          return { jobId: (await scheduler.enqueue(input)).job.jobId };
        },
        trackingUri: () => (app ? ownUrl(app) : Promise.reject(new Error("the server has no HTTP listener"))),
        cli: opts.command ?? [process.execPath, CICLO_BIN],
        baseEnv: opts.childEnv ?? process.env,
        workDir: opts.workDir ?? join(tmpdir(), "ciclo-pipelines"),
        remote,
        deploy,
        secrets: ctx.find("secrets"),
        notify: async (url, body, signal, signingKey) => {
          const text = JSON.stringify(body);
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (signingKey) {
            // The scheme monitoring's webhooks use: HMAC-SHA256 of "<timestamp>.<body>", the timestamp beside it.
            const ts = Math.floor(Date.now() / 1000);
            headers["x-ciclo-timestamp"] = String(ts);
            headers["x-ciclo-signature"] = `sha256=${createHmac("sha256", signingKey).update(`${ts}.${text}`).digest("hex")}`;
          }
          const res = await safeFetch(url, { method: "POST", headers, body: text, signal }, opts.notifyPolicy ?? {});
          await res.body?.cancel();
          return { status: res.status };
        },
        saveArtifact: artifacts
          ? async (artifactUri, path, text) => {
              const { repo, base } = await artifacts.locate(artifactUri);
              await repo.put(joinArtifactPath(base, path), Readable.from([Buffer.from(text)]));
            }
          : undefined,
        logger: { info: (o, m) => ctx.logger.info(o, m), error: (o, m) => ctx.logger.error(o, m) },
        cancelPollMs: opts.cancelPollMs,
      });
      const steps = new StepRunner(engine);
      ctx.provide("pipelines", { launcher: engine, engine });
      ctx.http.register("ciclo", pipelineRoutes, { engine, userOf });
      ctx.jobs(
        { type: JOB_TYPES.step, maxAttempts: 3, handle: (payload, job) => steps.handle(payload, job) },
        // Monitoring's retraining action (and any enqueuer): a pipeline name, params and the flagged window.
        {
          type: JOB_TYPES.run,
          maxAttempts: 3,
          handle: async (payload, job) => engine.launchFromJob(payload, job.jobId),
          validatePayload(payload) {
            const p = payload as { pipeline?: unknown } | null;
            if (!p || typeof p !== "object" || typeof p.pipeline !== "string" || p.pipeline === "") {
              throw new InvalidParameterValueError("A pipelines.run job needs a payload with 'pipeline' (the pipeline's name), and optionally 'project', 'params', 'input', 'trigger'.");
            }
          },
        },
      );
      ctx.onStart(() => {
        // Runs a previous process left unfinished move on once the server listens.
        void engine.recover().catch((err: Error) => ctx.logger.error({ err }, "pipelines: could not recover runs"));
      });
    },
  };
}

/** The Kubernetes executor, its client loaded on the first `runs-on: kubernetes` step (not at server start). */
function lazyKubernetesExecutor(o: PipelinesKubernetesOptions, log: (msg: string, fields?: Record<string, unknown>) => void): { executor: StepExecutor; stop(): Promise<void> } {
  let loaded: Promise<{ run: StepExecutor["run"]; stop(): Promise<void> }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const [{ KubeConfig }, { KubernetesStepExecutor }] = await Promise.all([import("@kubernetes/client-node"), import("../kubernetes/k8s-step-executor.js")]);
      const kubeConfig = new KubeConfig();
      if (o.kubeconfig !== undefined) kubeConfig.loadFromString(o.kubeconfig);
      else kubeConfig.loadFromDefault();
      const ex = new KubernetesStepExecutor({ kubeConfig, namespace: o.namespace, serviceAccountName: o.serviceAccountName, ttlSecondsAfterFinished: o.ttlSecondsAfterFinished, logDrainMs: o.logDrainMs, log });
      return { run: (plan, attempt, runOpts) => ex.run(plan, attempt, runOpts), stop: () => ex.stop() };
    })());
  return {
    executor: { run: async (plan, attempt, runOpts) => (await load()).run(plan, attempt, runOpts) },
    stop: async () => {
      if (loaded) await (await loaded).stop();
    },
  };
}
