/**
 * The artifacts capability's public entry: route helpers other capabilities' routes reuse.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export { downloadRoute, sendArtifact } from "./artifact-download.js";
export { presentFiles } from "./artifact-presenter.js";
export type { ArtifactDeps } from "./artifact-routes.js";
export { endpointOf } from "./mlflow-artifacts.js";
