/**
 * `/mlflow/registered-models/*` routes (MLflow's ModelRegistryService, with
 * its methods: GET/POST/PATCH/DELETE, DELETE with a JSON body).
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RegistryServices } from "../registry-services.js";
import { toWireModelVersion, toWireRegisteredModel } from "../../shared/wire/registry-codec.js";
import { access } from "../../server/http/route-access.js";
import { toInt, toList, toTags } from "../../server/http/common.schema.js";
import { requestActor } from "../../server/http/request-actor.js";
import * as S from "./registry.schema.js";

export const registeredModelRoutes: FastifyPluginAsyncTypebox<{ services: RegistryServices }> = async (app, { services }) => {
  const svc = services.models;
  const ok = { 200: S.Empty };

  app.post(
    "/registered-models/create",
    { schema: { body: S.CreateRegisteredModelBody, response: { 200: S.RegisteredModelResponse } }, config: access("registered-model", "edit") },
    async (req) => ({
      registered_model: toWireRegisteredModel(await svc.create(req.body.name, toTags(req.body.tags), req.body.description, requestActor(req))),
    }),
  );

  app.get(
    "/registered-models/get",
    { schema: { querystring: S.NameQuery, response: { 200: S.RegisteredModelResponse } }, config: access("registered-model", "read") },
    async (req) => ({ registered_model: toWireRegisteredModel(await svc.get(req.query.name)) }),
  );

  app.post(
    "/registered-models/rename",
    { schema: { body: S.RenameRegisteredModelBody, response: { 200: S.RegisteredModelResponse } }, config: access("registered-model", "manage") },
    async (req) => ({ registered_model: toWireRegisteredModel(await svc.rename(req.body.name, req.body.new_name, requestActor(req))) }),
  );

  app.patch(
    "/registered-models/update",
    { schema: { body: S.UpdateRegisteredModelBody, response: { 200: S.RegisteredModelResponse } }, config: access("registered-model", "edit") },
    async (req) => ({ registered_model: toWireRegisteredModel(await svc.update(req.body.name, req.body.description, requestActor(req))) }),
  );

  app.delete("/registered-models/delete", { schema: { body: S.NameBody, response: ok }, config: access("registered-model", "manage") }, async (req) => {
    await svc.delete(req.body.name, requestActor(req));
    return {};
  });

  app.get(
    "/registered-models/search",
    { schema: { querystring: S.SearchQuery, response: { 200: S.SearchRegisteredModelsResponse } }, config: access("registered-model", "read") },
    async (req) => {
      const q = req.query;
      const page = await svc.search({ filter: q.filter, maxResults: toInt(q.max_results), orderBy: toList(q.order_by), pageToken: q.page_token });
      return {
        registered_models: page.items.length > 0 ? page.items.map(toWireRegisteredModel) : undefined,
        next_page_token: page.nextPageToken,
      };
    },
  );

  const latest = async (name: string, stages: string[] | undefined) => {
    const versions = await svc.getLatestVersions(name, stages);
    return { model_versions: versions.length > 0 ? versions.map(toWireModelVersion) : undefined };
  };
  app.post(
    "/registered-models/get-latest-versions",
    { schema: { body: S.LatestVersionsBody, response: { 200: S.ModelVersionsResponse } }, config: access("registered-model", "read") },
    (req) => latest(req.body.name, req.body.stages),
  );
  app.get(
    "/registered-models/get-latest-versions",
    { schema: { querystring: S.LatestVersionsQuery, response: { 200: S.ModelVersionsResponse } }, config: access("registered-model", "read") },
    (req) => latest(req.query.name, toList(req.query.stages)),
  );

  app.post("/registered-models/set-tag", { schema: { body: S.SetTagBody, response: ok }, config: access("registered-model", "edit") }, async (req) => {
    await svc.setTag(req.body.name, { key: req.body.key, value: req.body.value ?? "" }, requestActor(req));
    return {};
  });

  app.delete(
    "/registered-models/delete-tag",
    { schema: { body: S.DeleteTagBody, response: ok }, config: access("registered-model", "edit") },
    async (req) => {
      await svc.deleteTag(req.body.name, req.body.key, requestActor(req));
      return {};
    },
  );

  app.post("/registered-models/alias", { schema: { body: S.SetAliasBody, response: ok }, config: access("registered-model", "edit") }, async (req) => {
    await svc.setAlias(req.body.name, req.body.alias, req.body.version, requestActor(req));
    return {};
  });

  app.delete("/registered-models/alias", { schema: { body: S.AliasBody, response: ok }, config: access("registered-model", "edit") }, async (req) => {
    await svc.deleteAlias(req.body.name, req.body.alias, requestActor(req));
    return {};
  });

  app.get(
    "/registered-models/alias",
    { schema: { querystring: S.AliasQuery, response: { 200: S.ModelVersionResponse } }, config: access("registered-model", "read") },
    async (req) => ({ model_version: toWireModelVersion(await svc.getVersionByAlias(req.query.name, req.query.alias)) }),
  );
};
