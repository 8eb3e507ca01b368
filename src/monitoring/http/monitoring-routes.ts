/**
 * `/api/ciclo/v1/monitoring/…`: inference ingest (JSON or the scoring
 * server's JSON lines; `ciclo gateway`'s binary batches at `…/inference/batch`), labels (JSON by request id, or a CSV/Parquet file),
 * the segment index, reference profiles, monitors (create, list, get,
 * update, delete, run), their time series and alerts, and the Prometheus
 * gauges.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { access } from "../../server/http/route-access.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import * as S from "../../shared/wire/monitoring-wire.js";
import { INFERENCE_BATCH_TYPE } from "../../shared/node/inference-batch.js";
import type { MonitoringService } from "../monitoring-service.js";
import type { MonitorSpec } from "../core/monitor-spec.js";
import { alertToWire, eventOf, eventsOfBatch, monitorToWire, pointToWire, segmentToWire } from "./monitoring-presenter.js";

export interface MonitoringRouteOptions {
  service: MonitoringService;
  metrics(): Promise<string>;
  /** Largest label file accepted, bytes. */
  maxUploadBytes?: number;
}

const PARQUET_TYPES = ["application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream"];

function ndjson(text: string): { records: unknown[] } {
  const records: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new InvalidParameterValueError(`Line ${i + 1} of the JSON lines body is not JSON.`);
    }
  });
  return { records };
}

