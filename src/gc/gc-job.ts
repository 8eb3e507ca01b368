/**
 * Garbage collection as a job (`gc.purge`): what `POST /api/ciclo/v1/gc`
 * does, run by the job runner, on a cron schedule when the server is given
 * one (`--gc-schedule`). Purges everything deleted longer ago than the
 * payload's `older_than_ms`; never an explicit list of ids (that stays an
 * interactive call). Running it twice is harmless: a second run finds less.
 * @module
 */
import { ArtifactPurger, type ArtifactPurgerOptions } from "../artifacts/index.js";
import type { JobType, ScheduleDefinition } from "../jobs/index.js";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { LoggedModelStore } from "../logged-models/index.js";
import type { RegistryStore } from "../registry/index.js";
import type { TrackingStore } from "../tracking/index.js";
import { GcService } from "./gc-service.js";

export const GC_JOB_TYPE = "gc.purge";

export interface GcJobPayload {
  /** Only what was deleted at least this long ago, ms (absent: everything deleted). */
  older_than_ms?: number;
  dry_run?: boolean;
}

export interface GcJobDeps extends ArtifactPurgerOptions {
  tracking: TrackingStore;
  registry?: RegistryStore;
  loggedModels?: LoggedModelStore;
}

export function gcJobType(deps: GcJobDeps): JobType<GcJobPayload> {
  return {
    type: GC_JOB_TYPE,
    maxAttempts: 3,
    validatePayload(p) {
      const v = (p ?? {}) as Record<string, unknown>;
      const age = v.older_than_ms;
      if (typeof v !== "object" || (age !== undefined && (typeof age !== "number" || !Number.isSafeInteger(age) || age < 0))) {
        throw new InvalidParameterValueError("A gc.purge payload is {older_than_ms?: non-negative integer, dry_run?: boolean}.");
      }
    },
    async handle(payload, ctx) {
      const artifacts = new ArtifactPurger({ destination: deps.destination, open: deps.open });
      try {
        const olderThanMs = payload?.older_than_ms;
        ctx.log(olderThanMs === undefined ? "purging everything in the deleted stage" : `purging what was deleted over ${Math.round(olderThanMs / 3_600_000)} h ago`);
        const service = new GcService({ tracking: deps.tracking, registry: deps.registry, loggedModels: deps.loggedModels, artifacts });
        const r = await service.collect({ olderThanMs, dryRun: payload?.dry_run === true });
        const runs = r.runs.length + r.experiments.reduce((a, e) => a + e.runs.length, 0);
        const models = r.loggedModels.length + r.experiments.reduce((a, e) => a + e.loggedModels.length, 0);
        ctx.log(`${r.dryRun ? "would purge" : "purged"} ${r.experiments.length} experiment(s), ${runs} run(s), ${models} logged model(s); kept ${r.skipped.length}`);
        for (const s of r.skipped) ctx.log(`kept ${s.kind} ${s.id}: ${s.reason}`);
        for (const e of r.artifactErrors) ctx.log(`could not delete ${e.uri}: ${e.message}`, "warn");
        ctx.progress(1);
        return { dry_run: r.dryRun, experiments: r.experiments.length, runs, logged_models: models, skipped: r.skipped.length, artifact_errors: r.artifactErrors.length };
      } finally {
        await artifacts.close();
      }
    },
  };
}

/** The scheduled purge, e.g. `0 3 * * *` for every night at 03:00 in `timezone`. */
export function gcSchedule(cron: string, olderThanMs: number, timezone = "UTC"): ScheduleDefinition {
  return { name: GC_JOB_TYPE, type: GC_JOB_TYPE, cron, timezone, payload: { older_than_ms: olderThanMs } satisfies GcJobPayload };
}
