/**
 * Table types of the monitoring module (migration 0012). The monitoring store
 * reads them through its own typed view of the shared database.
 * @module
 */
import type { Generated } from "kysely";

export interface MonitoringSegmentsTable {
  id: Generated<number>;
  model_name: string;
  model_version: string;
  /** '' when the rows came from no endpoint (`ciclo models serve`, batch scoring). */
  endpoint: string;
  deployment: string;
  /** The named dataset a batch scoring run logged the rows under (migration 0016); '' for none. */
  dataset: Generated<string>;
  start_time: number;
  end_time: number;
  rows: number;
  requests: number;
  errors: number;
  sample_rate: number;
  path: string;
  bytes: number;
  created_at: number;
}

export interface MonitoringLabelsTable {
  request_id: string;
  row_index: number;
  value: string;
  time: number;
}

export interface MonitorsTable {
  id: Generated<number>;
  name: string;
  spec: string;
  created_at: number;
  updated_at: number;
  last_window_end: number | null;
  next_run_at: number;
}

export interface MonitorPointsTable {
  monitor_id: number;
  window_end: number;
  metric: string;
  window_start: number;
  value: number | null;
  flagged: number;
  detail: string | null;
}

export interface MonitorAlertsTable {
  id: Generated<number>;
  monitor_id: number;
  rule: string;
  state: string;
  opened_at: number;
  last_seen_at: number;
  closed_at: number | null;
  window_start: number;
  window_end: number;
  message: string;
  delivery: string | null;
  action_job_id: string | null;
}

export interface MonitoringTables {
  monitoring_segments: MonitoringSegmentsTable;
  monitoring_labels: MonitoringLabelsTable;
  monitors: MonitorsTable;
  monitor_points: MonitorPointsTable;
  monitor_alerts: MonitorAlertsTable;
}
