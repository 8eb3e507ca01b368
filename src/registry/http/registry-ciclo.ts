/**
 * ciclo's registry API beyond MLflow, under `/api/ciclo/v1/`: the audit
 * history of a registered model and the lineage of a model version.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RegistryServices } from "../registry-services.js";
import { presentLineage } from "./registry-presenter.js";
import { toWireRegistryEvent } from "../../shared/wire/registry-codec.js";
import { access } from "../../server/http/route-access.js";
import { toInt } from "../../server/http/common.schema.js";
import * as S from "./registry.schema.js";

export const registryCicloRoutes: FastifyPluginAsyncTypebox<{ services: RegistryServices }> = async (app, { services }) => {
  app.get(
    "/registered-models/history",
    { schema: { querystring: S.HistoryQuery, response: { 200: S.HistoryResponse } }, config: access("registered-model", "read") },
    async (req) => {
      const page = await services.history.get(req.query.name, toInt(req.query.max_results), req.query.page_token);
      return { events: page.items.map(toWireRegistryEvent), next_page_token: page.nextPageToken };
    },
  );

  app.get(
    "/model-versions/lineage",
    { schema: { querystring: S.VersionQuery, response: { 200: S.LineageResponse } }, config: access("model-version", "read") },
    async (req) => presentLineage(await services.lineage.get(req.query.name, req.query.version)),
  );
};
