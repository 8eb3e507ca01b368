/**
 * What the monitoring capability keeps in the metadata store: the index of
 * inference segments (the rows themselves are Parquet files in the artifact
 * store), ground-truth labels by request id, monitors, their results as time
 * series, and alerts. The SQL implementation is `store/sql/monitoring/`.
 * @module
 */
import type { MonitorSpec } from "./monitor-spec.js";

/** Where inference rows came from; `endpoint`/`deployment` are null for `ciclo models serve` and batch scoring. */
export interface InferenceSource {
  modelName: string;
  modelVersion: string;
  endpoint: string | null;
  deployment: string | null;
  /** The named dataset window a batch scoring run logged the rows under (`--log-to-monitor`); null for none. */
  dataset?: string | null;
}

export interface SegmentRecord extends InferenceSource {
  segmentId: number;
  /** Time of the first and last row, epoch ms. */
  startTime: number;
  endTime: number;
  rows: number;
  /** Requests in the segment (a request holds one or more rows). */
  requests: number;
  errors: number;
  /** Share of requests kept (1 = all); counts scale by its inverse. */
  sampleRate: number;
  /** Path inside the artifact store (`monitoring/inference/...parquet`). */
  path: string;
  bytes: number;
  createdAt: number;
}

export type NewSegment = Omit<SegmentRecord, "segmentId">;

export interface SegmentQuery {
  modelName?: string;
  modelVersion?: string;
  endpoint?: string;
  deployment?: string;
  dataset?: string;
  /** Segments overlapping [from, to). */
  from?: number;
  to?: number;
  limit?: number;
  /** Only segments after this one in the index's order (start time, then id): the next page. */
  after?: { startTime: number; segmentId: number };
}

export interface LabelRecord {
  requestId: string;
  /** Row of the request (0 for single-row requests). */
  row: number;
  /** JSON text of the label value. */
  value: string;
  time: number;
}

export interface MonitorRecord {
  monitorId: number;
  name: string;
  spec: MonitorSpec;
  createdAt: number;
  updatedAt: number;
  /** End of the last window evaluated, epoch ms. */
  lastWindowEnd: number | null;
  /** When the scheduler next runs it. */
  nextRunAt: number;
}

/** One value of a monitor's time series. */
export interface MonitorPoint {
  windowStart: number;
  windowEnd: number;
  /** `drift.<column>`, `dataset.drift_share`, `perf.accuracy_score`, `cbpe.accuracy`, `ops.latency_p95_ms`, ... */
  metric: string;
  value: number | null;
  /** The check behind it failed (a drifted column, a metric past its threshold). */
  flagged: boolean;
  /** Extra facts (test id, threshold), JSON text. */
  detail: string | null;
}

export interface AlertRecord {
  alertId: number;
  monitorId: number;
  rule: string;
  state: "firing" | "resolved";
  openedAt: number;
  lastSeenAt: number;
  closedAt: number | null;
  windowStart: number;
  windowEnd: number;
  message: string;
  /** Webhook delivery: `delivered`, `failed: <why>`, or null when the rule has no webhook. */
  delivery: string | null;
  /** The job the rule's action enqueued (a retraining pipeline run). */
  actionJobId: string | null;
}

export interface MonitoringStore {
  addSegment(s: NewSegment): Promise<SegmentRecord>;
  listSegments(q: SegmentQuery): Promise<SegmentRecord[]>;
  /** Segments that ended before `time`, oldest first (retention). */
  segmentsEndedBefore(time: number, limit: number): Promise<SegmentRecord[]>;
  deleteSegments(ids: number[]): Promise<number>;

  /** Inserts or replaces labels; resolves with how many were written. */
  putLabels(labels: LabelRecord[]): Promise<number>;
  /** Labels of these requests, keyed `<request id>#<row>`. */
  getLabels(requestIds: string[]): Promise<Map<string, string>>;
  deleteLabelsBefore(time: number): Promise<number>;

  createMonitor(name: string, spec: MonitorSpec, now: number): Promise<MonitorRecord>;
  getMonitor(id: number): Promise<MonitorRecord | undefined>;
  getMonitorByName(name: string): Promise<MonitorRecord | undefined>;
  listMonitors(): Promise<MonitorRecord[]>;
  updateMonitor(id: number, spec: MonitorSpec, now: number): Promise<MonitorRecord>;
  deleteMonitor(id: number): Promise<void>;
  dueMonitors(now: number): Promise<MonitorRecord[]>;
  /** Stores a run's points (replacing a rerun's) and moves the monitor's window on, in one transaction. */
  recordRun(monitorId: number, windowEnd: number, nextRunAt: number, points: MonitorPoint[]): Promise<void>;
  listPoints(monitorId: number, q?: { metricPrefix?: string; from?: number; to?: number }): Promise<MonitorPoint[]>;

  firingAlert(monitorId: number, rule: string): Promise<AlertRecord | undefined>;
  /** The latest alert of a rule, firing or not (cool-down). */
  latestAlert(monitorId: number, rule: string): Promise<AlertRecord | undefined>;
  insertAlert(a: Omit<AlertRecord, "alertId">): Promise<AlertRecord>;
  updateAlert(id: number, patch: Partial<Pick<AlertRecord, "state" | "lastSeenAt" | "closedAt" | "delivery" | "actionJobId" | "windowEnd">>): Promise<void>;
  listAlerts(monitorId: number, limit?: number): Promise<AlertRecord[]>;
}
