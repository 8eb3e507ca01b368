/**
 * MLflow 3.x logged models: `logged-models*` and `runs/outputs` under both
 * MLflow prefixes, and their artifacts when the artifacts module is present.
 * @module
 */
import type { LoggedModelLookup } from "../../registry/index.js";
import type { CicloModule } from "../../server/module.js";
import { loggedModelArtifactRoutes } from "./logged-model-artifacts.js";
import { loggedModelRoutes } from "./logged-models.js";
import type { LoggedModelStore } from "../logged-model-store.js";
import { SqlLoggedModelStore } from "../../store/sql/logged-models/sql-logged-model-store.js";
import { API_PREFIXES } from "../../server/http/api-prefixes.js";
import { LoggedModelService } from "../logged-model-service.js";
import { StoreLoggedModelLookup } from "../store-logged-model-lookup.js";

interface LoggedModelModuleServices {
  store: LoggedModelStore;
  service: LoggedModelService;
  /** For the registry: `models:/<model_id>` sources and `model_id` on versions. */
  lookup: LoggedModelLookup;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    loggedModels: LoggedModelModuleServices;
  }
}

export function loggedModelsModule(): CicloModule {
  return {
    id: "logged-models",
    init(ctx) {
      const store = new SqlLoggedModelStore(ctx.db);
      const service = new LoggedModelService(store);
      ctx.provide("loggedModels", { store, service, lookup: new StoreLoggedModelLookup(store) });
      ctx.http.register("mlflow", loggedModelRoutes, { service });
      const artifacts = ctx.find("artifacts");
      if (artifacts) {
        ctx.http.raw(async (app) => {
          await app.register(loggedModelArtifactRoutes, { service, artifacts: { destination: artifacts.destination, open: artifacts.open }, prefixes: API_PREFIXES.mlflow });
        });
      }
    },
  };
}
