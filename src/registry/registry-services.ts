/**
 * Builds the registry's services from their dependencies (the server and
 * tests call this; nothing here reads configuration).
 * @module
 */
import type { RegistryStore } from "./registry-store.js";
import type { TrackingStore } from "../tracking/index.js";
import type { Page } from "../shared/types.js";
import type { ArtifactLocator } from "../artifacts/index.js";
import { LineageService } from "./lineage-service.js";
import type { LoggedModelLookup } from "./logged-model-lookup.js";
import { ModelVersionService, modelUriRegistry } from "./model-version-service.js";
import { RegisteredModelService } from "./registered-model-service.js";
import { REGISTRY_LIMITS, validateModelName, validateSearchMaxResults } from "./registry-validation.js";
import { SourceVerifier, type ArtifactRoots } from "./source-verifier.js";
import type { RegistryEvent } from "../shared/registry-types.js";

export interface RegistryDeps {
  registryStore: RegistryStore;
  trackingStore: TrackingStore;
  /** The roots a version's source may lie under. */
  artifactRoots: ArtifactRoots;
  /** MLflow 3.x logged models; `models:/<model_id>` sources are refused without it. */
  loggedModels?: LoggedModelLookup;
  /** Opens artifact URIs for the lineage artifact list and get-artifact. */
  locateArtifacts?: ArtifactLocator;
}

/** The audit history, newest first. */
class RegistryHistoryService {
  constructor(private readonly store: RegistryStore) {}

  get(name: string, maxResults: number = REGISTRY_LIMITS.historyDefault, pageToken?: string): Promise<Page<RegistryEvent>> {
    validateModelName(name);
    validateSearchMaxResults(maxResults, REGISTRY_LIMITS.historyMax);
    return this.store.getHistory(name, { maxResults, pageToken: pageToken || undefined });
  }
}

export interface RegistryServices {
  models: RegisteredModelService;
  versions: ModelVersionService;
  history: RegistryHistoryService;
  lineage: LineageService;
  locateArtifacts?: ArtifactLocator;
}

export function createRegistryServices(deps: RegistryDeps): RegistryServices {
  const verifier = new SourceVerifier(deps.artifactRoots, deps.trackingStore, modelUriRegistry(deps.registryStore), deps.loggedModels);
  const versions = new ModelVersionService(deps.registryStore, verifier, deps.loggedModels);
  return {
    models: new RegisteredModelService(deps.registryStore),
    versions,
    history: new RegistryHistoryService(deps.registryStore),
    lineage: new LineageService(deps.registryStore, deps.trackingStore, deps.locateArtifacts, (n, v) => versions.readableLocation(n, v)),
    locateArtifacts: deps.locateArtifacts,
  };
}
