/**
 * Registers the model registry: MLflow's registered-model and model-version
 * routes under both API prefixes, `GET /model-versions/get-artifact` (the
 * UI's download of a version's file), and ciclo's history and lineage
 * routes under `/api/ciclo/v1`.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { joinArtifactPath, safeArtifactFilePath } from "../../artifacts/index.js";
import type { RegistryServices } from "../registry-services.js";
import { CICLO_API, MLFLOW_AJAX_API } from "../../shared/api-paths.js";
import { MlflowError } from "../../shared/errors.js";
import { access } from "../../server/http/route-access.js";
import { downloadRoute, sendArtifact } from "../../artifacts/http/index.js";
import { modelVersionRoutes } from "./model-versions.js";
import { registeredModelRoutes } from "./registered-models.js";
import { registryCicloRoutes } from "./registry-ciclo.js";
import * as S from "./registry.schema.js";


/** `GET /model-versions/get-artifact?name=&version=&path=`, also under `/ajax-api/2.0/mlflow`. */
function modelVersionArtifactRoutes(app: FastifyInstance, services: RegistryServices): void {
  for (const url of ["/model-versions/get-artifact", `${MLFLOW_AJAX_API}/model-versions/get-artifact`]) {
    downloadRoute(app, url, { schema: { querystring: S.ModelVersionArtifactQuery }, config: access("model-version", "read") }, async (req, reply) => {
      const q = req.query as { name: string; version: string | number; path: string };
      // The client path is checked before anything is looked up (MLflow's validate_path_is_safe).
      const rel = safeArtifactFilePath(q.path);
      const uri = await services.versions.readableLocation(q.name, q.version);
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
