/**
 * The monitoring API for the CLI and scripts: monitors (create, list, delete),
 * a monitor's alerts, its static HTML report, reference profiles, label files, and running
 * a monitor now.
 * @module
 */
import { errorFromResponse, type HttpClient } from "./http-client.js";

const BASE = "/api/ciclo/v1/monitoring";

/** A monitor as the server answers it (secrets in its spec redacted as `***`). */
export interface WireMonitor {
  monitor_id: string;
  name: string;
  spec: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  last_window_end?: number;
  next_run_at: number;
}

/** An alert of a monitor: one incident of a rule, from its opening run to the run where it no longer held. */
export interface WireMonitorAlert {
  alert_id: number;
  rule: string;
  state: string;
  opened_at: number;
  last_seen_at: number;
  closed_at?: number;
  window_start: number;
  window_end: number;
  message: string;
  delivery?: string;
  action_job_id?: string;
}

export class MonitoringClient {
  constructor(private readonly http: HttpClient) {}

  private async send(method: string, path: string, body?: string | Uint8Array, contentType?: string): Promise<string> {
    const headers: Record<string, string> = { ...this.http.authHeaders };
    if (contentType) headers["content-type"] = contentType;
    const res = await fetch(this.http.url(`${BASE}${path}`), { method, headers, body });
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, text);
    return text;
  }

  /** Creates a monitor; a bad spec is refused whole (INVALID_PARAMETER_VALUE naming what to fix). */
  async createMonitor(name: string, spec: unknown): Promise<WireMonitor> {
    const text = await this.send("POST", "/monitors", JSON.stringify({ name, spec }), "application/json");
    return (JSON.parse(text) as { monitor: WireMonitor }).monitor;
  }

  async listMonitors(): Promise<WireMonitor[]> {
    return (JSON.parse(await this.send("GET", "/monitors")) as { monitors: WireMonitor[] }).monitors;
  }

  async deleteMonitor(monitor: string): Promise<void> {
    await this.send("DELETE", `/monitors/${encodeURIComponent(monitor)}`);
  }

  /** The monitor's alert history, newest first. */
  async alerts(monitor: string): Promise<WireMonitorAlert[]> {
    return (JSON.parse(await this.send("GET", `/monitors/${encodeURIComponent(monitor)}/alerts`)) as { alerts: WireMonitorAlert[] }).alerts;
  }

  /** The monitor's page as one HTML file. */
  report(monitor: string): Promise<string> {
    return this.send("GET", `/monitors/${encodeURIComponent(monitor)}/report`);
  }

  /** Stores a reference profile; resolves with its path in the artifact store (a monitor's `reference_profile`). */
  async putReference(name: string, profileJson: string): Promise<string> {
    const text = await this.send("POST", "/references", `{"name":${JSON.stringify(name)},"profile":${profileJson}}`, "application/json");
    return (JSON.parse(text) as { path: string }).path;
  }

  /** Uploads labels (CSV or Parquet with request_id, [row], label); resolves with how many were written. */
  async uploadLabels(bytes: Uint8Array, format: "csv" | "parquet"): Promise<number> {
    const text = await this.send("POST", "/labels/upload", bytes, format === "csv" ? "text/csv" : "application/vnd.apache.parquet");
    return (JSON.parse(text) as { written: number }).written;
  }

  /** Runs a monitor over the window ending now (or at `windowEnd`) and waits for its results. */
  async run(monitor: string, windowEnd?: number): Promise<{ rows: number; points: Array<{ metric: string; value: number | null; flagged: boolean }>; alerts: Array<{ rule: string; outcome: string }>; notes: string[] }> {
    const text = await this.send("POST", `/monitors/${encodeURIComponent(monitor)}/run`, JSON.stringify({ window_end: windowEnd, wait: true }), "application/json");
    return JSON.parse(text);
  }
}
