/**
 * `/mlflow/runs/*` routes.
 * @module
 */
import type { FastifyPluginAsyncTypebox, Static, TSchema } from "@fastify/type-provider-typebox";
import { missingValue } from "../../shared/errors.js";
import { parseWireDouble } from "../../shared/wire/tracking-wire.js";
import { appendLoggedModel } from "../run-service.js";
import type { Metric } from "../../shared/tracking-types.js";
import { toWireRun, toWireRunInfo } from "../../shared/wire/tracking-codec.js";
import { access } from "../../server/http/route-access.js";
import type { DirectRoute } from "../../server/direct-routes.js";
import { runIdOf, toInt, toTags, toViewType } from "../../server/http/common.schema.js";
import * as S from "./runs.schema.js";
import { scanLogBatch, type ScannedLogBatch } from "./log-batch-scan.js";
import type { TrackingServices } from "./tracking-services.js";

export type MetricIn = {
  key: string;
  value: number | string;
  timestamp: number | string;
  step?: number | string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
};

/** A wire metric as the service takes it; exported for the log-batch scanner's differential test. */
export function toMetric(m: MetricIn): Metric {
  const out: Metric = { key: m.key, value: parseWireDouble(m.value), timestamp: Number(m.timestamp), step: m.step === undefined ? 0 : Number(m.step) };
  if (m.model_id) out.modelId = m.model_id;
  if (m.dataset_name) out.datasetName = m.dataset_name;
  if (m.dataset_digest) out.datasetDigest = m.dataset_digest;
  return out;
}

type Body<T extends TSchema> = Static<T>;

/**
 * The hottest write routes' handlers (create run, log-metric, log-batch), on a validated body: the routes below run them, and so do the same routes
 * answered before Fastify (`server/direct-routes.ts`, added by the tracking module when auth is off).
 */
function hotRoutes(services: TrackingServices) {
  const svc = services.runs;
  // Async, as `handle` is: the service's synchronous validation errors become the promise's rejection.
  const logScanned = async (b: ScannedLogBatch) => {
    await svc.logBatch(b.runId, { metrics: b.metrics, params: b.params, tags: b.tags });
    return {};
  };
  return {
    create: {
      path: "/runs/create",
      body: S.CreateRunBody,
      response: S.RunResponse,
      async handle(b: Body<typeof S.CreateRunBody>) {
        const run = await svc.create({
          experimentId: b.experiment_id === undefined ? undefined : String(b.experiment_id),
          userId: b.user_id,
          runName: b.run_name,
          startTime: toInt(b.start_time),
          tags: toTags(b.tags),
        });
        return { run: toWireRun(run) };
      },
    },
    logMetric: {
      path: "/runs/log-metric",
      body: S.LogMetricBody,
      response: S.Empty,
      async handle(b: Body<typeof S.LogMetricBody>) {
        await svc.logMetric(runIdOf(b), toMetric(b));
        return {};
      },
    },
    logBatch: {
      path: "/runs/log-batch",
      body: S.LogBatchBody,
      response: S.Empty,
      async handle(b: Body<typeof S.LogBatchBody>) {
        await svc.logBatch(b.run_id, {
          metrics: (b.metrics ?? []).map(toMetric),
          params: b.params ?? [],
          tags: b.tags ?? [],
        });
        return {};
      },
      /** The common body read by `scanLogBatch` into the same records `handle` makes; any other body declined. */
      handleText(text: string) {
        const b = scanLogBatch(text);
        return b === undefined ? undefined : logScanned(b);
      },
    },
  };
}

/** The routes `hotRoutes` holds, for `addDirectRoutes`. */
export function directRunRoutes(services: TrackingServices): DirectRoute[] {
  const hot = hotRoutes(services);
  return [hot.create, hot.logMetric, hot.logBatch];
}

