/**
 * Garbage collection's report on the wire, both directions: the gc route
 * presents with `toWireGcReport`, the SDK's admin client decodes with
 * `fromWireGcReport`; the request likewise.
 * @module
 */
import type { GcLoggedModel, GcReport, GcRequestOptions, GcRun } from "../gc-types.js";
import type { GcRequest, GcResponse, WireGcLoggedModel, WireGcRun } from "./gc-wire.js";

export function toWireGcRun(r: GcRun): WireGcRun {
  return { run_id: r.runId, experiment_id: r.experimentId, run_name: r.runName, artifact_uri: r.artifactUri, deleted_time: r.deletedTime ?? undefined };
}

export function fromWireGcRun(r: WireGcRun): GcRun {
  return { runId: r.run_id, experimentId: r.experiment_id, runName: r.run_name, artifactUri: r.artifact_uri, deletedTime: r.deleted_time ?? null };
}

export function toWireGcLoggedModel(m: GcLoggedModel): WireGcLoggedModel {
  return { model_id: m.modelId, experiment_id: m.experimentId, name: m.name, artifact_uri: m.artifactUri, source_run_id: m.sourceRunId ?? undefined };
}

export function fromWireGcLoggedModel(m: WireGcLoggedModel): GcLoggedModel {
  return { modelId: m.model_id, experimentId: m.experiment_id, name: m.name, artifactUri: m.artifact_uri, sourceRunId: m.source_run_id ?? null };
}

export function toWireGcReport(r: GcReport): GcResponse {
  return {
    dry_run: r.dryRun,
    experiments: r.experiments.map((e) => ({
      experiment_id: e.experimentId,
      name: e.name,
      artifact_location: e.artifactLocation,
      deleted_time: e.deletedTime ?? undefined,
      runs: e.runs.map(toWireGcRun),
      logged_models: e.loggedModels.map(toWireGcLoggedModel),
    })),
    runs: r.runs.map(toWireGcRun),
    logged_models: r.loggedModels.map(toWireGcLoggedModel),
    skipped: r.skipped,
    artifact_errors: r.artifactErrors,
  };
}

export function fromWireGcReport(res: GcResponse): GcReport {
  return {
    dryRun: res.dry_run,
    experiments: res.experiments.map((e) => ({
      experimentId: e.experiment_id,
      name: e.name,
      artifactLocation: e.artifact_location,
      deletedTime: e.deleted_time ?? null,
      runs: e.runs.map(fromWireGcRun),
      loggedModels: e.logged_models.map(fromWireGcLoggedModel),
    })),
    runs: res.runs.map(fromWireGcRun),
    loggedModels: res.logged_models.map(fromWireGcLoggedModel),
    skipped: res.skipped,
    artifactErrors: res.artifact_errors,
  };
}

export function toWireGcRequest(opts: GcRequestOptions): GcRequest {
  return {
    older_than_ms: opts.olderThanMs,
    experiment_ids: opts.experimentIds,
    run_ids: opts.runIds,
    logged_model_ids: opts.loggedModelIds,
    dry_run: opts.dryRun,
  };
}
