/**
 * Calls to ciclo's administrative routes (`/api/ciclo/v1/…`, permission
 * `manage`): garbage collection of deleted experiments, runs and logged
 * models. What `ciclo gc` runs.
 * @module
 */
import type { GcResponse } from "../shared/wire/gc-wire.js";
import type { GcReport, GcRequestOptions } from "../shared/gc-types.js";
import { fromWireGcReport, toWireGcRequest } from "../shared/wire/gc-codec.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const CICLO_API = "/api/ciclo/v1";

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
    const body = toWireGcRequest(opts);
    const res = await this.http.post<GcResponse>(`${CICLO_API}/gc`, body, { idempotent: opts.dryRun === true });
    return fromWireGcReport(res);
  }
}
