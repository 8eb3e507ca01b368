/**
 * `/mlflow/model-versions/*` routes (MLflow's ModelRegistryService).
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RegistryServices } from "../registry-services.js";
import { toWireModelVersion } from "../../shared/wire/registry-codec.js";
import { access } from "../../server/http/route-access.js";
import { toInt, toList, toTags } from "../../server/http/common.schema.js";
import { requestActor } from "../../server/http/request-actor.js";
import * as S from "./registry.schema.js";

export const modelVersionRoutes: FastifyPluginAsyncTypebox<{ services: RegistryServices }> = async (app, { services }) => {
  const svc = services.versions;
  const ok = { 200: S.Empty };

  app.post(
    "/model-versions/create",
    { schema: { body: S.CreateModelVersionBody, response: { 200: S.ModelVersionResponse } }, config: access("model-version", "edit") },
    async (req) => {
      const b = req.body;
      const version = await svc.create(
        {
          name: b.name,
          source: b.source,
          runId: b.run_id,
          runLink: b.run_link,
          description: b.description,
          tags: toTags(b.tags),
          modelId: b.model_id,
        },
        requestActor(req),
      );
      return { model_version: toWireModelVersion(version) };
    },
  );

  app.get(
    "/model-versions/get",
    { schema: { querystring: S.VersionQuery, response: { 200: S.ModelVersionResponse } }, config: access("model-version", "read") },
    async (req) => ({ model_version: toWireModelVersion(await svc.get(req.query.name, req.query.version)) }),
  );

  app.patch(
    "/model-versions/update",
    { schema: { body: S.UpdateModelVersionBody, response: { 200: S.ModelVersionResponse } }, config: access("model-version", "edit") },
    async (req) => ({
      model_version: toWireModelVersion(await svc.update(req.body.name, req.body.version, req.body.description, requestActor(req))),
    }),
  );

  app.post(
    "/model-versions/transition-stage",
    { schema: { body: S.TransitionStageBody, response: { 200: S.ModelVersionResponse } }, config: access("model-version", "edit") },
    async (req) => {
      const b = req.body;
      const version = await svc.transitionStage(b.name, b.version, b.stage, b.archive_existing_versions ?? false, requestActor(req));
      return { model_version: toWireModelVersion(version) };
    },
  );

  app.delete("/model-versions/delete", { schema: { body: S.VersionBody, response: ok }, config: access("model-version", "manage") }, async (req) => {
    await svc.delete(req.body.name, req.body.version, requestActor(req));
    return {};
  });

  app.get(
    "/model-versions/search",
    { schema: { querystring: S.SearchQuery, response: { 200: S.SearchModelVersionsResponse } }, config: access("model-version", "read") },
    async (req) => {
      const q = req.query;
      const page = await svc.search({ filter: q.filter, maxResults: toInt(q.max_results), orderBy: toList(q.order_by), pageToken: q.page_token });
      return { model_versions: page.items.length > 0 ? page.items.map(toWireModelVersion) : undefined, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    "/model-versions/get-download-uri",
    { schema: { querystring: S.VersionQuery, response: { 200: S.DownloadUriResponse } }, config: access("model-version", "read") },
    async (req) => ({ artifact_uri: await svc.getDownloadUri(req.query.name, req.query.version) }),
  );

  app.post("/model-versions/set-tag", { schema: { body: S.SetVersionTagBody, response: ok }, config: access("model-version", "edit") }, async (req) => {
    const b = req.body;
    await svc.setTag(b.name, b.version, { key: b.key, value: b.value ?? "" }, requestActor(req));
    return {};
  });

  app.delete(
    "/model-versions/delete-tag",
    { schema: { body: S.DeleteVersionTagBody, response: ok }, config: access("model-version", "edit") },
    async (req) => {
      await svc.deleteTag(req.body.name, req.body.version, req.body.key, requestActor(req));
      return {};
    },
  );
};
