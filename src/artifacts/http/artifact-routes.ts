/**
 * Registers every artifact route under both of MLflow's prefixes
 * (`/api/2.0`, and `/ajax-api/2.0` used by the UI).
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { ArtifactRepository } from "../artifact-repository.js";
import { ArtifactService } from "../artifact-service.js";
import type { TrackingStore } from "../../tracking/index.js";
import { artifactUploadRoutes } from "./mlflow-artifacts-upload.js";
import { mlflowArtifactRoutes, type ArtifactRouteOptions } from "./mlflow-artifacts.js";
import { getArtifactRoutes, runArtifactListRoutes } from "./run-artifacts.js";

const ARTIFACT_PREFIXES = ["/api/2.0", "/ajax-api/2.0"];

const artifactRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions> = async (app, { service }) => {
  for (const prefix of ARTIFACT_PREFIXES) {
    await app.register(mlflowArtifactRoutes, { prefix, service });
    // Its own scope: the raw-body content-type parser must not leak to the JSON routes.
    await app.register(artifactUploadRoutes, { prefix, service });
    await app.register(runArtifactListRoutes, { prefix: `${prefix}/mlflow`, service });
  }
  await app.register(getArtifactRoutes, { service });
};

/** What `buildApp` needs to serve artifacts. */
export interface ArtifactDeps {
  /** The proxied store (`--artifacts-destination`); undefined with `--no-serve-artifacts`. */
  destination?: ArtifactRepository;
  /** Opens the repository of a run's own (non-proxied) root; default: by URI scheme. */
  open?(uri: string): Promise<ArtifactRepository>;
}

/** The artifact service the routes use; run lookups go through the tracking store. */
export function createArtifactService(deps: ArtifactDeps, trackingStore: TrackingStore): ArtifactService {
  return new ArtifactService({
    destination: deps.destination,
    open: deps.open,
    runArtifactUri: async (runId) => (await trackingStore.getRun(runId)).info.artifactUri,
  });
}

/** Registers the artifact routes. */
export async function registerArtifactRoutes(app: FastifyInstance, service: ArtifactService): Promise<void> {
  await app.register(artifactRoutes, { service });
}
