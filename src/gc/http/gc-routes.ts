/**
 * `POST /api/ciclo/v1/gc`: purges deleted experiments, runs and logged models
 * with their artifacts (what `ciclo gc` calls). MLflow's gc opens the
 * database and artifact store from the client machine; ciclo's runs in the
 * server, which already holds both, so the CLI needs no credentials to either.
 * Permission `manage` on the server: it destroys data for good.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ArtifactPurger, type ArtifactRepository } from "../../artifacts/index.js";
import { GcRequest, GcResponse } from "../../shared/wire/gc-wire.js";
import { toWireGcReport } from "../../shared/wire/gc-codec.js";
import type { LoggedModelStore } from "../../logged-models/index.js";
import type { RegistryStore } from "../../registry/index.js";
import type { TrackingStore } from "../../tracking/index.js";
import { GcService } from "../gc-service.js";
import { access } from "../../server/http/route-access.js";

export interface GcRouteOptions {
  trackingStore: TrackingStore;
  registryStore?: RegistryStore;
  loggedModelStore?: LoggedModelStore;
  /** The proxied artifact store; runs under `mlflow-artifacts:` roots need it. */
  destination?: ArtifactRepository;
  open?(uri: string): Promise<ArtifactRepository>;
}

export const gcRoutes: FastifyPluginAsyncTypebox<GcRouteOptions> = async (app, opts) => {
  app.post(
    "/gc",
    { schema: { body: GcRequest, response: { 200: GcResponse } }, config: access("server", "manage") },
    async (req) => {
      const artifacts = new ArtifactPurger({ destination: opts.destination, open: opts.open });
      try {
        const service = new GcService({
          tracking: opts.trackingStore,
          registry: opts.registryStore,
          loggedModels: opts.loggedModelStore,
          artifacts,
        });
        const b = req.body;
        const report = await service.collect({
          olderThanMs: b.older_than_ms,
          experimentIds: b.experiment_ids,
          runIds: b.run_ids,
          loggedModelIds: b.logged_model_ids,
          dryRun: b.dry_run,
        });
        req.log.info(
          { dryRun: report.dryRun, experiments: report.experiments.length, runs: report.runs.length, loggedModels: report.loggedModels.length, skipped: report.skipped.length, artifactErrors: report.artifactErrors.length },
          "gc",
        );
        return toWireGcReport(report);
      } finally {
        await artifacts.close();
      }
    },
  );
};
