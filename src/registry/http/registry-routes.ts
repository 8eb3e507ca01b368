/**
 * Registers the model registry: MLflow's registered-model and model-version
 * routes under both API prefixes, `GET /model-versions/get-artifact` (the
 * UI's download of a version's file), and ciclo's history and lineage
 * routes under `/api/ciclo/v1`.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { ArtifactRepository } from "../../artifacts/artifact-repository.js";
import { openArtifactRepository } from "../../artifacts/artifact-repositories.js";
import { proxiedRootPath } from "../../artifacts/artifact-service.js";
import { joinArtifactPath, safeArtifactFilePath, safeArtifactPath } from "../../artifacts/safe-path.js";
import type { ArtifactLocator } from "../lineage-service.js";
import type { RegistryServices } from "../registry-services.js";
import { CICLO_API } from "../../shared/api-paths.js";
import { MlflowError } from "../../shared/errors.js";
import { access } from "../../server/http/route-access.js";
import { downloadRoute, sendArtifact } from "../../artifacts/http/artifact-download.js";
import { modelVersionRoutes } from "./model-versions.js";
import { registeredModelRoutes } from "./registered-models.js";
import { registryCicloRoutes } from "./registry-ciclo.js";
import * as S from "./registry.schema.js";

/**
 * Opens where an artifact URI points: `mlflow-artifacts:` URIs inside the
 * server's artifacts destination, other URIs through their own repository.
 */
export function artifactLocator(destination: ArtifactRepository | undefined, open = openArtifactRepository): ArtifactLocator {
  return async (uri) => {
    const proxied = proxiedRootPath(uri);
    if (proxied !== undefined) {
      if (!destination) {
        throw new MlflowError(`'${uri}' is a proxied artifact URI, but this server runs without serving artifacts.`, "TEMPORARILY_UNAVAILABLE");
      }
      return { repo: destination, base: safeArtifactPath(proxied) };
    }
    return { repo: await open(uri), base: "" };
  };
}

/** `GET /model-versions/get-artifact?name=&version=&path=`, also under `/ajax-api/2.0/mlflow`. */
function modelVersionArtifactRoutes(app: FastifyInstance, services: RegistryServices): void {
  for (const url of ["/model-versions/get-artifact", "/ajax-api/2.0/mlflow/model-versions/get-artifact"]) {
    downloadRoute(app, url, { schema: { querystring: S.ModelVersionArtifactQuery }, config: access("model-version", "read") }, async (req, reply) => {
      const q = req.query as { name: string; version: string | number; path: string };
      // The client path is checked before anything is looked up (MLflow's validate_path_is_safe).
      const rel = safeArtifactFilePath(q.path);
      const uri = await services.versions.getDownloadUri(q.name, q.version);
      if (!services.locateArtifacts) throw new MlflowError("This server has no artifact store configured.", "TEMPORARILY_UNAVAILABLE");
      const { repo, base } = await services.locateArtifacts(uri);
      return sendArtifact(req, reply, repo, joinArtifactPath(base, rel));
    });
  }
}

export async function registerRegistryRoutes(app: FastifyInstance, services: RegistryServices, prefixes: readonly string[]): Promise<void> {
  for (const prefix of prefixes) {
    await app.register(registeredModelRoutes, { prefix, services });
    await app.register(modelVersionRoutes, { prefix, services });
  }
  await app.register(registryCicloRoutes, { prefix: CICLO_API, services });
  modelVersionArtifactRoutes(app, services);
}
