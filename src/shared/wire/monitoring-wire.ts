/**
 * The monitoring API on the wire (`/api/ciclo/v1/monitoring/…`), snake_case
 * like the rest of ciclo's API. A monitor's spec is checked field by field by
 * the monitoring capability (`monitor-spec.ts`); here it is an object.
 * @module
 */
import Type, { type Static } from "typebox";

const Name = Type.String({ minLength: 1, maxLength: 256 });

export const WireInferenceRecord = Type.Object({
  request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** Epoch ms (`ts` in the scoring server's JSON lines). */
  time: Type.Optional(Type.Number()),
  ts: Type.Optional(Type.Number()),
  model_name: Type.Optional(Name),
  model: Type.Optional(Name),
  model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  endpoint: Type.Optional(Name),
  deployment: Type.Optional(Name),
  /** A named dataset window (batch scoring's `--log-to-monitor <name>`). */
  dataset: Type.Optional(Name),
  status: Type.Integer({ minimum: 100, maximum: 599 }),
  latency_ms: Type.Number({ minimum: 0 }),
  /** The request and response bodies: text, or the parsed JSON. */
  request: Type.Optional(Type.Unknown()),
  response: Type.Optional(Type.Unknown()),
  sample_rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
});
export type WireInferenceRecord = Static<typeof WireInferenceRecord>;

export const IngestRequest = Type.Object({ records: Type.Array(WireInferenceRecord, { maxItems: 100_000 }) });
export const IngestResponse = Type.Object({ accepted: Type.Integer() });

export const LabelsRequest = Type.Object({
  labels: Type.Array(
    Type.Object({
      request_id: Type.String({ minLength: 1, maxLength: 256 }),
      row: Type.Optional(Type.Integer({ minimum: 0 })),
      label: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    }),
    { maxItems: 1_000_000 },
  ),
});
export const LabelsResponse = Type.Object({ written: Type.Integer() });

export const WireSegment = Type.Object({
  segment_id: Type.Integer(),
  model_name: Type.String(),
  model_version: Type.String(),
  endpoint: Type.Optional(Type.String()),
  deployment: Type.Optional(Type.String()),
  dataset: Type.Optional(Type.String()),
  start_time: Type.Number(),
  end_time: Type.Number(),
  rows: Type.Integer(),
  requests: Type.Integer(),
  errors: Type.Integer(),
  sample_rate: Type.Number(),
  path: Type.String(),
  bytes: Type.Integer(),
  /** The entry stands for only the file's rows whose `__time` lies in the asked [from, to). */
  trimmed: Type.Optional(Type.Boolean()),
});
export const SegmentsQuery = Type.Object({
  model_name: Type.Optional(Type.String()),
  model_version: Type.Optional(Type.String()),
  endpoint: Type.Optional(Type.String()),
  deployment: Type.Optional(Type.String()),
  dataset: Type.Optional(Type.String()),
  from: Type.Optional(Type.Number()),
  to: Type.Optional(Type.Number()),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  page_token: Type.Optional(Type.String({ maxLength: 1000 })),
});
export const SegmentsResponse = Type.Object({ segments: Type.Array(WireSegment), next_page_token: Type.Optional(Type.String()) });

export const ReferenceRequest = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), profile: Type.Record(Type.String(), Type.Unknown()) });
export const ReferenceResponse = Type.Object({ path: Type.String() });

export const MonitorSpecSchema = Type.Object({
  target: Type.Object({
    model_name: Type.Optional(Name),
    model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    model_alias: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    endpoint: Type.Optional(Name),
    deployment: Type.Optional(Name),
    dataset: Type.Optional(Name),
  }, { additionalProperties: false }),
  window_seconds: Type.Integer({ minimum: 1 }),
  every_seconds: Type.Integer({ minimum: 1 }),
  reference_profile: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  drift: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  performance: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  operations: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  alerts: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 50 })),
});

export const CreateMonitorRequest = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), spec: MonitorSpecSchema });
export const UpdateMonitorRequest = Type.Object({ spec: MonitorSpecSchema });
export const MonitorParams = Type.Object({ monitor: Type.String({ minLength: 1, maxLength: 128 }) });

export const WireMonitor = Type.Object({
  monitor_id: Type.Integer(),
  name: Type.String(),
  spec: Type.Unknown(),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  last_window_end: Type.Optional(Type.Number()),
  next_run_at: Type.Number(),
});
export const MonitorResponse = Type.Object({ monitor: WireMonitor });
export const MonitorsResponse = Type.Object({ monitors: Type.Array(WireMonitor) });

export const WirePoint = Type.Object({
  window_start: Type.Number(),
  window_end: Type.Number(),
  metric: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()]),
  flagged: Type.Boolean(),
  detail: Type.Optional(Type.Unknown()),
});
/** `embedded=true`: the report without its heading and margin, for the UI's monitor page (the file download keeps them). */
export const ReportQuery = Type.Object({ embedded: Type.Optional(Type.Boolean()) });
export const SeriesQuery = Type.Object({ metric_prefix: Type.Optional(Type.String()), from: Type.Optional(Type.Number()), to: Type.Optional(Type.Number()) });
export const SeriesResponse = Type.Object({ points: Type.Array(WirePoint) });

export const WireAlert = Type.Object({
  alert_id: Type.Integer(),
  rule: Type.String(),
  state: Type.String(),
  opened_at: Type.Number(),
  last_seen_at: Type.Number(),
  closed_at: Type.Optional(Type.Number()),
  window_start: Type.Number(),
  window_end: Type.Number(),
  message: Type.String(),
  delivery: Type.Optional(Type.String()),
  action_job_id: Type.Optional(Type.String()),
});
export const AlertsResponse = Type.Object({ alerts: Type.Array(WireAlert) });

export const RunMonitorRequest = Type.Object({ window_end: Type.Optional(Type.Number()), wait: Type.Optional(Type.Boolean()) });
export const RunMonitorResponse = Type.Object({
  job_id: Type.Optional(Type.String()),
  window_start: Type.Optional(Type.Number()),
  window_end: Type.Optional(Type.Number()),
  rows: Type.Optional(Type.Integer()),
  points: Type.Optional(Type.Array(WirePoint)),
  alerts: Type.Optional(Type.Array(Type.Object({ rule: Type.String(), outcome: Type.String(), alert_id: Type.Optional(Type.Integer()), action_job_id: Type.Optional(Type.String()), delivery: Type.Optional(Type.String()) }))),
  notes: Type.Optional(Type.Array(Type.String())),
});