export const runRoutes: FastifyPluginAsyncTypebox<{ services: TrackingServices }> = async (app, { services }) => {
  const svc = services.runs;
  const ok = { 200: S.Empty };
  const hot = hotRoutes(services);

  app.post(
    hot.create.path,
    { schema: { body: hot.create.body, response: { 200: hot.create.response } }, config: access("experiment", "edit") },
    (req) => hot.create.handle(req.body),
  );

  app.post(
    "/runs/update",
    { schema: { body: S.UpdateRunBody, response: { 200: S.UpdateRunResponse } }, config: access("run", "edit") },
    async (req) => {
      const b = req.body;
      const info = await svc.update(runIdOf(b), { status: b.status, endTime: toInt(b.end_time), runName: b.run_name });
      return { run_info: toWireRunInfo(info) };
    },
  );

  app.post("/runs/delete", { schema: { body: S.RunIdBody, response: ok }, config: access("run", "manage") }, async (req) => {
    await svc.delete(req.body.run_id);
    return {};
  });

  app.post("/runs/restore", { schema: { body: S.RunIdBody, response: ok }, config: access("run", "manage") }, async (req) => {
    await svc.restore(req.body.run_id);
    return {};
  });

  app.get(
    "/runs/get",
    { schema: { querystring: S.GetRunQuery, response: { 200: S.RunResponse } }, config: access("run", "read") },
    async (req) => ({ run: toWireRun(await svc.get(runIdOf(req.query))) }),
  );

  app.post(
    "/runs/search",
    {
      schema: { body: S.SearchRunsBody, response: { 200: S.SearchRunsResponse } },
      // Pages of up to 50,000 runs: V8's JSON.stringify beats the schema serializer on large nested
      // lists, and the presenter already builds exactly the wire objects (nothing extra can leak).
      // Encoded to UTF-8 once here: a string body is measured (Content-Length) and encoded again on write.
      serializerCompiler: () => (data) => Buffer.from(JSON.stringify(data)) as unknown as string,
      config: access("experiment", "read"),
    },
    async (req) => {
      const b = req.body;
      const page = await svc.search({
        experimentIds: (b.experiment_ids ?? []).map(String),
        filter: b.filter,
        viewType: toViewType(b.run_view_type, "run_view_type"),
        maxResults: toInt(b.max_results),
        orderBy: b.order_by,
        pageToken: b.page_token,
      });
      return { runs: page.items.length > 0 ? page.items.map(toWireRun) : undefined, next_page_token: page.nextPageToken };
    },
  );

  app.post(
    hot.logMetric.path,
    { schema: { body: hot.logMetric.body, response: { 200: hot.logMetric.response } }, config: access("run", "edit") },
    (req) => hot.logMetric.handle(req.body),
  );

  app.post("/runs/log-parameter", { schema: { body: S.LogParamBody, response: ok }, config: access("run", "edit") }, async (req) => {
    await svc.logParam(runIdOf(req.body), { key: req.body.key, value: req.body.value });
    return {};
  });

  app.post("/runs/set-tag", { schema: { body: S.SetTagBody, response: ok }, config: access("run", "edit") }, async (req) => {
    await svc.setTag(runIdOf(req.body), { key: req.body.key, value: req.body.value });
    return {};
  });

  app.post("/runs/delete-tag", { schema: { body: S.DeleteTagBody, response: ok }, config: access("run", "edit") }, async (req) => {
    await svc.deleteTag(runIdOf(req.body), req.body.key);
    return {};
  });

  app.post(
    hot.logBatch.path,
    { schema: { body: hot.logBatch.body, response: { 200: hot.logBatch.response } }, config: access("run", "edit") },
    (req) => hot.logBatch.handle(req.body),
  );

  app.post("/runs/log-inputs", { schema: { body: S.LogInputsBody, response: ok }, config: access("run", "edit") }, async (req) => {
    // MLflow compat: 2.x requires `datasets`; 3.x also takes `models` alone.
    if (!req.body.datasets?.length && !req.body.models?.length) throw missingValue("datasets");
    const inputs = (req.body.datasets ?? []).map((d) => ({
      tags: toTags(d.tags),
      dataset: {
        name: d.dataset.name ?? "",
        digest: d.dataset.digest ?? "",
        sourceType: d.dataset.source_type ?? "",
        source: d.dataset.source ?? "",
        schema: d.dataset.schema ?? null,
        profile: d.dataset.profile ?? null,
      },
    }));
    const models = (req.body.models ?? []).map((m) => ({ modelId: m.model_id ?? "" }));
    await svc.logInputs(req.body.run_id, inputs, models);
    return {};
  });

  app.post("/runs/log-model", { schema: { body: S.LogModelBody, response: ok }, config: access("run", "edit") }, async (req) => {
    await appendLoggedModel(svc, req.body.run_id, req.body.model_json);
    return {};
  });
};
