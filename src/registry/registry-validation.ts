/**
 * MLflow's validation rules for registry input (its `mlflow/utils/validation.py`
 * and model-version-stage helpers), with MLflow's limits and wording. Every
 * function throws InvalidParameterValueError and changes nothing.
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../shared/errors.js";
import type { Tag } from "../shared/types.js";
import { posixNormpath, validateLength } from "../shared/validation.js";
import { STAGES, type Stage } from "../shared/registry-types.js";

export const REGISTRY_LIMITS = {
  /** The name columns are varchar(256), as in MLflow. */
  nameLength: 256,
  tagKeyLength: 250,
  tagValueLength: 5000,
  aliasLength: 255,
  descriptionLength: 5000,
  /** MLflow's model_versions.source column is String(500). */
  sourceLength: 500,
  runLinkLength: 500,
  searchModelsDefault: 100,
  searchModelsMax: 1000,
  searchVersionsDefault: 10_000,
  searchVersionsMax: 200_000,
  historyDefault: 100,
  historyMax: 1000,
} as const;

const TAG_KEY_RE = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;
const ALIAS_RE = /^[\p{L}\p{N}\p{M}_-]*$/u;
const VERSION_ALIAS_RE = /^[vV]\d+$/;

export function validateModelName(name: string, param = "name"): void {
  if (name === "") throw missingValue(param);
  validateLength("Registered model name", REGISTRY_LIMITS.nameLength, name);
}

/**
 * MLflow parses a version with `int()`: "01" is version 1. Returns the
 * canonical decimal string; anything that is not an integer is refused.
 */
export function canonicalVersion(version: string | number): string {
  const text = String(version).trim();
  if (!/^[+-]?\d{1,18}$/.test(text)) {
    throw new InvalidParameterValueError(`Model version must be an integer, got '${String(version)}'`);
  }
  return String(Number(text));
}

export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw new InvalidParameterValueError(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(", ")}.`);
  }
  return found;
}

function validateTagKey(key: string): void {
  if (key === undefined || key === null) throw new InvalidParameterValueError("Tag name cannot be None. A key name must be provided.");
  if (!TAG_KEY_RE.test(key)) {
    throw new InvalidParameterValueError(
      `Invalid tag name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  const norm = posixNormpath(key);
  if (norm !== key || norm === "." || norm.startsWith("..") || norm.startsWith("/")) {
    throw new InvalidParameterValueError(
      `Invalid tag name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  }
}

export function validateRegisteredModelTag(tag: Tag): void {
  validateTagKey(tag.key);
  validateLength("Registered model key", REGISTRY_LIMITS.tagKeyLength, tag.key);
  if (tag.value === undefined || tag.value === null) throw new InvalidParameterValueError("Tag value cannot be None");
  validateLength("Registered model value", REGISTRY_LIMITS.tagValueLength, tag.value);
}

export function validateModelVersionTag(tag: Tag): void {
  validateTagKey(tag.key);
  if (tag.value === undefined || tag.value === null) throw new InvalidParameterValueError("Tag value cannot be None");
  validateLength("Model version key", REGISTRY_LIMITS.tagKeyLength, tag.key);
  validateLength("Model version value", REGISTRY_LIMITS.tagValueLength, tag.value);
}

/** Tag keys given to delete-tag: the same name rules, no value. */
export function validateTagName(key: string): void {
  validateTagKey(key);
}

export function validateAlias(alias: string): void {
  if (alias === "") throw new InvalidParameterValueError("Registered model alias name cannot be empty.");
  if (!ALIAS_RE.test(alias)) {
    throw new InvalidParameterValueError(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  validateLength("Registered model alias name", REGISTRY_LIMITS.aliasLength, alias);
  if (alias.toLowerCase() === "latest") throw new InvalidParameterValueError("'latest' alias name (case insensitive) is reserved.");
  if (VERSION_ALIAS_RE.test(alias)) throw new InvalidParameterValueError(`Version alias name '${alias}' is reserved.`);
}

export function validateDescription(description: string | null): void {
  if (description) validateLength("Description", REGISTRY_LIMITS.descriptionLength, description);
}

/** MLflow's store message for an over-large page. */
export function validateSearchMaxResults(maxResults: number, limit: number): void {
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new InvalidParameterValueError(`Invalid value for max_results. It must be a positive integer, but got ${maxResults}`);
  }
  if (maxResults > limit) {
    throw new InvalidParameterValueError(
      `Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${maxResults}`,
    );
  }
}
