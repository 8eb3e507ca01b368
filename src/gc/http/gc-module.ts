/**
 * Garbage collection across capabilities: `POST /api/ciclo/v1/gc` purges
 * deleted experiments, runs and logged models with their artifacts. Model
 * versions (when the registry runs) protect what they read from.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { gcRoutes } from "./gc-routes.js";

export function gcModule(): CicloModule {
  return {
    id: "gc",
    init(ctx) {
      const artifacts = ctx.find("artifacts");
      ctx.http.register("ciclo", gcRoutes, {
        trackingStore: ctx.get("tracking").store,
        registryStore: ctx.find("registry")?.store,
        loggedModelStore: ctx.find("loggedModels")?.store,
        destination: artifacts?.destination,
        open: artifacts?.open,
      });
    },
  };
}
