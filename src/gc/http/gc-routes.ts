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
import { GcRequest, GcResponse, type WireGcLoggedModel, type WireGcRun } from "../../shared/wire/gc-wire.js";
import type { LoggedModelStore } from "../../logged-models/index.js";
import type { RegistryStore } from "../../registry/index.js";
import type { GcLoggedModel, GcRun, TrackingStore } from "../../tracking/index.js";
import { GcService } from "../gc-service.js";
import type { GcReport } from "../gc-types.js";
import { access } from "../../server/http/route-access.js";

export interface GcRouteOptions {
  trackingStore: TrackingStore;
  registryStore?: RegistryStore;
  loggedModelStore?: LoggedModelStore;
  /** The proxied artifact store; runs under `mlflow-artifacts:` roots need it. */
  destination?: ArtifactRepository;
  open?(uri: string): Promise<ArtifactRepository>;
}

function presentRun(r: GcRun): WireGcRun {
  return { run_id: r.runId, experiment_id: r.experimentId, run_name: r.runName, artifact_uri: r.artifactUri, deleted_time: r.deletedTime ?? undefined };
}

function presentModel(m: GcLoggedModel): WireGcLoggedModel {
  return { model_id: m.modelId, experiment_id: m.experimentId, name: m.name, artifact_uri: m.artifactUri, source_run_id: m.sourceRunId ?? undefined };
}

function presentGcReport(r: GcReport): GcResponse {
  return {
    dry_run: r.dryRun,
    experiments: r.experiments.map((e) => ({
      experiment_id: e.experimentId,
      name: e.name,
      artifact_location: e.artifactLocation,
      deleted_time: e.deletedTime ?? undefined,
      runs: e.runs.map(presentRun),
      logged_models: e.loggedModels.map(presentModel),
    })),
    runs: r.runs.map(presentRun),
    logged_models: r.loggedModels.map(presentModel),
    skipped: r.skipped,
    artifact_errors: r.artifactErrors,
  };
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
        return presentGcReport(report);
      } finally {
        await artifacts.close();
      }
    },
  );
};
