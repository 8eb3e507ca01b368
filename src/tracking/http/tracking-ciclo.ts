/**
 * ciclo's tracking views under `/api/ciclo/v1/` — what the web UI needs
 * beyond MLflow's RPCs, computed on the server so the browser never loads
 * every run: experiment summaries, distinct keys, counts, group-by
 * aggregates, the models a page of runs produced, and a streamed CSV export.
 * @module
 */
import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { exportRunsCsv } from "../run-csv-export.js";
import type { RunInsightsService } from "../run-insights-service.js";
import type { RunService } from "../run-service.js";
import { access } from "../../server/http/route-access.js";
import { toInt, toViewType } from "../../server/http/common.schema.js";
import * as S from "./tracking-ciclo.schema.js";

export interface TrackingCicloOptions {
  insights: RunInsightsService;
  runs: RunService;
}

type ScopeIn = { experiment_ids: Array<string | number>; filter?: string; run_view_type?: string | number };
const scopeOf = (b: ScopeIn) => ({
  experimentIds: b.experiment_ids.map(String),
  filter: b.filter,
  viewType: toViewType(b.run_view_type, "run_view_type"),
});

export const trackingCicloRoutes: FastifyPluginAsyncTypebox<TrackingCicloOptions> = async (app, { insights, runs }) => {
  const read = access("experiment", "read");

  app.get("/experiments/summary", { schema: { querystring: S.SummaryQuery, response: { 200: S.SummaryResponse } }, config: read }, async (req) => {
    const summaries = await insights.experimentSummaries(S.asList(req.query.experiment_ids));
    return {
      experiments: summaries.map((s) => ({
        experiment_id: s.experimentId,
        active_run_count: s.activeRuns,
        deleted_run_count: s.deletedRuns,
        last_activity: s.lastActivity ?? undefined,
      })),
    };
  });

  app.post("/runs/keys", { schema: { body: S.KeysBody, response: { 200: S.KeysResponse } }, config: read }, async (req) => {
    const keys = await insights.runKeys({ ...scopeOf(req.body), limit: toInt(req.body.max_results) });
    return keys;
  });

  app.post("/runs/count", { schema: { body: S.CountBody, response: { 200: S.CountResponse } }, config: read }, async (req) => ({
    count: await insights.countRuns(scopeOf(req.body)),
  }));

  app.post("/runs/group", { schema: { body: S.GroupBody, response: { 200: S.GroupResponse } }, config: read }, async (req) => {
    const b = req.body;
    const res = await insights.groupRuns({ ...scopeOf(b), groupBy: b.group_by, metricKeys: b.metric_keys, maxGroups: toInt(b.max_groups) });
    return {
      truncated: res.truncated,
      groups: res.groups.map((g) => ({
        value: g.value,
        run_count: g.runCount,
        metrics: Object.entries(g.metrics).map(([key, a]) => ({ key, ...a })),
      })),
    };
  });

  // MLflow has no run → model lookup for a page of runs: model-versions/search takes a run_id IN list,
  // but logged-models/search scans each experiment's models for source_run_id. One indexed call instead.
  app.post("/runs/models", { schema: { body: S.RunModelsBody, response: { 200: S.RunModelsResponse } }, config: access("run", "read") }, async (req) => {
    const res = await insights.runModels(req.body.run_ids);
    return {
      model_versions: res.modelVersions.map((v) => ({ run_id: v.runId, name: v.name, version: v.version, current_stage: v.currentStage, status: v.status, aliases: v.aliases })),
      logged_models: res.loggedModels.map((m) => ({ run_id: m.runId, model_id: m.modelId, name: m.name, status: m.status, experiment_id: m.experimentId })),
      truncated: res.truncated,
    };
  });

  app.get("/runs/export-csv", { schema: { querystring: S.ExportQuery }, config: read }, async (req, reply) => {
    const q = req.query;
    const lines = await exportRunsCsv(runs, {
      experimentIds: S.asList(q.experiment_ids),
      filter: q.filter,
      viewType: toViewType(q.run_view_type, "run_view_type"),
      orderBy: S.asList(q.order_by),
      columns: S.asList(q.columns),
    });
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", 'attachment; filename="runs.csv"')
      .header("x-content-type-options", "nosniff")
      .send(Readable.from(lines));
  });
};