export const monitoringRoutes: FastifyPluginAsyncTypebox<MonitoringRouteOptions> = async (app, opts) => {
  const { service } = opts;
  const limit = opts.maxUploadBytes ?? 256 * 1024 * 1024;
  app.addContentTypeParser("application/x-ndjson", { parseAs: "string", bodyLimit: limit }, (_req, text, done) => {
    try {
      done(null, ndjson(text as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(["text/csv", INFERENCE_BATCH_TYPE, ...PARQUET_TYPES], { parseAs: "buffer", bodyLimit: limit }, (_req, buf, done) => done(null, buf));

  app.post(
    "/monitoring/inference",
    { schema: { body: S.IngestRequest, response: { 200: S.IngestResponse } }, config: access("monitoring", "edit") },
    async (req) => {
      const now = Date.now();
      const events = req.body.records.map((r, i) => eventOf(r, i, now));
      return { accepted: service.ingest(events) };
    },
  );

  // ciclo gateway's batches: length-prefixed fields and the bodies as bytes (shared/node/inference-batch.ts), decoded and
  // checked whole before any event is recorded.
  app.post(
    "/monitoring/inference/batch",
    { schema: { response: { 200: S.IngestResponse } }, config: access("monitoring", "edit") },
    async (req) => {
      const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      if (type !== INFERENCE_BATCH_TYPE || !Buffer.isBuffer(req.body)) throw new InvalidParameterValueError(`Post an inference batch as ${INFERENCE_BATCH_TYPE}.`);
      return { accepted: service.ingest(eventsOfBatch(req.body)) };
    },
  );

  app.post(
    "/monitoring/inference/flush",
    { schema: { response: { 200: S.SegmentsResponse } }, config: access("monitoring", "edit") },
    async () => ({ segments: (await service.flush()).map(segmentToWire) }),
  );

  app.get(
    "/monitoring/segments",
    { schema: { querystring: S.SegmentsQuery, response: { 200: S.SegmentsResponse } }, config: access("monitoring", "read") },
    async (req) => {
      const q = req.query;
      const page = await service.listSegments(
        { modelName: q.model_name, modelVersion: q.model_version, endpoint: q.endpoint, deployment: q.deployment, dataset: q.dataset, from: q.from, to: q.to, limit: q.max_results ?? 1000 },
        q.page_token,
      );
      return { segments: page.segments.map(segmentToWire), next_page_token: page.nextPageToken };
    },
  );

  app.post(
    "/monitoring/labels",
    { schema: { body: S.LabelsRequest, response: { 200: S.LabelsResponse } }, config: access("monitoring", "edit") },
    async (req) => ({ written: await service.putLabels(req.body.labels.map((l) => ({ request_id: l.request_id, row: l.row, value: l.label }))) }),
  );

  app.post(
    "/monitoring/labels/upload",
    { schema: { response: { 200: S.LabelsResponse } }, config: access("monitoring", "edit") },
    async (req) => {
      const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      if (!Buffer.isBuffer(req.body)) throw new InvalidParameterValueError("Upload labels as a CSV (content-type text/csv) or Parquet file (application/vnd.apache.parquet).");
      const format = type === "text/csv" ? "csv" : "parquet";
      return { written: await service.uploadLabels(format, new Uint8Array(req.body)) };
    },
  );

  app.post(
    "/monitoring/references",
    { schema: { body: S.ReferenceRequest, response: { 200: S.ReferenceResponse } }, config: access("monitoring", "edit") },
    async (req) => ({ path: await service.putReference(req.body.name, JSON.stringify(req.body.profile)) }),
  );

  app.post(
    "/monitoring/monitors",
    { schema: { body: S.CreateMonitorRequest, response: { 200: S.MonitorResponse } }, config: access("monitoring", "edit") },
    async (req) => ({ monitor: monitorToWire(await service.createMonitor(req.body.name, req.body.spec as unknown as MonitorSpec)) }),
  );

  app.get(
    "/monitoring/monitors",
    { schema: { response: { 200: S.MonitorsResponse } }, config: access("monitoring", "read") },
    async () => ({ monitors: (await service.listMonitors()).map(monitorToWire) }),
  );

  app.get(
    "/monitoring/monitors/:monitor",
    { schema: { params: S.MonitorParams, response: { 200: S.MonitorResponse } }, config: access("monitoring", "read") },
    async (req) => ({ monitor: monitorToWire(await service.getMonitor(req.params.monitor)) }),
  );

  app.patch(
    "/monitoring/monitors/:monitor",
    { schema: { params: S.MonitorParams, body: S.UpdateMonitorRequest, response: { 200: S.MonitorResponse } }, config: access("monitoring", "edit") },
    async (req) => ({ monitor: monitorToWire(await service.updateMonitor(req.params.monitor, req.body.spec as unknown as MonitorSpec)) }),
  );

  app.delete(
    "/monitoring/monitors/:monitor",
    { schema: { params: S.MonitorParams }, config: access("monitoring", "edit") },
    async (req) => {
      await service.deleteMonitor(req.params.monitor);
      return {};
    },
  );

  app.post(
    "/monitoring/monitors/:monitor/run",
    { schema: { params: S.MonitorParams, body: S.RunMonitorRequest, response: { 200: S.RunMonitorResponse } }, config: access("monitoring", "edit") },
    async (req) => {
      if (!req.body.wait) return { job_id: await service.enqueueRun(req.params.monitor, req.body.window_end) };
      const { result, alerts } = await service.run(req.params.monitor, req.body.window_end);
      return {
        window_start: result.windowStart,
        window_end: result.windowEnd,
        rows: result.rows,
        points: result.points.map(pointToWire),
        alerts: alerts.map((a) => ({ rule: a.rule, outcome: a.outcome, alert_id: a.alert?.alertId, action_job_id: a.alert?.actionJobId ?? undefined, delivery: a.alert?.delivery ?? undefined })),
        notes: result.notes,
      };
    },
  );

  app.get(
    "/monitoring/monitors/:monitor/series",
    { schema: { params: S.MonitorParams, querystring: S.SeriesQuery, response: { 200: S.SeriesResponse } }, config: access("monitoring", "read") },
    async (req) => {
      const { points } = await service.series(req.params.monitor, { metricPrefix: req.query.metric_prefix, from: req.query.from, to: req.query.to });
      return { points: points.map(pointToWire) };
    },
  );

  app.get(
    "/monitoring/monitors/:monitor/alerts",
    { schema: { params: S.MonitorParams, response: { 200: S.AlertsResponse } }, config: access("monitoring", "read") },
    async (req) => ({ alerts: (await service.alerts(req.params.monitor)).map(alertToWire) }),
  );

  app.get(
    "/monitoring/monitors/:monitor/report",
    { schema: { params: S.MonitorParams, querystring: S.ReportQuery }, config: access("monitoring", "read") },
    async (req, reply) => {
      const html = await service.report(req.params.monitor, { embedded: req.query.embedded });
      reply.type("text/html; charset=utf-8").header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
      return html;
    },
  );

  app.get("/monitoring/metrics", { config: access("monitoring", "read") }, async (_req, reply) => {
    reply.type("text/plain; version=0.0.4");
    return opts.metrics();
  });
};
