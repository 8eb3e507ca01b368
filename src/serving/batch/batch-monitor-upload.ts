/**
 * Sends batch scoring's records to the ciclo server's monitoring API as one
 * named dataset window (`ciclo models predict --log-to-monitor <name>`):
 * records are gathered into uploads of at most ~8 MB
 * (`POST /api/ciclo/v1/monitoring/inference`, each record filed under the
 * dataset, the model and its version), and once the run is over the server is
 * asked to write its buffer out (`/inference/flush`), so a monitor on the
 * dataset sees the rows at once. Each upload is sent once (the ingest is not
 * idempotent); a failure stops the run with the server's answer.
 * @module
 */
import { randomBytes } from "node:crypto";
import { HttpClient } from "../../sdk/http-client.js";
import { InvalidParameterValueError, MlflowError } from "../../shared/errors.js";
import type { BatchLogRecord } from "./batch-monitor-log.js";

const UPLOAD_BYTES = 8 * 1024 * 1024;
/** A dataset name: what a monitor's `target.dataset` names. */
export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface MonitorUploadSummary {
  dataset: string;
  rows: number;
  records: number;
  /** Epoch ms of the first and last record (the dataset window). */
  windowStart?: number;
  windowEnd?: number;
}

export class BatchMonitorUpload {
  private parts: string[] = [];
  private bytes = 0;
  private seq = 0;
  private readonly run = randomBytes(6).toString("hex");
  private readonly http: HttpClient;
  private readonly summary: MonitorUploadSummary;

  constructor(opts: { trackingUri: string; dataset: string; modelName: string; modelVersion: string }, env: NodeJS.ProcessEnv = process.env) {
    if (!DATASET_NAME.test(opts.dataset)) {
      throw new InvalidParameterValueError(`--log-to-monitor '${opts.dataset.slice(0, 64)}': a dataset name is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.`);
    }
    this.http = new HttpClient({ trackingUri: opts.trackingUri, env });
    this.summary = { dataset: opts.dataset, rows: 0, records: 0 };
    this.head = `"model_name":${JSON.stringify(opts.modelName)},"model_version":${JSON.stringify(opts.modelVersion)},"dataset":${JSON.stringify(opts.dataset)},"status":200,"latency_ms":0`;
  }

  private readonly head: string;

  /** Queues a chunk's records; uploads when ~8 MB wait. */
  async add(records: BatchLogRecord[]): Promise<void> {
    const time = Date.now();
    for (const r of records) {
      const id = `batch-${this.run}-${this.seq++}`;
      const part = `{"request_id":"${id}","time":${time},${this.head},"request":${r.request},"response":${r.response}}`;
      this.parts.push(part);
      this.bytes += part.length;
      this.summary.rows += r.rows;
      this.summary.records++;
      this.summary.windowStart ??= time;
      this.summary.windowEnd = time;
      if (this.bytes >= UPLOAD_BYTES) await this.upload();
    }
  }

  /** Uploads what is queued and has the server write it to segments; resolves with what was logged. */
  async finish(): Promise<MonitorUploadSummary> {
    await this.upload();
    await this.post("/api/ciclo/v1/monitoring/inference/flush", "{}");
    return { ...this.summary };
  }

  private async upload(): Promise<void> {
    if (this.parts.length === 0) return;
    const body = `{"records":[${this.parts.join(",")}]}`;
    this.parts = [];
    this.bytes = 0;
    await this.post("/api/ciclo/v1/monitoring/inference", body);
  }

  private async post(path: string, body: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.http.url(path), { method: "POST", headers: { ...this.http.authHeaders, "content-type": "application/json" }, body, signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new MlflowError(`--log-to-monitor: could not reach the monitoring API at ${this.http.url(path)}: ${(err as Error).message}`, "TEMPORARILY_UNAVAILABLE");
    }
    const text = await res.text();
    if (!res.ok) {
      let answer: { message?: string; error_code?: string } = {};
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {
        // not JSON
      }
      const hint = res.status === 404 ? " (does the server run monitoring? it needs --serve-artifacts)" : "";
      throw new MlflowError(`--log-to-monitor: the monitoring API answered ${res.status}: ${answer.message ?? text.slice(0, 300)}${hint}`, res.status >= 500 ? "TEMPORARILY_UNAVAILABLE" : "BAD_REQUEST");
    }
  }
}
