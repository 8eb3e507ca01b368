/**
 * The trace routes MLflow 3.3's client calls: StartTraceV3, GetTraceInfoV3
 * and SearchTracesV3 under `/api/3.0/mlflow/traces`; set/delete trace tag and
 * delete-traces under `/api/2.0/mlflow/traces` (the client always sends those
 * to the 2.0 paths). MLflow 2's StartTrace/EndTrace/GetTraceInfo/SearchTraces
 * are in traces-v2.ts, assessments and link-to-run in assessments.ts.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import { access } from "../../../server/http/route-access.js";
import { toInt } from "../../../server/http/common.schema.js";
import type { TraceService } from "../trace-service.js";
import { assessmentsOfWireTraceInfo, fromWireTraceInfo, toWireTraceInfo } from "./trace-presenter.js";
import * as S from "./traces.schema.js";

interface Opts {
  service: TraceService;
}

/** Under `/api/3.0/mlflow`. */
export const traceV3Routes: FastifyPluginAsyncTypebox<Opts> = async (app, { service }) => {
  app.post("/traces", { schema: { body: S.StartTraceV3Body, response: { 200: S.TraceResponse } }, config: access("trace", "edit") }, async (req) => {
    const w = req.body.trace.trace_info;
    const info = await service.start(fromWireTraceInfo(w), assessmentsOfWireTraceInfo(w));
    return { trace: { trace_info: toWireTraceInfo(info) } };
  });

  app.post(
    "/traces/search",
    { schema: { body: S.SearchTracesV3Body, response: { 200: S.SearchTracesV3Response } }, config: access("trace", "read") },
    async (req) => {
      const b = req.body;
      const experimentIds = (b.locations ?? []).map((l) => {
        const id = l.mlflow_experiment?.experiment_id;
        if (l.inference_table || id === undefined) {
          throw new InvalidParameterValueError("Each location must be an MLflow experiment: {\"mlflow_experiment\": {\"experiment_id\": \"<id>\"}}.");
        }
        return String(id);
      });
      const page = await service.search({ experimentIds, filter: b.filter, orderBy: b.order_by, maxResults: toInt(b.max_results), pageToken: b.page_token });
      return { traces: page.items.length > 0 ? page.items.map(toWireTraceInfo) : undefined, next_page_token: page.nextPageToken };
    },
  );

  app.get("/traces/:trace_id", { schema: { params: S.TraceIdParams, response: { 200: S.TraceResponse } }, config: access("trace", "read") }, async (req) => {
    return { trace: { trace_info: toWireTraceInfo(await service.get(req.params.trace_id)) } };
  });
};

/** Tag routes: the client's 2.0 paths (`{request_id}`), also served under 3.0 (SetTraceTagV3's `{trace_id}`). */
export const traceTagRoutes: FastifyPluginAsyncTypebox<Opts> = async (app, { service }) => {
  app.patch(
    "/traces/:request_id/tags",
    { schema: { params: S.RequestIdParams, body: S.SetTraceTagBody, response: { 200: S.Empty } }, config: access("trace", "edit") },
    async (req) => {
      await service.setTag(req.params.request_id, req.body.key, req.body.value);
      return {};
    },
  );

  app.delete(
    "/traces/:request_id/tags",
    {
      schema: { params: S.RequestIdParams, querystring: S.DeleteTraceTagQuery, body: S.DeleteTraceTagBody, response: { 200: S.Empty } },
      config: access("trace", "edit"),
    },
    async (req) => {
      await service.deleteTag(req.params.request_id, req.body?.key ?? req.query.key);
      return {};
    },
  );
};

/** Under `/api/2.0/mlflow` (DeleteTraces; the client sends DeleteTracesV3's fields to the same path). */
export const traceDeleteRoutes: FastifyPluginAsyncTypebox<Opts> = async (app, { service }) => {
  app.post(
    "/traces/delete-traces",
    { schema: { body: S.DeleteTracesBody, response: { 200: S.DeleteTracesResponse } }, config: access("trace", "manage") },
    async (req) => {
      const b = req.body;
      const deleted = await service.delete({
        experimentId: b.experiment_id === undefined ? "" : String(b.experiment_id),
        maxTimestampMillis: toInt(b.max_timestamp_millis),
        maxTraces: toInt(b.max_traces),
        traceIds: b.request_ids,
      });
      return { traces_deleted: deleted };
    },
  );
};
