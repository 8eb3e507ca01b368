/**
 * A logged model's artifacts, wherever its `artifact_uri` points:
 * `GET <prefix>/logged-models/{model_id}/artifacts/directories` (MLflow's
 * ListLoggedModelArtifacts: `{root_uri, files}`, paths relative to the
 * model's root) and the UI's download route
 * `GET /ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files`.
 * Proxied roots (`mlflow-artifacts:/...`) are served from the artifacts
 * destination, others through their own repository — the artifact service
 * does that and checks every client path.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { ArtifactService } from "../../artifacts/index.js";
import type { LoggedModelService } from "../logged-model-service.js";
import { MlflowError } from "../../shared/errors.js";
import { presentFiles, downloadRoute, sendArtifact, type ArtifactDeps, endpointOf } from "../../artifacts/http/index.js";
import { access } from "../../server/http/route-access.js";

const ModelIdParams = Type.Object({ model_id: Type.String() });
const ListQuery = Type.Object({ artifact_directory_path: Type.Optional(Type.String()), page_token: Type.Optional(Type.String()) });
const ListResponse = Type.Object({
  root_uri: Type.String(),
  files: Type.Optional(Type.Array(Type.Object({ path: Type.String(), is_dir: Type.Boolean(), file_size: Type.Optional(Type.Number()) }))),
  next_page_token: Type.Optional(Type.String()),
});
const FileQuery = Type.Object({ artifact_file_path: Type.Optional(Type.String()) });

export interface LoggedModelArtifactOptions {
  service: LoggedModelService;
  artifacts: ArtifactDeps;
  prefixes: readonly string[];
}

export const loggedModelArtifactRoutes: FastifyPluginAsyncTypebox<LoggedModelArtifactOptions> = async (app, opts) => {
  // The artifact service resolves an id to a root and paths inside it; here the id is a model's.
  const artifacts = new ArtifactService({
    destination: opts.artifacts.destination,
    open: opts.artifacts.open,
    runArtifactUri: async (modelId) => (await opts.service.get(modelId)).info.artifactUri,
  });

  for (const prefix of opts.prefixes) {
    app.get(
      `${prefix}/logged-models/:model_id/artifacts/directories`,
      {
        schema: { params: ModelIdParams, querystring: ListQuery, response: { 200: ListResponse } },
        config: access("experiment", "read"),
      },
      async (req) => {
        const listed = await artifacts.listRunArtifacts(endpointOf(req), req.params.model_id, req.query.artifact_directory_path);
        // MLflow compat: the whole folder in one page; no next_page_token.
        return { root_uri: listed.rootUri, files: presentFiles(listed.files) };
      },
    );
  }

  downloadRoute(
    app,
    "/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files",
    { schema: { params: ModelIdParams, querystring: FileQuery }, config: access("experiment", "read") },
    async (req, reply) => {
      const { model_id } = req.params as { model_id: string };
      const { artifact_file_path } = req.query as { artifact_file_path?: string };
      if (!artifact_file_path) {
        throw new MlflowError('Request must include the "artifact_file_path" query parameter.', "BAD_REQUEST");
      }
      const { repo, path } = await artifacts.runArtifact(endpointOf(req), model_id, artifact_file_path);
      return sendArtifact(req, reply, repo, path);
    },
  );
};
