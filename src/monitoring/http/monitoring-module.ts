/**
 * The monitoring module: inference data (a sink other modules call, segments
 * in the artifact store, the index and labels in the metadata store),
 * monitors run as jobs (`monitoring.run`, enqueued by the `monitoring.tick`
 * schedule), their time series, Prometheus gauges and alerts (webhooks and a
 * retraining action), and retention (`monitoring.retention`).
 *
 * Other modules (deployments' endpoints) record requests with
 * `ctx.get("monitoring").sink.record(event)`.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { monitoringDatasetMigration } from "../../store/sql/monitoring/monitoring-dataset-migration.js";
import { monitoringMigration } from "../../store/sql/monitoring/monitoring-migration.js";
import { SqlMonitoringStore } from "../../store/sql/monitoring/sql-monitoring-store.js";
import type { InferenceSink } from "../inference/inference-event.js";
import { InferenceRecorder, type InferenceRecorderOptions } from "../inference/inference-recorder.js";
import { MONITOR_RUN_JOB, MONITOR_TICK_JOB, MonitoringService, RETENTION_JOB } from "../monitoring-service.js";
import { MonitorGauges } from "../monitors/monitor-gauges.js";
import { monitoringRoutes } from "./monitoring-routes.js";

export interface MonitoringModuleServices {
  /** Where endpoints, deployments and batch scoring hand their requests (sampled, buffered, off the request path). */
  sink: InferenceSink;
  service: MonitoringService;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    monitoring: MonitoringModuleServices;
  }
}

export interface MonitoringModuleOptions {
  /** Share of requests kept (default 1). */
  sampleRate?: number;
  recorder?: Omit<InferenceRecorderOptions, "sampleRate">;
  /** How long inference segments and labels are kept, ms (default 30 days). */
  retentionMs?: number;
  /** `host:port` webhook receivers allowed on internal addresses (default none). */
  webhookAllow?: readonly string[];
  /** When set, the only hosts webhooks may call. */
  webhookAllowHosts?: readonly string[];
  /** How long a webhook receiver may take to answer, ms (default 5 s). */
  webhookTimeoutMs?: number;
  /** Cron of the monitor tick (default every minute) and of retention (default hourly). */
  tickCron?: string;
  retentionCron?: string;
}

export function monitoringModule(opts: MonitoringModuleOptions = {}): CicloModule {
  return {
    id: "monitoring",
    migrations: [monitoringMigration, monitoringDatasetMigration],
    init(ctx) {
      const repo = ctx.get("artifacts").destination;
      if (!repo) {
        ctx.logger.info("monitoring is off: it keeps inference data in the proxied artifact store, and this server has none (--no-serve-artifacts)");
        return;
      }
      const store = new SqlMonitoringStore(ctx.db);
      const recorder = new InferenceRecorder(store, repo, {
        ...opts.recorder,
        sampleRate: opts.sampleRate,
        onError: (err) => ctx.logger.warn({ err }, "an inference segment could not be written; its events are dropped"),
      });
      const gauges = new MonitorGauges(() => ({ recorded: 0, dropped: recorder.dropped, skipped: recorder.skipped }));
      const scheduler = ctx.find("scheduler");
      const registry = ctx.find("registry");
      const service = new MonitoringService({
        store,
        repo,
        recorder,
        gauges,
        webhook: { allow: opts.webhookAllow, allowHosts: opts.webhookAllowHosts, timeoutMs: opts.webhookTimeoutMs },
        enqueue: scheduler ? (input) => scheduler.enqueue(input) : undefined,
        jobStatus: scheduler?.status ? (jobId) => scheduler.status!(jobId) : undefined,
        resolveAlias: registry
          ? async (model, alias) => {
              try {
                return (await registry.store.getModelVersionByAlias(model, alias)).version;
              } catch {
                return undefined;
              }
            }
          : undefined,
      });
      ctx.provide("monitoring", { sink: recorder, service });
      ctx.http.register("ciclo", monitoringRoutes, { service, metrics: () => gauges.text() });
      const retentionMs = opts.retentionMs ?? 30 * 86_400_000;
      ctx.jobs(
        {
          type: MONITOR_RUN_JOB,
          maxAttempts: 3,
          validatePayload(p) {
            const v = p as { monitor_id?: unknown } | null;
            if (!v || typeof v.monitor_id !== "number") throw new Error("A monitoring.run payload is {monitor_id: number, window_end?: number}.");
          },
          async handle(payload, job) {
            const p = payload as { monitor_id: number; window_end?: number };
            const { result, alerts } = await service.run(p.monitor_id, p.window_end);
            for (const n of result.notes) job.log(n, "warn");
            const flagged = result.points.filter((x) => x.flagged).map((x) => x.metric);
            job.log(`window ${new Date(result.windowStart).toISOString()} – ${new Date(result.windowEnd).toISOString()}: ${result.rows} rows, flagged: ${flagged.join(", ") || "none"}`);
            for (const a of alerts) if (a.outcome !== "quiet") job.log(`alert ${a.rule}: ${a.outcome}${a.alert?.actionJobId ? ` (job ${a.alert.actionJobId})` : ""}${a.alert?.delivery ? ` [${a.alert.delivery}]` : ""}`);
            job.progress(1);
            return { rows: result.rows, flagged, alerts: alerts.map((a) => ({ rule: a.rule, outcome: a.outcome })) };
          },
        },
        { type: MONITOR_TICK_JOB, maxAttempts: 1, handle: async () => ({ enqueued: await service.tick() }) },
        { type: RETENTION_JOB, maxAttempts: 3, handle: async () => service.retention(retentionMs) },
      );
      ctx.schedule(
        { name: MONITOR_TICK_JOB, type: MONITOR_TICK_JOB, cron: opts.tickCron ?? "* * * * *" },
        { name: RETENTION_JOB, type: RETENTION_JOB, cron: opts.retentionCron ?? "17 * * * *" },
      );
      ctx.onStop(() => recorder.close());
    },
  };
}
