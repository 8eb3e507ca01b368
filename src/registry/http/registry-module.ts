/**
 * The model registry: registered models, versions, aliases, stages, tags
 * (MLflow's API under both prefixes), a version's file download, and ciclo's
 * history and lineage. Uses logged models and artifacts when those modules run.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { registerRegistryRoutes } from "./registry-routes.js";
import { API_PREFIXES } from "../../server/http/api-prefixes.js";
import type { RegistryStore } from "../registry-store.js";
import { SqlRegistryStore } from "../../store/sql/registry/sql-registry-store.js";
import { createRegistryServices, type RegistryServices } from "../registry-services.js";

interface RegistryModuleServices {
  store: RegistryStore;
  services: RegistryServices;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    registry: RegistryModuleServices;
  }
}

export function registryModule(): CicloModule {
  return {
    id: "registry",
    init(ctx) {
      const store = new SqlRegistryStore(ctx.db);
      const artifacts = ctx.find("artifacts");
      const deps = {
        registryStore: store,
        trackingStore: ctx.get("tracking").store,
        // Model-version sources must lie in the artifact store (MLflow's LFI CVEs): these are its roots.
        artifactRoots: { defaultArtifactRoot: ctx.settings.defaultArtifactRoot, artifactsDestination: ctx.settings.artifactsDestination },
        loggedModels: ctx.find("loggedModels")?.lookup,
        locateArtifacts: artifacts?.locate,
      };
      const services = createRegistryServices(deps);
      ctx.provide("registry", { store, services });
      ctx.http.raw((app) => registerRegistryRoutes(app, services, API_PREFIXES.mlflow));
    },
  };
}
