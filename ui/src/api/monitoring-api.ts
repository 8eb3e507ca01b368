/** The monitoring API as the UI uses it: monitors, their alerts, and the URL of a monitor's report page. */
import { CICLO, getJson } from "./http";

export interface WireMonitor {
  monitor_id: number;
  name: string;
  spec: {
    target: { model_name?: string; model_version?: string; model_alias?: string; endpoint?: string; deployment?: string; dataset?: string };
    window_seconds: number;
    every_seconds: number;
    alerts?: Array<{ name: string; when: string }>;
  };
  last_window_end?: number;
  next_run_at: number;
}

export interface WireAlert {
  alert_id: number;
  rule: string;
  state: string;
  opened_at: number;
  message: string;
}

export const listMonitors = (signal?: AbortSignal) => getJson<{ monitors: WireMonitor[] }>(`${CICLO}/monitoring/monitors`, {}, signal);
export const listAlerts = (monitor: string, signal?: AbortSignal) => getJson<{ alerts: WireAlert[] }>(`${CICLO}/monitoring/monitors/${encodeURIComponent(monitor)}/alerts`, {}, signal);
export interface WirePoint {
  window_start: number;
  window_end: number;
  metric: string;
  value: number | null;
  flagged: boolean;
  detail?: unknown;
}

export const monitorSeries = (monitor: string, metricPrefix: string, signal?: AbortSignal) =>
  getJson<{ points: WirePoint[] }>(`${CICLO}/monitoring/monitors/${encodeURIComponent(monitor)}/series`, { metric_prefix: metricPrefix }, signal);
export const reportUrl = (monitor: string) => `${CICLO}/monitoring/monitors/${encodeURIComponent(monitor)}/report`;
