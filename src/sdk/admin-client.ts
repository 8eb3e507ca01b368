/**
 * Calls to ciclo's administrative routes (`/api/ciclo/v1/…`, permission
 * `manage`): garbage collection of deleted experiments, runs and logged
 * models. What `ciclo gc` runs.
 * @module
 */
import type { GcRequest, GcResponse, WireGcLoggedModel, WireGcRun } from "../shared/wire/gc-wire.js";
import type { GcLoggedModel, GcReport, GcRequestOptions, GcRun } from "../gc/gc-types.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const CICLO_API = "/api/ciclo/v1";

function fromWireRun(r: WireGcRun): GcRun {
  return { runId: r.run_id, experimentId: r.experiment_id, runName: r.run_name, artifactUri: r.artifact_uri, deletedTime: r.deleted_time ?? null };
}

function fromWireModel(m: WireGcLoggedModel): GcLoggedModel {
  return { modelId: m.model_id, experimentId: m.experiment_id, name: m.name, artifactUri: m.artifact_uri, sourceRunId: m.source_run_id ?? null };
}

function fromWireGcResponse(res: GcResponse): GcReport {
  return {
    dryRun: res.dry_run,
    experiments: res.experiments.map((e) => ({
      experimentId: e.experiment_id,
      name: e.name,
      artifactLocation: e.artifact_location,
      deletedTime: e.deleted_time ?? null,
      runs: e.runs.map(fromWireRun),
      loggedModels: e.logged_models.map(fromWireModel),
    })),
    runs: res.runs.map(fromWireRun),
    loggedModels: res.logged_models.map(fromWireModel),
    skipped: res.skipped,
    artifactErrors: res.artifact_errors,
  };
}

export class AdminClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  /**
   * Purges deleted experiments, runs and logged models with their artifacts.
   * Without ids, every deleted entity (older than `olderThanMs`) goes; with
   * ids, exactly those (each must exist and be deleted, or nothing happens).
   * Not retried after a network error: a second gc is harmless, but the
   * caller should see that the first one may have run.
   */
  async gc(opts: GcRequestOptions = {}): Promise<GcReport> {
    const body: GcRequest = {
      older_than_ms: opts.olderThanMs,
      experiment_ids: opts.experimentIds,
      run_ids: opts.runIds,
      logged_model_ids: opts.loggedModelIds,
      dry_run: opts.dryRun,
    };
    const res = await this.http.post<GcResponse>(`${CICLO_API}/gc`, body, { idempotent: opts.dryRun === true });
    return fromWireGcResponse(res);
  }
}
