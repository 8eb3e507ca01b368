/**
 * The proxied artifact API (`mlflow_artifacts.proto`) under
 * `<prefix>/mlflow-artifacts/`: list, download, delete and the JSON calls of
 * multipart upload. Uploads (raw bodies) are in `mlflow-artifacts-upload.ts`.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { ArtifactService } from "../artifact-service.js";
import { presentCredential, presentFiles } from "./artifact-presenter.js";
import { access } from "../../server/http/route-access.js";
import { downloadRoute, sendArtifact } from "./artifact-download.js";
import * as S from "./artifacts.schema.js";

export interface ArtifactRouteOptions {
  service: ArtifactService;
}

/** The route as MLflow names it in its "endpoint disabled" message. */
export const endpointOf = (req: FastifyRequest): string => req.routeOptions.url ?? req.url.split("?")[0];
const wildcard = (req: FastifyRequest): string => (req.params as { "*": string })["*"];

/** Encodes a safe relative path for a URL, segment by segment. */
const encodePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

export const mlflowArtifactRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions & { prefix: string }> = async (app, { service }) => {
  app.get(
    "/mlflow-artifacts/artifacts",
    { schema: { querystring: S.ListProxiedQuery, response: { 200: S.ListProxiedResponse } }, config: access("artifact", "read") },
    async (req) => ({ files: presentFiles(await service.listProxied(endpointOf(req), req.query.path)) }),
  );

  downloadRoute(app, "/mlflow-artifacts/artifacts/*", { config: access("artifact", "read") }, async (req, reply) => {
    // The service canonicalises the path; the repository only ever sees the checked form.
    const { repo, path } = service.proxiedArtifact(endpointOf(req), wildcard(req));
    return sendArtifact(req, reply, repo, path);
  });

  app.delete(
    "/mlflow-artifacts/artifacts/*",
    { schema: { response: { 200: S.Empty } }, config: access("artifact", "manage") },
    async (req) => {
      await service.deleteProxied(endpointOf(req), wildcard(req));
      return {};
    },
  );

  app.post(
    "/mlflow-artifacts/mpu/create/*",
    { schema: { body: S.CreateMultipartBody, response: { 200: S.CreateMultipartResponse } }, config: access("artifact", "edit") },
    async (req) => {
      const prefix = req.url.startsWith("/ajax-api/") ? "/ajax-api/2.0" : "/api/2.0";
      const base = `${req.protocol}://${req.host}${prefix}/mlflow-artifacts/mpu/upload-part/`;
      const created = await service.createMultipartUpload(
        endpointOf(req),
        wildcard(req),
        req.body.path,
        Number(req.body.num_parts ?? 0),
        (target, uploadId, n) => `${base}${encodePath(target)}?upload_id=${uploadId}&part_number=${n}`,
      );
      return { upload_id: created.uploadId, credentials: created.credentials.map(presentCredential) };
    },
  );

  app.post(
    "/mlflow-artifacts/mpu/complete/*",
    { schema: { body: S.CompleteMultipartBody, response: { 200: S.Empty } }, config: access("artifact", "edit") },
    async (req) => {
      const b = req.body;
      const parts = b.parts.map((p) => ({ partNumber: Number(p.part_number), etag: p.etag ?? "", url: p.url }));
      await service.completeMultipartUpload(endpointOf(req), wildcard(req), b.path, b.upload_id ?? "", parts);
      return {};
    },
  );

  app.post(
    "/mlflow-artifacts/mpu/abort/*",
    { schema: { body: S.AbortMultipartBody, response: { 200: S.Empty } }, config: access("artifact", "edit") },
    async (req) => {
      await service.abortMultipartUpload(endpointOf(req), wildcard(req), req.body.path, req.body.upload_id ?? "");
      return {};
    },
  );
};
