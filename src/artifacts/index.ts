/**
 * The artifacts capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export type { ArtifactLocator } from "./artifact-locator.js";
export { ArtifactPurger } from "./artifact-purger.js";
export type { ArtifactPurgerOptions } from "./artifact-purger.js";
export type { ArtifactRepository, FileInfo } from "./artifact-repository.js";
export { ArtifactService, proxiedRootPath } from "./artifact-service.js";
export { joinArtifactPath, safeArtifactFilePath, safeArtifactPath } from "./safe-path.js";
