/**
 * Garbage collection across capabilities: `POST /api/ciclo/v1/gc` purges
 * deleted experiments, runs and logged models with their artifacts, and the
 * `gc.purge` job does the same in the background (on a cron schedule when one
 * is configured). Model versions (when the registry runs) protect what they
 * read from.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { gcJobType, gcSchedule } from "../gc-job.js";
import { gcRoutes } from "./gc-routes.js";

export interface GcModuleOptions {
  /** Cron of the scheduled purge (`0 3 * * *`); none: purging for good is opted into. */
  schedule?: string;
  /** What the scheduled purge takes: deleted at least this long ago, ms (default 30 days). */
  olderThanMs?: number;
}

export function gcModule(opts: GcModuleOptions = {}): CicloModule {
  return {
    id: "gc",
    init(ctx) {
      const artifacts = ctx.find("artifacts");
      const stores = {
        tracking: ctx.get("tracking").store,
        registry: ctx.find("registry")?.store,
        loggedModels: ctx.find("loggedModels")?.store,
      };
      ctx.http.register("ciclo", gcRoutes, {
        trackingStore: stores.tracking,
        registryStore: stores.registry,
        loggedModelStore: stores.loggedModels,
        destination: artifacts?.destination,
        open: artifacts?.open,
      });
      ctx.jobs(gcJobType({ ...stores, destination: artifacts?.destination }));
      if (opts.schedule) ctx.schedule(gcSchedule(opts.schedule, opts.olderThanMs ?? 30 * 86_400_000));
    },
  };
}
