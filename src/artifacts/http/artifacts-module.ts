/**
 * The artifact store as the server serves it: MLflow's proxied artifact API
 * (`mlflow-artifacts`, uploads, multipart) and run artifact lists and
 * downloads. It provides the opened repositories to the modules after it.
 * @module
 */
import type { CicloModule } from "../../server/module.js";
import { createArtifactService, registerArtifactRoutes } from "./artifact-routes.js";
import { promptlabRunRoutes } from "./promptlab-run.js";
import type { ArtifactRepository } from "../artifact-repository.js";
import { artifactLocator, type ArtifactLocator } from "../artifact-locator.js";
import { openArtifactRepository } from "../artifact-repositories.js";

interface ArtifactModuleServices {
  /** The proxied store (`--artifacts-destination`); undefined with `--no-serve-artifacts`. */
  destination?: ArtifactRepository;
  /** Opens the repository of a URI that is not proxied (a run's own root): by URI scheme. */
  open(uri: string): Promise<ArtifactRepository>;
  /** Opens where any artifact URI points, `mlflow-artifacts:` ones inside the destination. */
  locate: ArtifactLocator;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    artifacts: ArtifactModuleServices;
  }
}

export interface ArtifactModuleOptions {
  /** Opens non-proxied roots (tests); default: by URI scheme. */
  open?(uri: string): Promise<ArtifactRepository>;
}

export function artifactsModule(opts: ArtifactModuleOptions = {}): CicloModule {
  return {
    id: "artifacts",
    async init(ctx) {
      const uri = ctx.settings.artifactsDestination;
      const destination = uri === undefined ? undefined : await openArtifactRepository(uri);
      const open = opts.open ?? openArtifactRepository;
      ctx.provide("artifacts", { destination, open, locate: artifactLocator(destination, open) });
      const tracking = ctx.get("tracking");
      const service = createArtifactService({ destination, open: opts.open }, tracking.store);
      ctx.http.raw((app) => registerArtifactRoutes(app, service));
      ctx.http.register("mlflow", promptlabRunRoutes, { runs: tracking.services.runs, artifacts: service });
    },
  };
}
