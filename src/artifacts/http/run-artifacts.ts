/**
 * A run's artifacts, wherever its `artifact_uri` points: `GET
 * <prefix>/mlflow/artifacts/list` (`{root_uri, files}`) and `GET
 * /get-artifact` (the download the UI uses). Proxied roots
 * (`mlflow-artifacts:/...`) are served from the artifacts destination;
 * `file:` and `s3:` roots through their own repository.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { presentFiles } from "./artifact-presenter.js";
import { access } from "../../server/http/route-access.js";
import { runIdOf } from "../../server/http/common.schema.js";
import { downloadRoute, sendArtifact } from "./artifact-download.js";
import * as S from "./artifacts.schema.js";
import { endpointOf, type ArtifactRouteOptions } from "./mlflow-artifacts.js";

/** `<prefix>/artifacts/list`, registered under `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. */
export const runArtifactListRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions & { prefix: string }> = async (app, { service }) => {
  app.get(
    "/artifacts/list",
    { schema: { querystring: S.ListRunArtifactsQuery, response: { 200: S.ListRunArtifactsResponse } }, config: access("artifact", "read") },
    async (req) => {
      const listed = await service.listRunArtifacts(endpointOf(req), runIdOf(req.query), req.query.path);
      return { root_uri: listed.rootUri, files: presentFiles(listed.files) };
    },
  );
};

/**
 * `GET /get-artifact?path=&run_uuid=` (MLflow's UI route, outside the proto API)
 * and the same handler at `/ajax-api/2.0/mlflow/get-artifact`.
 */
export const getArtifactRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions> = async (app, { service }) => {
  for (const url of ["/get-artifact", "/ajax-api/2.0/mlflow/get-artifact"]) {
    downloadRoute(app, url, { schema: { querystring: S.GetArtifactQuery }, config: access("artifact", "read") }, async (req, reply) => {
      const q = req.query as { run_id?: string; run_uuid?: string; path: string };
      const { repo, path } = await service.runArtifact(endpointOf(req), runIdOf(q), q.path);
      return sendArtifact(req, reply, repo, path);
    });
  }
};
