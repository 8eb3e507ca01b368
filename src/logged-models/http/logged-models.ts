/**
 * MLflow 3.x logged-model routes (`/mlflow/logged-models*`, `since major 2`
 * in service.proto, so served under the 2.0 prefixes) and `runs/outputs`.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { LoggedModelService } from "../logged-model-service.js";
import { toLoggedModelStatus } from "../logged-model-validation.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { toWireLoggedModel } from "../../shared/wire/logged-model-codec.js";
import { access } from "../../server/http/route-access.js";
import { toInt, toTags } from "../../server/http/common.schema.js";
import * as S from "./logged-models.schema.js";

/** MLflow reads the id from the body of some calls; ciclo serves the model in the path and refuses a mismatch. */
function samePathId(pathId: string, bodyId: string | undefined): void {
  if (bodyId && bodyId !== pathId) {
    throw new InvalidParameterValueError(`The model_id '${bodyId}' in the request body does not match '${pathId}' in the path.`);
  }
}

export const loggedModelRoutes: FastifyPluginAsyncTypebox<{ service: LoggedModelService }> = async (app, { service }) => {
  const ok = { 200: S.Empty };

  app.post(
    "/logged-models",
    { schema: { body: S.CreateLoggedModelBody, response: { 200: S.ModelResponse } }, config: access("experiment", "edit") },
    async (req) => {
      const b = req.body;
      const model = await service.create({
        experimentId: String(b.experiment_id),
        name: b.name,
        modelType: b.model_type,
        sourceRunId: b.source_run_id,
        params: toTags(b.params),
        tags: toTags(b.tags),
      });
      return { model: toWireLoggedModel(model) };
    },
  );

  app.post(
    "/logged-models/search",
    { schema: { body: S.SearchLoggedModelsBody, response: { 200: S.SearchLoggedModelsResponse } }, config: access("experiment", "read") },
    async (req) => {
      const b = req.body;
      const page = await service.search({
        experimentIds: (b.experiment_ids ?? []).map(String),
        filter: b.filter,
        datasets: b.datasets ?? [],
        maxResults: toInt(b.max_results),
        orderBy: b.order_by,
        pageToken: b.page_token,
      });
      return { models: page.items.length > 0 ? page.items.map(toWireLoggedModel) : undefined, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    "/logged-models/:model_id",
    {
      schema: { params: S.ModelIdParams, querystring: S.GetLoggedModelQuery, response: { 200: S.ModelResponse } },
      config: access("experiment", "read"),
    },
    async (req) => {
      const allowDeleted = (req.query.allow_deleted ?? "").toLowerCase() === "true";
      return { model: toWireLoggedModel(await service.get(req.params.model_id, allowDeleted)) };
    },
  );

  app.delete(
    "/logged-models/:model_id",
    { schema: { params: S.ModelIdParams, response: ok }, config: access("experiment", "manage") },
    async (req) => {
      await service.delete(req.params.model_id);
      return {};
    },
  );

  app.patch(
    "/logged-models/:model_id",
    { schema: { params: S.ModelIdParams, body: S.FinalizeLoggedModelBody, response: { 200: S.ModelResponse } }, config: access("experiment", "edit") },
    async (req) => {
      samePathId(req.params.model_id, req.body.model_id);
      const model = await service.finalize(req.params.model_id, toLoggedModelStatus(req.body.status));
      return { model: toWireLoggedModel(model) };
    },
  );

  app.patch(
    "/logged-models/:model_id/tags",
    { schema: { params: S.ModelIdParams, body: S.SetLoggedModelTagsBody, response: ok }, config: access("experiment", "edit") },
    async (req) => {
      samePathId(req.params.model_id, req.body.model_id);
      await service.setTags(req.params.model_id, toTags(req.body.tags));
      return {};
    },
  );

  app.delete(
    "/logged-models/:model_id/tags/:tag_key",
    { schema: { params: S.ModelTagParams, response: ok }, config: access("experiment", "edit") },
    async (req) => {
      await service.deleteTag(req.params.model_id, req.params.tag_key);
      return {};
    },
  );

  app.post(
    "/logged-models/:model_id/params",
    { schema: { params: S.ModelIdParams, body: S.LogLoggedModelParamsBody, response: ok }, config: access("experiment", "edit") },
    async (req) => {
      samePathId(req.params.model_id, req.body.model_id);
      await service.logParams(req.params.model_id, toTags(req.body.params));
      return {};
    },
  );

  app.post("/runs/outputs", { schema: { body: S.LogOutputsBody, response: ok }, config: access("run", "edit") }, async (req) => {
    const outputs = (req.body.models ?? []).map((m) => ({ modelId: m.model_id ?? "", step: m.step === undefined ? 0 : Number(m.step) }));
    await service.logOutputs(req.body.run_id, outputs);
    return {};
  });
};
