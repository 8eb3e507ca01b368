/**
 * Model-version operations: MLflow's validation and defaults, the source
 * check (a version's source must resolve inside the artifact store), then
 * the store (which records the audit history).
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../shared/errors.js";
import type { RegistryStore } from "./registry-store.js";
import { parseFilter, parseOrderBy } from "../shared/filter/filter-parser.js";
import type { Page, Tag } from "../shared/types.js";
import { validateLength } from "../shared/validation.js";
import type { LoggedModelLookup } from "./logged-model-lookup.js";
import { isModelUri, resolveModelUri, type ModelUriRegistry, type ResolvedModelUri } from "./model-uri.js";
import { MODEL_VERSION_SEARCH_SPEC } from "./registry-search-specs.js";
import { boundVersionNumbers, checkOrderBy, splitPromptClause } from "./registry-search-filter.js";
import {
  canonicalStage,
  canonicalVersion,
  REGISTRY_LIMITS,
  validateDescription,
  validateModelName,
  validateModelVersionTag,
  validateSearchMaxResults,
  validateTagName,
} from "./registry-validation.js";
import type { SourceVerifier } from "./source-verifier.js";
import { ACTIVE_STAGES, type Actor, type ModelVersion } from "../shared/registry-types.js";

export interface CreateModelVersionRequest {
  name: string;
  source: string | undefined;
  runId?: string;
  runLink?: string;
  description?: string;
  tags: Tag[];
  modelId?: string;
}

export interface SearchModelVersionsRequest {
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** The store's reads with the service's input rules, for `models:/` URI resolution. */
export function modelUriRegistry(store: RegistryStore): ModelUriRegistry {
  return {
    getModelVersion: (name, version) => store.getModelVersion(name, canonicalVersion(version)),
    getLatestVersions: (name, stages) => store.getLatestVersions(name, stages.map(canonicalStage)),
    getModelVersionByAlias: (name, alias) => store.getModelVersionByAlias(name, alias),
    getModelVersionDownloadUri: (name, version) => store.getModelVersionDownloadUri(name, version),
  };
}

export class ModelVersionService {
  constructor(
    private readonly store: RegistryStore,
    private readonly verifier: SourceVerifier,
    private readonly loggedModels?: LoggedModelLookup,
  ) {}

  async create(req: CreateModelVersionRequest, by: Actor): Promise<ModelVersion> {
    validateModelName(req.name);
    if (!req.source) throw missingValue("source");
    validateLength("Model version source", REGISTRY_LIMITS.sourceLength, req.source);
    if (req.runLink) validateLength("Model version run_link", REGISTRY_LIMITS.runLinkLength, req.runLink);
    validateDescription(req.description ?? null);
    req.tags.forEach(validateModelVersionTag);
    // MLflow compat: CVE-2026-2614 skipped this check for prompts; ciclo checks every source.
    const verified = await this.verifier.verify(req.source, req.runId || null, req.modelId || null);
    const version = await this.store.createModelVersion(
      {
        name: req.name,
        source: req.source,
        storageLocation: verified.storageLocation,
        runId: verified.runId,
        runLink: req.runLink || null,
        description: req.description ?? null,
        modelId: verified.modelId,
        tags: req.tags,
      },
      by,
    );
    // MLflow compat: the server records the registration on the logged model's mlflow.modelVersions tag.
    if (verified.modelId && this.loggedModels?.recordModelVersion) {
      await this.loggedModels.recordModelVersion(verified.modelId, version.name, version.version);
    }
    return version;
  }

  get(name: string, version: string | number): Promise<ModelVersion> {
    validateModelName(name);
    return this.store.getModelVersion(name, canonicalVersion(version));
  }

  /** MLflow compat: an update without a description sets it to null. */
  update(name: string, version: string | number, description: string | undefined, by: Actor): Promise<ModelVersion> {
    validateModelName(name);
    validateDescription(description ?? null);
    return this.store.updateModelVersion(name, canonicalVersion(version), description ?? null, by);
  }

  transitionStage(name: string, version: string | number, stage: string, archiveExisting: boolean, by: Actor): Promise<ModelVersion> {
    validateModelName(name);
    const v = canonicalVersion(version);
    const canonical = canonicalStage(stage);
    if (archiveExisting && !ACTIVE_STAGES.includes(canonical)) {
      throw new InvalidParameterValueError(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` +
          `Valid stages are ['${ACTIVE_STAGES.join("', '")}']`,
      );
    }
    return this.store.transitionModelVersionStage(name, v, canonical, archiveExisting, by);
  }

  delete(name: string, version: string | number, by: Actor): Promise<void> {
    validateModelName(name);
    return this.store.deleteModelVersion(name, canonicalVersion(version), by);
  }

  search(req: SearchModelVersionsRequest): Promise<Page<ModelVersion>> {
    const maxResults = req.maxResults ?? REGISTRY_LIMITS.searchVersionsDefault;
    validateSearchMaxResults(maxResults, REGISTRY_LIMITS.searchVersionsMax);
    const { filter, excludePrompts } = splitPromptClause(parseFilter(req.filter, MODEL_VERSION_SEARCH_SPEC));
    return this.store.searchModelVersions({
      filter: boundVersionNumbers(filter),
      excludePrompts,
      orderBy: checkOrderBy(parseOrderBy(req.orderBy, MODEL_VERSION_SEARCH_SPEC), req.orderBy),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }

  /**
   * get-download-uri as MLflow answers it: the source as given, but for a `models:/` source the location it
   * resolved to when the version was created (MLflow's storage_location).
   */
  async getDownloadUri(name: string, version: string | number): Promise<string> {
    validateModelName(name);
    const v = canonicalVersion(version);
    const mv = await this.store.getModelVersion(name, v);
    return isModelUri(mv.source) ? this.store.getModelVersionDownloadUri(name, v) : mv.source;
  }

  /** Where the server itself may read the version's files: inside its artifact store only (see source-verifier.ts). */
  async readableLocation(name: string, version: string | number): Promise<string> {
    validateModelName(name);
    const v = canonicalVersion(version);
    const [mv, location] = await Promise.all([this.store.getModelVersion(name, v), this.store.getModelVersionDownloadUri(name, v)]);
    return this.verifier.readableLocation(location, mv.runId, mv.modelId);
  }

  setTag(name: string, version: string | number, tag: Tag, by: Actor): Promise<void> {
    validateModelName(name);
    validateModelVersionTag(tag);
    return this.store.setModelVersionTag(name, canonicalVersion(version), tag, by);
  }

  deleteTag(name: string, version: string | number, key: string, by: Actor): Promise<void> {
    validateModelName(name);
    validateTagName(key);
    return this.store.deleteModelVersionTag(name, canonicalVersion(version), key, by);
  }

  /** Resolves any `models:/` URI (name/version, stage, latest, alias, model id) to its artifact location. */
  resolveUri(uri: string): Promise<ResolvedModelUri> {
    return resolveModelUri(uri, modelUriRegistry(this.store), this.loggedModels);
  }
}
