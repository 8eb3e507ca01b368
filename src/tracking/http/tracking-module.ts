/**
 * The tracking capability: experiments, runs, metrics, datasets (MLflow's
 * tracking API under both prefixes) and the UI's aggregates under ciclo's API.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { addDirectRoutes } from "../../server/direct-routes.js";
import { experimentRoutes } from "./experiments.js";
import { metricRoutes } from "./metrics.js";
import { directRunRoutes, runRoutes } from "./runs.js";
import { searchDatasetsRoutes } from "./search-datasets.js";
import { trackingCicloRoutes } from "./tracking-ciclo.js";
import type { TrackingServices } from "./tracking-services.js";
import { SqlTrackingInsightsStore } from "../../store/sql/tracking/sql-tracking-insights-store.js";
import { SqlTrackingStore } from "../../store/sql/tracking/sql-tracking-store.js";
import type { TrackingStore } from "../tracking-store.js";
import { ExperimentService } from "../experiment-service.js";
import { MetricService } from "../metric-service.js";
import { RunInsightsService } from "../run-insights-service.js";
import { RunService } from "../run-service.js";

/** What the tracking module provides to the modules after it. */
interface TrackingModuleServices {
  store: TrackingStore;
  services: TrackingServices;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    tracking: TrackingModuleServices;
  }
}

export function trackingModule(): CicloModule {
  return {
    id: "tracking",
    async init(ctx) {
      const store = new SqlTrackingStore(ctx.db, { defaultArtifactRoot: ctx.settings.defaultArtifactRoot });
      await store.init();
      const services: TrackingServices = {
        experiments: new ExperimentService(store),
        runs: new RunService(store),
        metrics: new MetricService(store),
      };
      ctx.provide("tracking", { store, services });
      ctx.http.register("mlflow", experimentRoutes, { services });
      ctx.http.register("mlflow", runRoutes, { services });
      // log-metric and create run also answered before Fastify when no hook could change their answer: never
      // with authentication on (its permission hook must see every request).
      if (ctx.find("auth") === undefined) ctx.http.raw((app) => addDirectRoutes(app, "mlflow", directRunRoutes(services)));
      ctx.http.register("mlflow", metricRoutes, { services });
      const insights = new RunInsightsService(new SqlTrackingInsightsStore(ctx.db));
      ctx.http.register("ciclo", trackingCicloRoutes, { insights, runs: services.runs });
      ctx.http.register("mlflow", searchDatasetsRoutes, { insights });
    },
  };
}
