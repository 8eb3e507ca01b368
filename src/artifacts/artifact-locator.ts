/**
 * Opens where an artifact URI points: `mlflow-artifacts:` URIs inside the
 * server's artifacts destination, other URIs through their own repository.
 * The registry's lineage and downloads and the logged models' files use it.
 * @module
 */
import { MlflowError } from "../shared/errors.js";
import { openArtifactRepository } from "./artifact-repositories.js";
import type { ArtifactRepository } from "./artifact-repository.js";
import { proxiedRootPath } from "./artifact-service.js";
import { safeArtifactPath } from "./safe-path.js";

/** A repository and the folder inside it that a URI names. */
interface ArtifactLocation {
  repo: ArtifactRepository;
  base: string;
}

/** Opens where an artifact URI points (the server maps `mlflow-artifacts:` into its destination). */
export type ArtifactLocator = (uri: string) => Promise<ArtifactLocation>;

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
