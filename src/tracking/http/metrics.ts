/**
 * `/mlflow/metrics/*` routes: history (paged) and the downsampled bulk view.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toWireMetric, toWireRunMetric } from "../../shared/wire/tracking-codec.js";
import { access } from "../../server/http/route-access.js";
import { runIdOf, toInt } from "../../server/http/common.schema.js";
import * as S from "./metrics.schema.js";
import type { TrackingServices } from "./tracking-services.js";

export const metricRoutes: FastifyPluginAsyncTypebox<{ services: TrackingServices }> = async (app, { services }) => {
  const svc = services.metrics;

  app.get(
    "/metrics/get-history",
    { schema: { querystring: S.GetHistoryQuery, response: { 200: S.GetHistoryResponse } }, config: access("run", "read") },
    async (req) => {
      const q = req.query;
      const page = await svc.history(runIdOf(q), q.metric_key, toInt(q.max_results), q.page_token);
      return { metrics: page.items.length > 0 ? page.items.map(toWireMetric) : undefined, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    "/metrics/get-history-bulk-interval",
    { schema: { querystring: S.BulkIntervalQuery, response: { 200: S.BulkResponse } }, config: access("run", "read") },
    async (req, reply) => {
      const q = req.query;
      // Long downsampling stops when the client goes away (a closed page, a chart replaced by another).
      const gone = new AbortController();
      reply.raw.once("close", () => reply.raw.writableFinished || gone.abort());
      let points;
      try {
        points = await svc.bulkInterval({
          runIds: q.run_ids,
          metricKey: q.metric_key,
          startStep: toInt(q.start_step),
          endStep: toInt(q.end_step),
          maxResults: toInt(q.max_results),
          signal: gone.signal,
        });
      } catch (err) {
        if (!gone.signal.aborted) throw err;
        reply.hijack(); // nobody to answer
        return;
      }
      return { metrics: points.length > 0 ? points.map(toWireRunMetric) : undefined };
    },
  );

  app.get(
    "/metrics/get-history-bulk",
    { schema: { querystring: S.HistoryBulkQuery, response: { 200: S.BulkResponse } }, config: access("run", "read") },
    async (req) => {
      const q = req.query;
      const max = q.max_results === undefined ? undefined : Number.parseInt(String(q.max_results), 10);
      const metrics = (await svc.historyBulk(q.run_id ?? [], q.metric_key, Number.isNaN(max) ? undefined : max)).map(toWireRunMetric);
      return { metrics: metrics.length > 0 ? metrics : undefined };
    },
  );
};
