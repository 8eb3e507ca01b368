/**
 * The pipeline triggers module: triggers defined through the API, git push
 * webhooks (GitHub, GitLab, Azure DevOps), cron triggers fired by the job
 * runner's minute tick (`pipeline-triggers.tick`), and registry triggers fed
 * by the event stream. Each starts runs through the pipelines module's
 * launcher (`ModuleServices.pipelines.launcher`; the options may pass another);
 * without one, triggers are kept and refuse to fire.
 * Webhook secrets live in the auth module's secret store (`CICLO_SECRETS_KEY`).
 * Triggers a project's ciclo.yaml declares under `on:` are registered with the
 * project (declared-triggers.ts).
 * @module
 */
import type { CicloModule } from "../../../server/module.js";
import { pipelineTriggersMigration } from "../../../store/sql/pipeline-triggers/pipeline-triggers-migration.js";
import { SqlTriggerStore } from "../../../store/sql/pipeline-triggers/sql-trigger-store.js";
import type { PipelineLauncher } from "../../runs/pipeline-launcher.js";
import { DeclaredTriggers } from "../declared-triggers.js";
import { TriggerService } from "../trigger-service.js";
import { triggerToWire } from "./trigger-wire.js";
import { triggerRoutes } from "./trigger-routes.js";
import { webhookRoutes } from "./webhook-routes.js";

declare module "../../../server/module.js" {
  interface ModuleServices {
    pipelineTriggers: TriggerService;
  }
}

export const TRIGGER_TICK_JOB = "pipeline-triggers.tick";

export interface PipelineTriggersModuleOptions {
  /** The launcher to use instead of the pipelines module's. */
  launcher?: PipelineLauncher;
  /** Largest webhook delivery accepted, bytes (default 2 MiB). */
  maxWebhookBytes?: number;
  /** Cron of the trigger tick (default every minute). */
  tickCron?: string;
  /** How far Azure DevOps' createdDate may be from now, ms (default 10 minutes). */
  replayWindowMs?: number;
  now?: () => number;
}

export function pipelineTriggersModule(opts: PipelineTriggersModuleOptions = {}): CicloModule {
  return {
    id: "pipeline-triggers",
    migrations: [pipelineTriggersMigration],
    init(ctx) {
      const launcher = opts.launcher ?? ctx.find("pipelines")?.launcher;
      if (!launcher) ctx.logger.info("pipeline triggers are kept but will not fire: this server runs no pipelines engine");
      const service = new TriggerService({
        store: new SqlTriggerStore(ctx.db),
        secrets: ctx.get("secrets"),
        launcher,
        logger: ctx.logger,
        now: opts.now,
        replayWindowMs: opts.replayWindowMs,
      });
      ctx.provide("pipelineTriggers", service);
      // Triggers a project's ciclo.yaml declares (on:) follow the project's registration.
      const store = service.store;
      ctx.find("pipelines")?.engine.onProjectRegistered(new DeclaredTriggers(service, store, (t) => triggerToWire(t).webhook_path));
      ctx.http.register("ciclo", triggerRoutes, { service });
      ctx.http.register("ciclo", webhookRoutes, { service, maxBodyBytes: opts.maxWebhookBytes });
      ctx.jobs({ type: TRIGGER_TICK_JOB, maxAttempts: 1, handle: async () => ({ started: await service.cronTick() }) });
      ctx.schedule({ name: TRIGGER_TICK_JOB, type: TRIGGER_TICK_JOB, cron: opts.tickCron ?? "* * * * *" });
      ctx.subscribe({
        name: "pipeline-triggers.registry",
        types: ["registry.model_version.created", "registry.registered_model_alias.set", "registry.model_version.transitioned"],
        handle: async (e) => void (await service.onRegistryEvent(e)),
      });
    },
  };
}
