/**
 * MLflow 2's trace routes under `/api/2.0/mlflow`: StartTrace (`POST /traces`),
 * EndTrace (`PATCH /traces/{request_id}`), GetTraceInfo
 * (`GET /traces/{request_id}/info`) and SearchTraces (`GET /traces`). MLflow
 * 2.14–2.22 clients trace through them; the 3.x client falls back to them
 * against servers without the V3 routes. Same store, same rules as V3.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { missingValue } from "../../../shared/errors.js";
import { access } from "../../../server/http/route-access.js";
import { toInt } from "../../../server/http/common.schema.js";
import type { TraceService } from "../trace-service.js";
import { fromKeyValues, parseTraceStatusV2, toWireTraceInfoV2 } from "./trace-v2-presenter.js";
import { RequestIdParams } from "./traces.schema.js";
import * as S from "./traces-v2.schema.js";

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

export const traceV2Routes: FastifyPluginAsyncTypebox<{ service: TraceService }> = async (app, { service }) => {
  app.post("/traces", { schema: { body: S.StartTraceV2Body, response: { 200: S.TraceInfoV2Response } }, config: access("trace", "edit") }, async (req) => {
    const b = req.body;
    const info = await service.startV2({
      experimentId: b.experiment_id === undefined ? "" : String(b.experiment_id),
      timestampMs: toInt(b.timestamp_ms),
      metadata: fromKeyValues(b.request_metadata),
      tags: fromKeyValues(b.tags),
    });
    return { trace_info: toWireTraceInfoV2(info) };
  });

  app.patch(
    "/traces/:request_id",
    { schema: { params: RequestIdParams, body: S.EndTraceV2Body, response: { 200: S.TraceInfoV2Response } }, config: access("trace", "edit") },
    async (req) => {
      const b = req.body;
      const info = await service.endV2(req.params.request_id, {
        timestampMs: toInt(b.timestamp_ms),
        state: parseTraceStatusV2(b.status),
        metadata: fromKeyValues(b.request_metadata),
        tags: fromKeyValues(b.tags),
      });
      return { trace_info: toWireTraceInfoV2(info) };
    },
  );

  app.get(
    "/traces/:request_id/info",
    { schema: { params: RequestIdParams, response: { 200: S.TraceInfoV2Response } }, config: access("trace", "read") },
    async (req) => ({ trace_info: toWireTraceInfoV2(await service.get(req.params.request_id)) }),
  );

  app.get("/traces", { schema: { querystring: S.SearchTracesV2Query, response: { 200: S.SearchTracesV2Response } }, config: access("trace", "read") }, async (req) => {
    const q = req.query;
    const experimentIds = list(q.experiment_ids) ?? [];
    if (experimentIds.length === 0) throw missingValue("experiment_ids");
    const page = await service.search({ experimentIds, filter: q.filter, orderBy: list(q.order_by), maxResults: toInt(q.max_results), pageToken: q.page_token });
    return { traces: page.items.length > 0 ? page.items.map(toWireTraceInfoV2) : undefined, next_page_token: page.nextPageToken };
  });
};
