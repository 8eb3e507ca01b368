/**
 * `/mlflow/experiments/*` routes.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toWireExperiment } from "../../shared/wire/tracking-codec.js";
import { access } from "../../server/http/route-access.js";
import { toInt, toList, toTags, toViewType } from "../../server/http/common.schema.js";
import * as S from "./experiments.schema.js";
import type { TrackingServices } from "./tracking-services.js";

export const experimentRoutes: FastifyPluginAsyncTypebox<{ services: TrackingServices }> = async (app, { services }) => {
  const svc = services.experiments;

  app.post(
    "/experiments/create",
    { schema: { body: S.CreateExperimentBody, response: { 200: S.CreateExperimentResponse } }, config: access("experiment", "edit") },
    async (req) => ({
      experiment_id: await svc.create(req.body.name, req.body.artifact_location, toTags(req.body.tags)),
    }),
  );

  app.get(
    "/experiments/get",
    { schema: { querystring: S.ExperimentIdQuery, response: { 200: S.ExperimentResponse } }, config: access("experiment", "read") },
    async (req) => ({ experiment: toWireExperiment(await svc.get(String(req.query.experiment_id))) }),
  );

  app.get(
    "/experiments/get-by-name",
    { schema: { querystring: S.ExperimentByNameQuery, response: { 200: S.ExperimentResponse } }, config: access("experiment", "read") },
    async (req) => ({ experiment: toWireExperiment(await svc.getByName(req.query.experiment_name)) }),
  );

  const search = async (q: {
    max_results?: number | string;
    page_token?: string;
    filter?: string;
    view_type?: string | number;
    order_by?: string | string[];
  }) => {
    const page = await svc.search({
      maxResults: toInt(q.max_results),
      pageToken: q.page_token,
      filter: q.filter,
      orderBy: toList(q.order_by),
      viewType: toViewType(q.view_type, "view_type"),
    });
    return {
      experiments: page.items.length > 0 ? page.items.map(toWireExperiment) : undefined,
      next_page_token: page.nextPageToken,
    };
  };
  app.post(
    "/experiments/search",
    { schema: { body: S.SearchExperimentsBody, response: { 200: S.SearchExperimentsResponse } }, config: access("experiment", "read") },
    (req) => search(req.body),
  );
  app.get(
    "/experiments/search",
    { schema: { querystring: S.SearchExperimentsQuery, response: { 200: S.SearchExperimentsResponse } }, config: access("experiment", "read") },
    (req) => search(req.query),
  );

  app.post(
    "/experiments/update",
    { schema: { body: S.UpdateExperimentBody, response: { 200: S.Empty } }, config: access("experiment", "edit") },
    async (req) => {
      await svc.rename(String(req.body.experiment_id), req.body.new_name);
      return {};
    },
  );

  app.post(
    "/experiments/delete",
    { schema: { body: S.ExperimentIdBody, response: { 200: S.Empty } }, config: access("experiment", "manage") },
    async (req) => {
      await svc.delete(String(req.body.experiment_id));
      return {};
    },
  );

  app.post(
    "/experiments/restore",
    { schema: { body: S.ExperimentIdBody, response: { 200: S.Empty } }, config: access("experiment", "manage") },
    async (req) => {
      await svc.restore(String(req.body.experiment_id));
      return {};
    },
  );

  app.post(
    "/experiments/set-experiment-tag",
    { schema: { body: S.SetExperimentTagBody, response: { 200: S.Empty } }, config: access("experiment", "edit") },
    async (req) => {
      await svc.setTag(String(req.body.experiment_id), { key: req.body.key, value: req.body.value });
      return {};
    },
  );

  app.post(
    "/experiments/delete-experiment-tag",
    { schema: { body: S.DeleteExperimentTagBody, response: { 200: S.Empty } }, config: access("experiment", "edit") },
    async (req) => {
      await svc.deleteTag(String(req.body.experiment_id), req.body.key);
      return {};
    },
  );
};
