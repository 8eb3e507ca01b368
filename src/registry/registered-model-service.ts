/**
 * Registered-model operations: MLflow's validation and defaults, then the
 * store (which records the audit history).
 * @module
 */
import { missingValue } from "../shared/errors.js";
import type { RegistryStore } from "./registry-store.js";
import { parseFilter, parseOrderBy } from "../shared/filter/filter-parser.js";
import type { Page, Tag } from "../shared/types.js";
import { REGISTERED_MODEL_SEARCH_SPEC } from "./registry-search-specs.js";
import { checkOrderBy, splitPromptClause } from "./registry-search-filter.js";
import {
  canonicalStage,
  canonicalVersion,
  REGISTRY_LIMITS,
  validateAlias,
  validateDescription,
  validateModelName,
  validateRegisteredModelTag,
  validateSearchMaxResults,
  validateTagName,
} from "./registry-validation.js";
import type { Actor, ModelVersion, RegisteredModel } from "../shared/registry-types.js";

export interface SearchRegisteredModelsRequest {
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export class RegisteredModelService {
  constructor(private readonly store: RegistryStore) {}

  create(name: string, tags: Tag[], description: string | undefined, by: Actor): Promise<RegisteredModel> {
    validateModelName(name);
    tags.forEach(validateRegisteredModelTag);
    validateDescription(description ?? null);
    return this.store.createRegisteredModel({ name, tags, description: description || null }, by);
  }

  get(name: string): Promise<RegisteredModel> {
    validateModelName(name);
    return this.store.getRegisteredModel(name);
  }

  rename(name: string, newName: string | undefined, by: Actor): Promise<RegisteredModel> {
    validateModelName(name);
    if (!newName) throw missingValue("new_name");
    validateModelName(newName, "new_name");
    return this.store.renameRegisteredModel(name, newName, by);
  }

  /** MLflow compat: an update without a description clears it. */
  update(name: string, description: string | undefined, by: Actor): Promise<RegisteredModel> {
    validateModelName(name);
    validateDescription(description ?? null);
    return this.store.updateRegisteredModel(name, description || null, by);
  }

  delete(name: string, by: Actor): Promise<void> {
    validateModelName(name);
    return this.store.deleteRegisteredModel(name, by);
  }

  search(req: SearchRegisteredModelsRequest): Promise<Page<RegisteredModel>> {
    const maxResults = req.maxResults ?? REGISTRY_LIMITS.searchModelsDefault;
    validateSearchMaxResults(maxResults, REGISTRY_LIMITS.searchModelsMax);
    const { filter, excludePrompts } = splitPromptClause(parseFilter(req.filter, REGISTERED_MODEL_SEARCH_SPEC));
    return this.store.searchRegisteredModels({
      filter,
      excludePrompts,
      orderBy: checkOrderBy(parseOrderBy(req.orderBy, REGISTERED_MODEL_SEARCH_SPEC), req.orderBy),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }

  /** Latest READY version per stage; all stages when `stages` is empty. */
  getLatestVersions(name: string, stages: string[] = []): Promise<ModelVersion[]> {
    validateModelName(name);
    return this.store.getLatestVersions(name, [...new Set(stages.map(canonicalStage))]);
  }

  setTag(name: string, tag: Tag, by: Actor): Promise<void> {
    validateModelName(name);
    validateRegisteredModelTag(tag);
    return this.store.setRegisteredModelTag(name, tag, by);
  }

  deleteTag(name: string, key: string, by: Actor): Promise<void> {
    validateModelName(name);
    validateTagName(key);
    return this.store.deleteRegisteredModelTag(name, key, by);
  }

  setAlias(name: string, alias: string, version: string | number, by: Actor): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    return this.store.setRegisteredModelAlias(name, alias, canonicalVersion(version), by);
  }

  deleteAlias(name: string, alias: string, by: Actor): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    return this.store.deleteRegisteredModelAlias(name, alias, by);
  }

  getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    return this.store.getModelVersionByAlias(name, alias);
  }
}
