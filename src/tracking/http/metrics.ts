/**
 * `/mlflow/metrics/*` routes: history (paged) and the downsampled bulk view.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { MAX_RESULTS_METRIC_HISTORY, MAX_RUNS_BULK_INTERVAL } from "../metric-service.js";
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
      if (q.run_id.length > MAX_RUNS_BULK_INTERVAL) {
        throw new InvalidParameterValueError(
          `GetMetricHistoryBulk request cannot specify more than ${MAX_RUNS_BULK_INTERVAL} run_ids. Received ${q.run_id.length} run_ids.`,
        );
      }
      const cap = Math.min(toInt(q.max_results) ?? MAX_RESULTS_METRIC_HISTORY, MAX_RESULTS_METRIC_HISTORY);
      const metrics = [];
      for (const runId of q.run_id) {
        const page = await svc.history(runId, q.metric_key, cap - metrics.length || 1);
        for (const m of page.items) if (metrics.length < cap) metrics.push({ ...toWireMetric(m), run_id: runId });
        if (metrics.length >= cap) break;
      }
      return { metrics: metrics.length > 0 ? metrics : undefined };
    },
  );
};
